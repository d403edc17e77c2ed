// STS AssumeRoleWithWebIdentity: the form request, and the XML answer or error read without an XML library.
#include "cloud/AwsWebIdentityCredentialProvider.hpp"

#include <utility>

#include "cloud/AwsSharedConfig.hpp"
#include "cloud/AwsTimestamp.hpp"
#include "util/Files.hpp"
#include "util/Text.hpp"

namespace launch::cloud {

namespace {

std::string xmlUnescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    static constexpr std::pair<std::string_view, char> kEntities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    bool replaced = false;
    for (const auto& [entity, character] : kEntities) {
      if (text.substr(i, entity.size()) == entity) {
        out.push_back(character);
        i += entity.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out.push_back('&');
  }
  return out;
}

// The text of the first <tag>...</tag> in `xml` (attributes on the opening tag allowed); nullopt if absent.
std::optional<std::string_view> xmlElement(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag);
  size_t start = 0;
  while ((start = xml.find(open, start)) != std::string_view::npos) {
    const size_t after = start + open.size();
    if (after < xml.size() && (xml[after] == '>' || xml[after] == ' ')) {
      const size_t contentStart = xml.find('>', after);
      if (contentStart == std::string_view::npos) return std::nullopt;
      const size_t end = xml.find("</" + std::string(tag) + ">", contentStart);
      if (end == std::string_view::npos) return std::nullopt;
      return xml.substr(contentStart + 1, end - contentStart - 1);
    }
    start = after;
  }
  return std::nullopt;
}

std::string xmlText(std::string_view xml, std::string_view tag) {
  const auto element = xmlElement(xml, tag);
  return element ? xmlUnescape(trim(*element, " \n\r\t")) : std::string();
}

ErrorCode codeForStsError(long status, const std::string& code) {
  if (code == "InvalidIdentityToken" || code == "ExpiredTokenException") return ErrorCode::Unauthorized;
  if (code == "AccessDenied" || code == "IDPRejectedClaim") return ErrorCode::Forbidden;
  if (code == "IDPCommunicationError") return ErrorCode::Unavailable;
  if (code == "Throttling" || code == "ThrottlingException" || status == 429) return ErrorCode::TooManyRequests;
  if (status >= 500) return ErrorCode::Unavailable;
  if (status == 401) return ErrorCode::Unauthorized;
  if (status == 403) return ErrorCode::Forbidden;
  return ErrorCode::Invalid;
}

std::string fixFor(const std::string& code) {
  if (code == "InvalidIdentityToken" || code == "ExpiredTokenException") {
    return "; check that the token file holds a current token from an issuer the role trusts";
  }
  if (code == "AccessDenied") return "; check the role's trust policy (issuer, audience and subject conditions)";
  return "";
}

}  // namespace

AwsWebIdentityCredentialProvider::AwsWebIdentityCredentialProvider(std::shared_ptr<const AwsEnvironment> environment,
                                                                   std::shared_ptr<http::HttpClient> client,
                                                                   AwsWebIdentityOptions options)
    : environment_(std::move(environment)), client_(std::move(client)), options_(std::move(options)) {}

std::string AwsWebIdentityCredentialProvider::endpoint(const std::optional<std::string>& region) const {
  if (!options_.stsEndpoint.empty()) return options_.stsEndpoint;
  if (auto url = environment_->get("AWS_ENDPOINT_URL_STS")) return *url;
  if (auto url = environment_->get("AWS_ENDPOINT_URL")) return *url;
  if (!region) return "https://sts.amazonaws.com";
  const bool china = region->rfind("cn-", 0) == 0;
  return "https://sts." + *region + (china ? ".amazonaws.com.cn" : ".amazonaws.com");
}

