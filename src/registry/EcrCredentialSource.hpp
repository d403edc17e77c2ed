// EcrCredentialSource: registry credentials from ECR's GetAuthorizationToken, signed with SigV4, cached until
// shortly before they expire.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "cloud/AwsCredentials.hpp"
#include "cloud/AwsEnvironment.hpp"
#include "cloud/RetryPolicy.hpp"
#include "http/HttpClient.hpp"
#include "registry/CredentialCache.hpp"
#include "registry/CredentialSource.hpp"
#include "util/Clock.hpp"

namespace launch::registry {

inline constexpr std::string_view kEcrTarget = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken";

struct EcrOptions {
  std::string region;    // required: the region of the registry ("us-east-1")
  std::string endpoint;  // the API's base URL; empty means https://api.ecr.<region>.amazonaws.com/
  std::chrono::seconds refreshBefore{std::chrono::minutes(5)};
  cloud::RetryOptions retry;
  // How to wait between attempts; empty means really sleeping (tests pass a no-op).
  std::function<void(std::chrono::milliseconds)> sleep;

  // Fills what is not set yet the way the AWS SDKs do: the endpoint from AWS_ENDPOINT_URL_ECR, then
  // AWS_ENDPOINT_URL; the region from AWS_REGION, then AWS_DEFAULT_REGION.
  void applyEnvironment(const cloud::AwsEnvironment& environment);

  // The URL the token is asked from.
  std::string endpointUrl() const;
};

class EcrCredentialSource final : public CredentialSource {
 public:
  EcrCredentialSource(EcrOptions options, std::shared_ptr<cloud::AwsCredentialProvider> aws,
                      std::shared_ptr<http::HttpClient> http, const Clock& clock = SystemClock::instance());

  // User "AWS" and the token's password; asks ECR only when the cached token is close to expiry.
  Result<RegistryCredentials> credentials() override;
  std::string describe() const override;

  // Forgets the cached token (after a registry rejected it).
  void invalidate() { cache_.invalidate(); }

 private:
  Result<ExpiringCredentials> fetch();
  Result<http::HttpResponse> call(const cloud::AwsCredentials& credentials);

  EcrOptions options_;
  std::shared_ptr<cloud::AwsCredentialProvider> aws_;
  std::shared_ptr<http::HttpClient> http_;
  const Clock& clock_;
  CredentialCache cache_;
};

// Decodes an authorizationToken, base64 of "AWS:<password>", into credentials; errors never quote it.
Result<RegistryCredentials> decodeEcrAuthorizationToken(std::string_view token);

}  // namespace launch::registry
