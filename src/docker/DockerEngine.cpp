// DockerEngine: Engine API calls over HttpClient, including the streamed /build and /images/push answers.
#include "docker/DockerEngine.hpp"

#include <cstdlib>

#include "util/Base64.hpp"
#include "util/LineSplitter.hpp"

namespace launch::docker {
namespace {

constexpr const char* kApiVersion = "/v1.41";

Error engineError(const http::HttpResponse& response, const std::string& what) {
  const Json body = Json::parse(response.body, nullptr, false);
  std::string message = body.is_object() ? body.value("message", "") : "";
  if (message.empty()) message = response.body.substr(0, 200);
  Error error;
  error.httpStatus = static_cast<int>(response.status);
  error.code = response.status == 404   ? ErrorCode::NotFound
               : response.status == 409 ? ErrorCode::Conflict
               : response.status == 400 ? ErrorCode::Invalid
               : response.status == 401 ? ErrorCode::Unauthorized
                                        : ErrorCode::Unavailable;
  error.message = what + ": " + message;
  return error;
}

// Runs a streamed call and collects the engine's messages; the first error message fails the call.
struct StreamOutcome {
  std::string error;
  Json lastAux;
  std::string tail;  // recent output, for error context
};

}  // namespace

std::string registryAuthHeader(const RegistryCredentials& credentials) {
  Json auth = Json::object();
  if (!credentials.username.empty()) {
    auth["username"] = credentials.username;
    auth["password"] = credentials.password;
  }
  if (!credentials.serverAddress.empty()) auth["serveraddress"] = credentials.serverAddress;
  return base64UrlEncode(auth.dump(), /*pad=*/true);  // dockerd decodes with padded base64url
}

StreamMessage parseStreamMessage(std::string_view line) {
  StreamMessage message;
  const Json json = Json::parse(line, nullptr, false);
  if (!json.is_object()) {
    message.text = std::string(line);
    return message;
  }
  if (json.contains("error")) {
    message.error = json["error"].is_string() ? json["error"].get<std::string>() : json["error"].dump();
  } else if (json.contains("errorDetail") && json["errorDetail"].contains("message")) {
    message.error = json["errorDetail"]["message"].get<std::string>();
  }
  if (json.contains("stream") && json["stream"].is_string()) message.text = json["stream"].get<std::string>();
  if (json.contains("status") && json["status"].is_string()) {
    message.text = json["status"].get<std::string>();
    if (json.contains("progress") && json["progress"].is_string())
      message.text += " " + json["progress"].get<std::string>();
  }
  if (json.contains("aux")) message.aux = json["aux"];
  return message;
}

Result<std::unique_ptr<DockerEngine>> DockerEngine::connect(const std::string& host) {
  std::string target = host;
  if (target.empty()) {
    const char* env = std::getenv("DOCKER_HOST");
    target = env != nullptr && *env != '\0' ? env : "unix:///var/run/docker.sock";
  }
  http::HttpClientOptions options;
  options.connectTimeout = std::chrono::seconds(5);
  if (target.rfind("unix://", 0) == 0) {
    options.unixSocket = target.substr(7);
    std::unique_ptr<DockerEngine> engine(new DockerEngine("http://docker", options));
    engine->host_ = target;
    return engine;
  }
  if (target.rfind("tcp://", 0) == 0) {
    std::unique_ptr<DockerEngine> engine(new DockerEngine("http://" + target.substr(6), options));
    engine->host_ = target;
    return engine;
  }
  return makeError(ErrorCode::Invalid, "DOCKER_HOST '" + target +
                                           "' is not understood: use unix:///path/to/docker.sock or tcp://host:port");
}

DockerEngine::DockerEngine(std::string baseUrl, http::HttpClientOptions options)
    : baseUrl_(std::move(baseUrl)), http_(std::move(options)) {}

Result<http::HttpResponse> DockerEngine::call(const std::string& method, const std::string& path,
                                              const std::string& body, const std::string& contentType,
                                              std::chrono::milliseconds timeout) {
  http::HttpRequest request;
  request.method = method;
  request.url = baseUrl_ + kApiVersion + path;
  request.body = body;
  request.timeout = timeout;
  if (!body.empty()) request.headers.emplace_back("Content-Type", contentType);
  auto response = http_.send(request);
  if (!response) {
    Error error = response.error();
    error.message = "the Docker engine did not answer " + method + " " + path + " (" + error.message +
                    "); is dockerd running and DOCKER_HOST right?";
    return error;
  }
  return response;
}

Result<Json> DockerEngine::callJson(const std::string& method, const std::string& path, const std::string& body) {
  auto response = call(method, path, body);
  if (!response) return response.error();
  if (response->status >= 300) return engineError(*response, method + " " + path);
  if (response->body.empty()) return Json::object();
  Json parsed = Json::parse(response->body, nullptr, false);
  if (parsed.is_discarded()) return makeError(ErrorCode::Internal, method + " " + path + ": the answer is not JSON");
  return parsed;
}

Result<Json> DockerEngine::version() { return callJson("GET", "/version"); }

Result<std::string> DockerEngine::build(const std::string& contextTar, const BuildOptions& options,
                                        const ProgressHandler& progress, const http::StopCondition& shouldStop) {
  std::string path =
      "/build?rm=1&forcerm=1&t=" + http::urlEncode(options.tag) + "&dockerfile=" + http::urlEncode(options.dockerfile);
  if (!options.buildArgs.empty()) path += "&buildargs=" + http::urlEncode(Json(options.buildArgs).dump());
  if (!options.labels.empty()) path += "&labels=" + http::urlEncode(Json(options.labels).dump());
  if (!options.platform.empty()) path += "&platform=" + http::urlEncode(options.platform);

  http::HttpRequest request;
  request.method = "POST";
  request.url = baseUrl_ + kApiVersion + path;
  request.body = contextTar;
  request.timeout = std::chrono::minutes(30);
  request.headers.emplace_back("Content-Type", "application/x-tar");

  StreamOutcome outcome;
  std::string imageId;
  LineSplitter lines;
  std::string errorBody;
  auto response = http_.stream(
      request,
      [&](std::string_view chunk) {
        lines.feed(chunk, [&](std::string_view line) {
          const StreamMessage message = parseStreamMessage(line);
          if (!message.error.empty() && outcome.error.empty()) outcome.error = message.error;
          if (message.aux.is_object() && message.aux.contains("ID")) imageId = message.aux["ID"].get<std::string>();
          if (!message.text.empty() && progress) progress(message.text);
          if (!message.text.empty()) outcome.tail = message.text;
          if (!message.aux.is_object() && message.error.empty() && message.text.empty()) errorBody.append(line);
        });
        return true;
      },
      shouldStop);
  if (!response) return makeError(response.error().code, "image build: " + response.error().message);
  if (shouldStop && shouldStop()) {
    Error stopped = makeError(ErrorCode::Unavailable, "image build stopped before it ended");
    stopped.reason = "Stopped";
    return stopped;
  }
  if (response->status >= 300) {
    http::HttpResponse failed = *response;
    failed.body = errorBody.empty() ? std::string(lines.rest()) : errorBody;
    return engineError(failed, "image build");
  }
  if (!outcome.error.empty()) return makeError(ErrorCode::Invalid, "image build failed: " + outcome.error);
  if (imageId.empty())
    return makeError(ErrorCode::Internal, "image build ended without an image ID; last output: " + outcome.tail);
  return imageId;
}

Status DockerEngine::tag(const std::string& image, const std::string& repository, const std::string& tagName) {
  auto result = callJson("POST", "/images/" + http::urlEncode(image) + "/tag?repo=" + http::urlEncode(repository) +
                                     "&tag=" + http::urlEncode(tagName));
  if (!result) return result.error();
  return {};
}

Result<std::string> DockerEngine::push(const std::string& repository, const std::string& tagName,
                                       const RegistryCredentials& credentials, const ProgressHandler& progress,
                                       const http::StopCondition& shouldStop) {
  http::HttpRequest request;
  request.method = "POST";
  request.url = baseUrl_ + kApiVersion + "/images/" + repository + "/push?tag=" + http::urlEncode(tagName);
  request.timeout = std::chrono::minutes(30);
  request.headers.emplace_back("X-Registry-Auth", registryAuthHeader(credentials));

  std::string error;
  std::string digest;
  std::string body;
  LineSplitter lines;
  auto response = http_.stream(
      request,
      [&](std::string_view chunk) {
        lines.feed(chunk, [&](std::string_view line) {
          body.append(line);
          const StreamMessage message = parseStreamMessage(line);
          if (!message.error.empty() && error.empty()) error = message.error;
          if (message.aux.is_object() && message.aux.contains("Digest"))
            digest = message.aux["Digest"].get<std::string>();
          if (!message.text.empty() && progress) progress(message.text);
        });
        return true;
      },
      shouldStop);
  if (!response) return makeError(response.error().code, "image push: " + response.error().message);
  if (shouldStop && shouldStop()) {
    Error stopped = makeError(ErrorCode::Unavailable, "image push stopped before it ended");
    stopped.reason = "Stopped";
    return stopped;
  }
  if (response->status >= 300) {
    http::HttpResponse failed = *response;
    failed.body = body;
    return engineError(failed, "image push of " + repository + ":" + tagName);
  }
  if (!error.empty()) {
    const bool denied = error.find("unauthorized") != std::string::npos || error.find("denied") != std::string::npos ||
                        error.find("no basic auth") != std::string::npos;
    return makeError(denied ? ErrorCode::Unauthorized : ErrorCode::Unavailable,
                     "image push of " + repository + ":" + tagName + " failed: " + error +
                         (denied ? " (check the registry credentials)" : ""));
  }
  if (digest.empty())
    return makeError(ErrorCode::Internal, "image push of " + repository + ":" + tagName + " reported no digest");
  return digest;
}

Status DockerEngine::removeImage(const std::string& image, bool force) {
  auto result = call("DELETE", "/images/" + http::urlEncode(image) + (force ? "?force=1" : ""));
  if (!result) return result.error();
  if (result->status >= 300 && result->status != 404) return engineError(*result, "remove image " + image);
  return {};
}

Result<std::string> DockerEngine::createContainer(const Json& config, const std::string& name) {
  const std::string path = "/containers/create" + (name.empty() ? std::string() : "?name=" + http::urlEncode(name));
  auto created = callJson("POST", path, config.dump());
  if (!created) return created.error();
  return created->value("Id", "");
}

Status DockerEngine::startContainer(const std::string& id) {
  auto result = call("POST", "/containers/" + id + "/start");
  if (!result) return result.error();
  if (result->status >= 300 && result->status != 304) return engineError(*result, "start container " + id);
  return {};
}

Result<int> DockerEngine::waitContainer(const std::string& id, std::chrono::milliseconds timeout) {
  auto result = call("POST", "/containers/" + id + "/wait", {}, "application/json", timeout);
  if (!result) return result.error();
  if (result->status >= 300) return engineError(*result, "wait for container " + id);
  const Json body = Json::parse(result->body, nullptr, false);
  if (!body.is_object() || !body.contains("StatusCode")) {
    return makeError(ErrorCode::Internal, "wait for container " + id + ": no StatusCode in the answer");
  }
  return body["StatusCode"].get<int>();
}

Result<ContainerOutput> DockerEngine::logs(const std::string& id) {
  auto result = call("GET", "/containers/" + id + "/logs?stdout=1&stderr=1");
  if (!result) return result.error();
  if (result->status >= 300) return engineError(*result, "logs of container " + id);
  return demultiplexLogs(result->body);
}

Result<Json> DockerEngine::inspectContainer(const std::string& id) {
  return callJson("GET", "/containers/" + id + "/json");
}

Status DockerEngine::removeContainer(const std::string& id, bool force) {
  auto result = call("DELETE", "/containers/" + id + (force ? "?force=1&v=1" : "?v=1"));
  if (!result) return result.error();
  if (result->status >= 300 && result->status != 404) return engineError(*result, "remove container " + id);
  return {};
}

Status DockerEngine::pullImage(const std::string& image, const RegistryCredentials& credentials,
                               const ProgressHandler& progress) {
  std::string repository = image;
  std::string tagName;
  const auto at = image.find('@');
  const auto slash = image.rfind('/');
  const auto colon = image.rfind(':');
  if (at != std::string::npos) {
    repository = image.substr(0, at);
    tagName = image.substr(at + 1);
  } else if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    repository = image.substr(0, colon);
    tagName = image.substr(colon + 1);
  } else {
    tagName = "latest";
  }
  http::HttpRequest request;
  request.method = "POST";
  request.url = baseUrl_ + kApiVersion + "/images/create?fromImage=" + http::urlEncode(repository) +
                "&tag=" + http::urlEncode(tagName);
  request.timeout = std::chrono::minutes(30);
  request.headers.emplace_back("X-Registry-Auth", registryAuthHeader(credentials));
  std::string error;
  std::string body;
  LineSplitter lines;
  auto response = http_.stream(request, [&](std::string_view chunk) {
    lines.feed(chunk, [&](std::string_view line) {
      if (body.size() < 4096) body.append(line);
      const StreamMessage message = parseStreamMessage(line);
      if (!message.error.empty() && error.empty()) error = message.error;
      if (!message.text.empty() && progress) progress(message.text);
    });
    return true;
  });
  if (!response) return makeError(response.error().code, "image pull: " + response.error().message);
  if (response->status >= 300) {
    http::HttpResponse failed = *response;
    failed.body = body;
    return engineError(failed, "image pull of " + image);
  }
  if (!error.empty()) return makeError(ErrorCode::Unavailable, "image pull of " + image + " failed: " + error);
  return {};
}

