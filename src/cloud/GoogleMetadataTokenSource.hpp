// GoogleMetadataTokenSource: access tokens from the GCE metadata server (GCE, GKE Workload Identity, Cloud Run).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "cloud/GoogleEnvironment.hpp"
#include "cloud/GoogleTokenSource.hpp"
#include "http/HttpClient.hpp"
#include "util/Clock.hpp"

namespace launch::cloud {

inline constexpr std::string_view kGoogleMetadataHost = "metadata.google.internal";

struct GoogleMetadataOptions {
  std::string host = std::string(kGoogleMetadataHost);  // host[:port]
  std::string serviceAccount = "default";               // or an attached account's email
  std::vector<std::string> scopes;  // empty: the instance's scopes (GCE ignores others; Cloud Run honours them)
  std::chrono::milliseconds timeout{5000};

  // GCE_METADATA_HOST (or the older GCE_METADATA_ROOT) when set, else the default host.
  static GoogleMetadataOptions fromEnvironment(const GoogleEnvironment& environment);
};

class GoogleMetadataTokenSource final : public GoogleTokenSource {
 public:
  // The client and the clock must outlive the source.
  GoogleMetadataTokenSource(GoogleMetadataOptions options, http::HttpClient& http, const Clock& clock);

  Result<AccessToken> token() override;
  std::string describe() const override;

  // Whether a metadata server answers at the host (GET / that answers with "Metadata-Flavor: Google").
  // Errors say why not; used by credential discovery to decide that it is not on Google Cloud.
  Status probe(std::chrono::milliseconds timeout) const;

 private:
  std::string baseUrl() const { return "http://" + options_.host; }

  GoogleMetadataOptions options_;
  http::HttpClient& http_;
  const Clock& clock_;
};

}  // namespace launch::cloud