Result<AwsCredentials> AwsWebIdentityCredentialProvider::credentials() {
  auto tokenFile = environment_->get("AWS_WEB_IDENTITY_TOKEN_FILE");
  auto roleArn = environment_->get("AWS_ROLE_ARN");
  auto sessionName = environment_->get("AWS_ROLE_SESSION_NAME");
  auto region = environment_->get("AWS_REGION");
  if (!region) region = environment_->get("AWS_DEFAULT_REGION");

  // The selected profile fills what the environment leaves out (but not half of a pair the environment sets).
  std::string settingsFrom = "the environment";
  if (!tokenFile && !roleArn) {
    auto config = AwsSharedConfig::load(*environment_);
    if (!config) return config.error();
    tokenFile = config->value("web_identity_token_file");
    roleArn = config->value("role_arn");
    if (!sessionName) sessionName = config->value("role_session_name");
    if (!region) region = config->value("region");
    if (!tokenFile) {
      return makeError(ErrorCode::NotFound,
                       "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not set and the profile has no "
                       "web_identity_token_file");
    }
    if (!roleArn) {
      return makeError(ErrorCode::Invalid, "profile \"" + config->profileName() +
                                               "\" sets web_identity_token_file but not role_arn; add the role's ARN");
    }
    settingsFrom = "profile " + config->profileName();
  } else if (!tokenFile) {
    return makeError(ErrorCode::Invalid,
                     "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not; set it to the path of the OIDC "
                     "token file (EKS mounts it at /var/run/secrets/eks.amazonaws.com/serviceaccount/token)");
  } else if (!roleArn) {
    return makeError(
        ErrorCode::Invalid,
        "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not; set it to the ARN of the role to assume");
  }

  auto tokenText = readFile(*tokenFile);
  if (!tokenText) {
    return makeError(ErrorCode::Invalid, "cannot read the web identity token file named by " + settingsFrom + ": " +
                                             tokenText.error().message);
  }
  const std::string token(trim(*tokenText, " \n\r\t"));
  if (token.empty()) {
    return makeError(ErrorCode::Invalid, "the web identity token file " + *tokenFile + " is empty");
  }
  if (!sessionName) {
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
    sessionName = "launch-operator-" + std::to_string(millis.count());
  }

  std::string url = endpoint(region);
  if (url.find("://") != std::string::npos && url.find('/', url.find("://") + 3) == std::string::npos) url += '/';

  http::HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.timeout = options_.timeout;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}, {"Accept", "*/*"}};
  request.body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + http::urlEncode(*roleArn) +
                 "&RoleSessionName=" + http::urlEncode(*sessionName) + "&WebIdentityToken=" + http::urlEncode(token);
  if (options_.durationSeconds) request.body += "&DurationSeconds=" + std::to_string(*options_.durationSeconds);

  const std::string what = "STS AssumeRoleWithWebIdentity for role " + *roleArn + " at " + url;
  auto response = client_->send(request);
  if (!response) {
    Error error = response.error();
    error.message = what + ": " + error.message;
    return error;
  }
  if (response->status != 200) {
    const std::string code = xmlText(response->body, "Code");
    // STS messages do not quote the token, but a proxy or a fake might: never pass it on.
    std::string message = xmlText(response->body, "Message");
    for (size_t at = message.find(token); at != std::string::npos; at = message.find(token)) {
      message.replace(at, token.size(), "<token>");
    }
    if (message.size() > 512) message = message.substr(0, 512) + "...";
    Error error =
        makeError(codeForStsError(response->status, code),
                  what + " failed with HTTP " + std::to_string(response->status) + (code.empty() ? "" : ": " + code) +
                      (message.empty() ? "" : ": " + message) + fixFor(code));
    error.httpStatus = static_cast<int>(response->status);
    error.reason = code;
    return error;
  }

  const auto block = xmlElement(response->body, "Credentials");
  AwsCredentials credentials;
  if (block) {
    credentials.accessKeyId = xmlText(*block, "AccessKeyId");
    credentials.secretAccessKey = xmlText(*block, "SecretAccessKey");
    credentials.sessionToken = xmlText(*block, "SessionToken");
  }
  // The answer holds secrets: errors describe what is missing, never quote it.
  if (credentials.accessKeyId.empty() || credentials.secretAccessKey.empty() || credentials.sessionToken.empty()) {
    return makeError(ErrorCode::Internal,
                     what + " answered without Credentials/AccessKeyId, SecretAccessKey and SessionToken");
  }
  const std::string expiration = xmlText(*block, "Expiration");
  credentials.expiration = parseIso8601(expiration);
  if (!credentials.expiration) {
    return makeError(ErrorCode::Internal,
                     what + " answered an Expiration that is not an ISO 8601 time: \"" + expiration + "\"");
  }
  credentials.source = "web identity (" + *roleArn + ")";
  return credentials;
}

}  // namespace launch::cloud
