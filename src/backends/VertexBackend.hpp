// VertexBackend: runs a LaunchJob as a Vertex AI CustomJob (create, get, list by label, cancel).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "backends/Backend.hpp"
#include "backends/VertexClient.hpp"
#include "cloud/GoogleTokenSource.hpp"
#include "cloud/RetryPolicy.hpp"
#include "http/HttpClient.hpp"
#include "util/Clock.hpp"

namespace launch::backends {

struct VertexOptions {
  std::string project;   // project ID (or number) the jobs are created in
  std::string region;    // e.g. us-central1
  std::string endpoint;  // empty: https://<region>-aiplatform.googleapis.com
  // Vertex AI cannot be watched: how often a running job is read.
  std::chrono::milliseconds pollInterval{std::chrono::seconds(30)};
  cloud::RetryOptions retry;
  std::chrono::milliseconds requestTimeout{std::chrono::seconds(30)};
};

class VertexBackend final : public Backend {
 public:
  // The token source, the HTTP client and the clock must outlive the backend. Wrap the source in a
  // GoogleCachedTokenSource so tokens are reused (and refreshed after a 401).
  VertexBackend(VertexOptions options, cloud::GoogleTokenSource& tokens, http::HttpClient& http,
                const Clock& clock = SystemClock::instance(), RetrySleep sleep = {});

  // Looks for a CustomJob labelled with the LaunchJob's uid and creates one only when there is none; a create whose
  // outcome is unknown (5xx, timeout) is followed by another look before it is sent again. Returns the CustomJob's
  // resource name, projects/<number>/locations/<region>/customJobs/<id>.
  Result<std::string> submit(const RunSpec& spec) override;
  Result<std::optional<std::string>> findRun(const api::LaunchJob& job) override;
  // Reads the CustomJob; one Vertex AI does not know reads as exists = false.
  Result<RunObservation> observe(const std::string& backendRef) override;
  // Where the logs are: Vertex AI writes them to Cloud Logging, which this backend does not read.
  Result<std::string> logs(const std::string& backendRef, std::size_t maxBytes) override;
  // POST :cancel; a job already finished or gone is fine.
  Status cancel(const std::string& backendRef) override;
  // A CustomJob leaves nothing to remove.
  Status cleanup(const std::string& backendRef) override;
  std::chrono::milliseconds pollInterval() const override { return options_.pollInterval; }

 private:
  std::string collectionPath() const;
  // The CustomJob labelled with this uid, if any (all pages of the list).
  Result<std::optional<Json>> findByUid(const std::string& uid);
  // Checks that the name is a CustomJob of this backend's region; returns the request path of it.
  Result<std::string> jobPath(const std::string& backendRef) const;
  // GET of the job; nullopt when it does not exist.
  Result<std::optional<Json>> get(const std::string& backendRef);

  VertexOptions options_;
  VertexClient client_;
};

}  // namespace launch::backends