Result<bool> DockerEngine::hasImage(const std::string& image) {
  auto result = call("GET", "/images/" + http::urlEncode(image) + "/json");
  if (!result) return result.error();
  if (result->status == 404) return false;
  if (result->status >= 300) return engineError(*result, "inspect image " + image);
  return true;
}

Result<Json> DockerEngine::listImages(const Json& filters) {
  return callJson("GET", "/images/json?filters=" + http::urlEncode(filters.dump()));
}

Result<ContainerOutput> DockerEngine::logs(const std::string& id, int tailLines) {
  const std::string tail = tailLines > 0 ? std::to_string(tailLines) : std::string("all");
  auto result = call("GET", "/containers/" + id + "/logs?stdout=1&stderr=1&tail=" + tail);
  if (!result) return result.error();
  if (result->status >= 300) return engineError(*result, "logs of container " + id);
  return demultiplexLogs(result->body);
}

Status DockerEngine::stopContainer(const std::string& id, std::chrono::seconds grace) {
  auto result = call("POST", "/containers/" + id + "/stop?t=" + std::to_string(grace.count()), {}, "application/json",
                     grace + std::chrono::seconds(30));
  if (!result) return result.error();
  if (result->status >= 300 && result->status != 304) return engineError(*result, "stop container " + id);
  return {};
}

