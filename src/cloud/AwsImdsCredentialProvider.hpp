// AwsImdsCredentialProvider: the EC2 instance profile's credentials from the instance metadata service (IMDSv2).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "cloud/AwsCredentials.hpp"
#include "cloud/AwsEnvironment.hpp"
#include "http/HttpClient.hpp"
#include "util/Clock.hpp"

namespace launch::cloud {

struct AwsImdsOptions {
  // The metadata service's URL. Empty: AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://[fd00:ec2::254] when
  // AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE is IPv6, else http://169.254.169.254.
  std::string endpoint;
  // Off EC2 nothing answers, so give up quickly: every credential lookup that reaches IMDS waits this long.
  std::chrono::milliseconds timeout{1000};
  std::chrono::seconds tokenTtl{21600};
};

// The IMDSv2 session flow: PUT /latest/api/token, then GET the role name and the role's credentials with the
// token in X-aws-ec2-metadata-token. The token is reused until shortly before its TTL ends, and fetched again
// once when the service rejects it (401). A service that does not know tokens (404/405 on the PUT) is asked
// without one (IMDSv1), unless AWS_EC2_METADATA_V1_DISABLED is true. AWS_EC2_METADATA_DISABLED=true turns
// the source off. When no metadata service answers at all, the source reports NotFound (not on EC2).
class AwsImdsCredentialProvider final : public AwsCredentialProvider {
 public:
  AwsImdsCredentialProvider(std::shared_ptr<const AwsEnvironment> environment, std::shared_ptr<http::HttpClient> client,
                            const Clock& clock, AwsImdsOptions options = {});
  Result<AwsCredentials> credentials() override;
  std::string name() const override { return "instance metadata"; }

 private:
  struct Token {
    std::string endpoint;
    std::string value;  // empty: IMDSv1
    Clock::TimePoint expires;
  };
  std::string endpoint() const;
  Result<Token> token(const std::string& endpoint, bool forceNew);
  Result<http::HttpResponse> get(const std::string& url, const Token& token) const;

  std::shared_ptr<const AwsEnvironment> environment_;
  std::shared_ptr<http::HttpClient> client_;
  const Clock& clock_;
  AwsImdsOptions options_;
  std::mutex mutex_;  // guards token_; never held across a request
  std::optional<Token> token_;
};

}  // namespace launch::cloud
