// DockerEngine: a client of the Docker Engine API (unix socket or tcp) for builds, pushes and containers.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "docker/LogFrames.hpp"
#include "http/HttpClient.hpp"
#include "util/Result.hpp"

namespace launch::docker {

using Json = nlohmann::json;

// One line of build or push progress, as the engine reported it.
using ProgressHandler = std::function<void(std::string_view line)>;

struct BuildOptions {
  std::string tag;                        // repository:tag to give the image
  std::string dockerfile = "Dockerfile";  // path inside the context
  std::map<std::string, std::string> buildArgs;
  std::map<std::string, std::string> labels;
  std::string platform;  // os/arch[/variant]; empty: the engine's own
};

struct RegistryCredentials {
  std::string username;
  std::string password;
  std::string serverAddress;
};

// The X-Registry-Auth header value: base64url of the credentials' JSON ("{}" for none).
std::string registryAuthHeader(const RegistryCredentials& credentials);

// Reads one line of the JSON message stream of /build or /images/push. Sets `error` when the engine
// reports a failure inside the 200 stream, `aux` for auxiliary results (image ID, pushed digest).
struct StreamMessage {
  std::string text;   // "stream" or "status" text, for progress
  std::string error;  // non-empty: the operation failed
  Json aux;
};
StreamMessage parseStreamMessage(std::string_view line);

class DockerEngine {
 public:
  // host: "unix:///var/run/docker.sock" or "tcp://host:port"; empty means $DOCKER_HOST, else the default socket.
  static Result<std::unique_ptr<DockerEngine>> connect(const std::string& host = "");

  Result<Json> version();
  // The host this client talks to, as given to connect().
  const std::string& host() const { return host_; }

  // Builds the tar context; returns the image ID. `shouldStop` (polled about once a second) abandons the
  // build, which then fails with ErrorCode::Unavailable and reason "Stopped".
  Result<std::string> build(const std::string& contextTar, const BuildOptions& options,
                            const ProgressHandler& progress = {}, const http::StopCondition& shouldStop = {});
  Status tag(const std::string& image, const std::string& repository, const std::string& tag);
  // Pushes repository:tag; returns the manifest digest the registry stored. `shouldStop` as for build().
  Result<std::string> push(const std::string& repository, const std::string& tag,
                           const RegistryCredentials& credentials, const ProgressHandler& progress = {},
                           const http::StopCondition& shouldStop = {});
  Status removeImage(const std::string& image, bool force = true);

  // Pulls an image (repository:tag or @digest); progress as for push. An error inside the 200 stream fails it.
  Status pullImage(const std::string& image, const RegistryCredentials& credentials,
                   const ProgressHandler& progress = {});
  // True when the engine has the image locally.
  Result<bool> hasImage(const std::string& image);
  // GET /images/json with the given filters, e.g. {"label": ["launch.dev/build"]}.
  Result<Json> listImages(const Json& filters);

  Result<std::string> createContainer(const Json& config, const std::string& name = "");
  Status startContainer(const std::string& id);
  // Blocks until the container exits (or the timeout passes); returns its exit code.
  Result<int> waitContainer(const std::string& id, std::chrono::milliseconds timeout = std::chrono::minutes(5));
  Result<ContainerOutput> logs(const std::string& id);
  // The last `tailLines` lines of each stream (0: all).
  Result<ContainerOutput> logs(const std::string& id, int tailLines);
  // Sends SIGTERM, then SIGKILL after the grace period; a container already stopped is fine.
  Status stopContainer(const std::string& id, std::chrono::seconds grace);
  // Sends a signal ("SIGTERM", "SIGKILL"); a container that is not running is fine.
  Status killContainer(const std::string& id, const std::string& signal);
  // GET /containers/json?all=1 with the given filters, e.g. {"label": ["launch.dev/job"]}.
  Result<Json> listContainers(const Json& filters);
  // Streams /events with the given filters, one parsed event per call, until `shouldStop` says so or the
  // connection ends (the caller reconnects). `since` (unix seconds, 0: now) replays what was missed.
  Status streamEvents(const Json& filters, int64_t since, const std::function<void(const Json&)>& onEvent,
                      const http::StopCondition& shouldStop);
  Result<Json> inspectContainer(const std::string& id);
  Status removeContainer(const std::string& id, bool force = true);

 private:
  DockerEngine(std::string baseUrl, http::HttpClientOptions options);
  Result<http::HttpResponse> call(const std::string& method, const std::string& path, const std::string& body = {},
                                  const std::string& contentType = "application/json",
                                  std::chrono::milliseconds timeout = std::chrono::seconds(60));
  Result<Json> callJson(const std::string& method, const std::string& path, const std::string& body = {});

  std::string host_;
  std::string baseUrl_;
  http::HttpClient http_;
};

}  // namespace launch::docker