Status DockerEngine::killContainer(const std::string& id, const std::string& signal) {
  auto result = call("POST", "/containers/" + id + "/kill?signal=" + http::urlEncode(signal));
  if (!result) return result.error();
  // 409: not running, which is what a kill wants anyway.
  if (result->status >= 300 && result->status != 409) return engineError(*result, "kill container " + id);
  return {};
}

Result<Json> DockerEngine::listContainers(const Json& filters) {
  return callJson("GET", "/containers/json?all=1&filters=" + http::urlEncode(filters.dump()));
}

Status DockerEngine::streamEvents(const Json& filters, int64_t since, const std::function<void(const Json&)>& onEvent,
                                  const http::StopCondition& shouldStop) {
  http::HttpRequest request;
  request.url = baseUrl_ + kApiVersion + "/events?filters=" + http::urlEncode(filters.dump()) +
                (since > 0 ? "&since=" + std::to_string(since) : std::string());
  request.timeout = std::chrono::milliseconds(0);
  LineSplitter lines;
  auto response = http_.stream(
      request,
      [&](std::string_view chunk) {
        lines.feed(chunk, [&](std::string_view line) {
          Json event = Json::parse(line, nullptr, false);
          if (event.is_object()) onEvent(event);
        });
        return true;
      },
      shouldStop);
  if (!response) return response.error();
  if (response->status >= 300) return engineError(*response, "events");
  return {};
}

}  // namespace launch::docker
