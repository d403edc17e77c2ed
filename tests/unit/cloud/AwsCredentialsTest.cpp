// The AWS credential sources, their chain and cache, against temp files and the fakes of STS, ECS/EKS and IMDSv2.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cloud/AwsCachedCredentialProvider.hpp"
#include "cloud/AwsContainerCredentialProvider.hpp"
#include "cloud/AwsCredentialChain.hpp"
#include "cloud/AwsEnvironmentCredentialProvider.hpp"
#include "cloud/AwsImdsCredentialProvider.hpp"
#include "cloud/AwsProfileCredentialProvider.hpp"
#include "cloud/AwsProfileFile.hpp"
#include "cloud/AwsTimestamp.hpp"
#include "cloud/AwsWebIdentityCredentialProvider.hpp"
#include "fakes/FakeAwsEndpoints.hpp"
#include "util/Files.hpp"

namespace launch::cloud {
namespace {

namespace fs = std::filesystem;
using launch::testing::awsIso8601;
using launch::testing::FakeAwsCredentials;
using launch::testing::FakeContainerEndpoint;
using launch::testing::FakeImds;
using launch::testing::FakeSts;

// Secrets used across the tests; no error message may ever contain one of them.
constexpr const char* kSecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY";
constexpr const char* kSessionToken = "FwoGZXIvYXdzSESSIONTOKENEXAMPLE//////////wEaDA==";
constexpr const char* kWebIdentityToken = "eyJhbGciOiJSUzI1NiJ9.WEBIDENTITYTOKEN.c2lnbmF0dXJl";
constexpr const char* kContainerToken = "CONTAINERAUTHTOKEN-1234567890";

void expectNoSecrets(const std::string& message) {
  for (const char* secret : {kSecretKey, kSessionToken, kWebIdentityToken, kContainerToken}) {
    EXPECT_EQ(message.find(secret), std::string::npos) << "secret leaked into: " << message;
  }
}

// A private directory for one test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "aws-credentials-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string write(const std::string& name, const std::string& content) const {
    const fs::path file = fs::path(path_) / name;
    fs::create_directories(file.parent_path());
    EXPECT_TRUE(writeFile(file.string(), content).ok());
    return file.string();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::shared_ptr<AwsMapEnvironment> env(std::map<std::string, std::string> variables = {}) {
  return std::make_shared<AwsMapEnvironment>(std::move(variables));
}

std::shared_ptr<http::HttpClient> httpClient() {
  http::HttpClientOptions options;
  options.connectTimeout = std::chrono::milliseconds(2000);
  return std::make_shared<http::HttpClient>(options);
}

FakeAwsCredentials temporaryCredentials(const std::string& accessKeyId, std::chrono::system_clock::time_point expires) {
  return FakeAwsCredentials{accessKeyId, kSecretKey, kSessionToken, awsIso8601(expires)};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// --- environment ---------------------------------------------------------------------------------------

TEST(AwsEnvironmentCredentialProvider, ReadsTheStandardVariables) {
  const struct {
    const char* name;
    std::map<std::string, std::string> variables;
    std::optional<ErrorCode> error;  // nullopt: credentials expected
    std::string mentions;
  } cases[] = {
      {"keys only", {{"AWS_ACCESS_KEY_ID", "AKID1"}, {"AWS_SECRET_ACCESS_KEY", kSecretKey}}, std::nullopt, ""},
      {"with token and expiration",
       {{"AWS_ACCESS_KEY_ID", "ASIA1"},
        {"AWS_SECRET_ACCESS_KEY", kSecretKey},
        {"AWS_SESSION_TOKEN", kSessionToken},
        {"AWS_CREDENTIAL_EXPIRATION", "2030-01-02T03:04:05Z"}},
       std::nullopt,
       ""},
      {"nothing set", {}, ErrorCode::NotFound, "AWS_ACCESS_KEY_ID"},
      {"empty values count as unset",
       {{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}},
       ErrorCode::NotFound,
       ""},
      {"secret missing", {{"AWS_ACCESS_KEY_ID", "AKID1"}}, ErrorCode::Invalid, "AWS_SECRET_ACCESS_KEY is not"},
      {"key id missing", {{"AWS_SECRET_ACCESS_KEY", kSecretKey}}, ErrorCode::Invalid, "AWS_ACCESS_KEY_ID is not"},
      {"bad expiration",
       {{"AWS_ACCESS_KEY_ID", "AKID1"}, {"AWS_SECRET_ACCESS_KEY", kSecretKey}, {"AWS_CREDENTIAL_EXPIRATION", "soon"}},
       ErrorCode::Invalid,
       "AWS_CREDENTIAL_EXPIRATION"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    AwsEnvironmentCredentialProvider provider(env(c.variables));
    const auto result = provider.credentials();
    if (c.error) {
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.error().code, *c.error);
      EXPECT_TRUE(contains(result.error().message, c.mentions)) << result.error().message;
      expectNoSecrets(result.error().message);
      continue;
    }
    ASSERT_TRUE(result.ok()) << result.error().describe();
    EXPECT_EQ(result->accessKeyId, c.variables.at("AWS_ACCESS_KEY_ID"));
    EXPECT_EQ(result->secretAccessKey, kSecretKey);
    EXPECT_EQ(result->sessionToken, c.variables.count("AWS_SESSION_TOKEN") ? kSessionToken : "");
    EXPECT_EQ(result->expiration.has_value(), c.variables.count("AWS_CREDENTIAL_EXPIRATION") == 1);
  }
}

// --- shared files --------------------------------------------------------------------------------------

TEST(AwsProfileFile, ParsesTheSharedFileSyntax) {
  using Kind = AwsProfileFile::Kind;
  const struct {
    const char* name;
    Kind kind;
    std::string text;
    std::map<std::string, AwsProfile> want;
  } cases[] = {
      {"credentials sections are profile names",
       Kind::Credentials,
       "[default]\naws_access_key_id = AKID\naws_secret_access_key=SECRET\n\n[dev]\naws_access_key_id=DEV\n",
       {{"default", {{"aws_access_key_id", "AKID"}, {"aws_secret_access_key", "SECRET"}}},
        {"dev", {{"aws_access_key_id", "DEV"}}}}},
      {"config uses [profile x]; other sections hold no profile",
       Kind::Config,
       "[default]\nregion = us-east-1\n[profile dev]\nregion=eu-west-1\n[sso-session corp]\nsso_region=us-east-1\n"
       "[plain]\nregion=ignored\n[profile default]\noutput=json\n",
       {{"default", {{"region", "us-east-1"}, {"output", "json"}}}, {"dev", {{"region", "eu-west-1"}}}}},
      {"[profile x] in the credentials file is a profile named so",
       Kind::Credentials,
       "[profile x]\na=1\n",
       {{"profile x", {{"a", "1"}}}}},
      {"comments, blank lines, CRLF and spacing",
       Kind::Config,
       "# top\r\n; also\r\n[ profile   spaced ]  # note\r\n  Key_Name  =  value with spaces  \r\nurl = a#b ; c\r\n",
       {{"spaced", {{"key_name", "value with spaces"}, {"url", "a#b"}}}}},
      {"continuation lines and sub-properties",
       Kind::Config,
       "[default]\ns3 =\n  max_concurrent_requests = 10\n  addressing_style = path\nregion = us-west-2\n",
       {{"default", {{"s3", "\nmax_concurrent_requests = 10\naddressing_style = path"}, {"region", "us-west-2"}}}}},
      {"indented property right after a header is a property",
       Kind::Credentials,
       "[a]\n  k = v\n",
       {{"a", {{"k", "v"}}}}},
      {"repeated sections merge, later keys win",
       Kind::Credentials,
       "[a]\nk=1\nj=2\n[b]\nk=3\n[a]\nk=4\n",
       {{"a", {{"k", "4"}, {"j", "2"}}}, {"b", {{"k", "3"}}}}},
      {"values may contain '=' and be empty",
       Kind::Credentials,
       "[a]\ntoken = abc==\nempty =\n",
       {{"a", {{"token", "abc=="}, {"empty", ""}}}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto file = AwsProfileFile::parse(c.text, c.kind, "/test/file");
    ASSERT_TRUE(file.ok()) << file.error().describe();
    std::map<std::string, AwsProfile> got;
    for (const auto& name : file->profileNames()) got[name] = *file->profile(name);
    EXPECT_EQ(got, c.want);
  }
}

TEST(AwsProfileFile, RejectsMalformedLinesByNumberWithoutQuotingThem) {
  const struct {
    const char* text;
    const char* mentions;
  } cases[] = {
      {"[default]\naws_secret_access_key wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY\n",
       "line 2: expected \"key = value\""},
      {"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY\n",
       "line 1: property \"aws_secret_access_key\""},
      {"[default\n", "line 1: section header has no closing ']'"},
      {"[]\n", "line 1: section header has no name"},
      {"[default] wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY\n", "line 1: unexpected text"},
      {"[default]\n= wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY\n", "line 2: property has no name"},
  };
  for (const auto& c : cases) {
    const auto file = AwsProfileFile::parse(c.text, AwsProfileFile::Kind::Credentials, "/home/u/.aws/credentials");
    ASSERT_FALSE(file.ok()) << c.text;
    EXPECT_EQ(file.error().code, ErrorCode::Invalid);
    EXPECT_TRUE(contains(file.error().message, "/home/u/.aws/credentials " + std::string(c.mentions)))
        << file.error().message;
    expectNoSecrets(file.error().message);
  }
}

TEST(AwsProfileCredentialProvider, FindsTheSelectedProfile) {
  const std::string credentialsFile =
      "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = " + std::string(kSecretKey) +
      "\n[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = " + kSecretKey +
      "\naws_session_token = " + kSessionToken + "\n[half]\naws_access_key_id = AKIDHALF\n";
  const std::string configFile =
      "[default]\nregion = us-east-1\naws_access_key_id = AKIDCONFIGDEFAULT\naws_secret_access_key = ignored\n"
      "[profile cfgonly]\naws_access_key_id = AKIDCFG\naws_secret_access_key = " +
      std::string(kSecretKey) +
      "\n[profile regiononly]\nregion = eu-west-1\n[profile sso]\nsso_session = corp\n"
      "[profile chained]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = default\n"
      "[profile irsa]\nrole_arn = arn:aws:iam::123456789012:role/r\nweb_identity_token_file = /t\n"
      "[profile process]\ncredential_process = /usr/bin/get-creds\n";

  const struct {
    const char* name;
    std::map<std::string, std::string> variables;  // besides HOME
    bool writeCredentials;
    bool writeConfig;
    std::string wantAccessKeyId;  // empty: an error is expected
    std::optional<ErrorCode> error;
    std::string mentions;
  } cases[] = {
      {"default profile from the credentials file wins over config", {}, true, true, "AKIDDEFAULT", {}, ""},
      {"AWS_PROFILE with session token", {{"AWS_PROFILE", "dev"}}, true, true, "AKIDDEV", {}, ""},
      {"legacy AWS_DEFAULT_PROFILE", {{"AWS_DEFAULT_PROFILE", "dev"}}, true, true, "AKIDDEV", {}, ""},
      {"AWS_PROFILE beats AWS_DEFAULT_PROFILE",
       {{"AWS_PROFILE", "dev"}, {"AWS_DEFAULT_PROFILE", "nope"}},
       true,
       true,
       "AKIDDEV",
       {},
       ""},
      {"keys in a [profile x] config section", {{"AWS_PROFILE", "cfgonly"}}, true, true, "AKIDCFG", {}, ""},
      {"only the config file exists", {}, false, true, "AKIDCONFIGDEFAULT", {}, ""},
      {"no files at all", {}, false, false, "", ErrorCode::NotFound, "no shared credentials or config file"},
      {"AWS_PROFILE names a missing profile",
       {{"AWS_PROFILE", "ghost"}},
       true,
       true,
       "",
       ErrorCode::Invalid,
       "AWS_PROFILE names profile \"ghost\", which is in neither"},
      {"AWS_PROFILE but no files",
       {{"AWS_PROFILE", "dev"}},
       false,
       false,
       "",
       ErrorCode::Invalid,
       "no shared credentials or config file"},
      {"key id without secret",
       {{"AWS_PROFILE", "half"}},
       true,
       true,
       "",
       ErrorCode::Invalid,
       "sets aws_access_key_id but not aws_secret_access_key"},
      {"a profile with only a region is passed over",
       {{"AWS_PROFILE", "regiononly"}},
       true,
       true,
       "",
       ErrorCode::NotFound,
       "has no aws_access_key_id"},
      {"web identity profiles are left to that source",
       {{"AWS_PROFILE", "irsa"}},
       true,
       true,
       "",
       ErrorCode::NotFound,
       "web identity"},
      {"SSO is reported, not skipped",
       {{"AWS_PROFILE", "sso"}},
       true,
       true,
       "",
       ErrorCode::Invalid,
       "through sso_session, which this launcher does not support"},
      {"source_profile is reported",
       {{"AWS_PROFILE", "chained"}},
       true,
       true,
       "",
       ErrorCode::Invalid,
       "source_profile"},
      {"credential_process is reported",
       {{"AWS_PROFILE", "process"}},
       true,
       true,
       "",
       ErrorCode::Invalid,
       "credential_process"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir home;
    if (c.writeCredentials) home.write(".aws/credentials", credentialsFile);
    if (c.writeConfig) home.write(".aws/config", configFile);
    auto variables = c.variables;
    variables["HOME"] = home.path();
    AwsProfileCredentialProvider provider(env(variables));
    const auto result = provider.credentials();
    if (c.error) {
      ASSERT_FALSE(result.ok()) << "got " << result->accessKeyId;
      EXPECT_EQ(result.error().code, *c.error) << result.error().message;
      EXPECT_TRUE(contains(result.error().message, c.mentions)) << result.error().message;
      expectNoSecrets(result.error().message);
      continue;
    }
    ASSERT_TRUE(result.ok()) << result.error().describe();
    EXPECT_EQ(result->accessKeyId, c.wantAccessKeyId);
    EXPECT_EQ(result->sessionToken, c.wantAccessKeyId == "AKIDDEV" ? kSessionToken : "");
    EXPECT_FALSE(result->expiration.has_value());
  }
}

TEST(AwsProfileCredentialProvider, HonoursExplicitFilePathsAndTilde) {
  TempDir home;
  const std::string credentials =
      home.write("elsewhere/creds.ini", "[default]\naws_access_key_id = AKIDELSEWHERE\naws_secret_access_key = s\n");
  home.write("tilde/config", "[profile t]\naws_access_key_id = AKIDTILDE\naws_secret_access_key = s\n");
  home.write(".aws/credentials", "[default]\naws_access_key_id = AKIDHOME\naws_secret_access_key = s\n");

  AwsProfileCredentialProvider explicitFile(env({{"HOME", home.path()}, {"AWS_SHARED_CREDENTIALS_FILE", credentials}}));
  ASSERT_TRUE(explicitFile.credentials().ok());
  EXPECT_EQ(explicitFile.credentials()->accessKeyId, "AKIDELSEWHERE");
  EXPECT_TRUE(contains(explicitFile.credentials()->source, credentials));

  AwsProfileCredentialProvider tilde(env({{"HOME", home.path()},
                                          {"AWS_SHARED_CREDENTIALS_FILE", "~/missing"},
                                          {"AWS_CONFIG_FILE", "~/tilde/config"},
                                          {"AWS_PROFILE", "t"}}));
  const auto fromTilde = tilde.credentials();
  ASSERT_TRUE(fromTilde.ok()) << fromTilde.error().describe();
  EXPECT_EQ(fromTilde->accessKeyId, "AKIDTILDE");

  // A malformed file is an error that names the file and line, not a silent skip.
  const std::string broken = home.write("broken", "[default]\naws_secret_access_key " + std::string(kSecretKey));
  AwsProfileCredentialProvider malformed(env({{"HOME", home.path()}, {"AWS_CONFIG_FILE", broken}}));
  const auto error = malformed.credentials();
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().code, ErrorCode::Invalid);
  EXPECT_TRUE(contains(error.error().message, broken + " line 2")) << error.error().message;
  expectNoSecrets(error.error().message);

  // Without HOME, only explicitly named files can be found.
  AwsProfileCredentialProvider noHome(env());
  EXPECT_EQ(noHome.credentials().error().code, ErrorCode::NotFound);
}

// --- web identity (STS) --------------------------------------------------------------------------------

class WebIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sts.setRoleArn(kRole);
    sts.acceptToken(kWebIdentityToken);
    sts.setCredentials(temporaryCredentials("ASIASTS1", expires));
    tokenFile = dir.write("token", std::string(kWebIdentityToken) + "\n");
  }
  std::map<std::string, std::string> variables() const {
    return {{"AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile},
            {"AWS_ROLE_ARN", kRole},
            {"AWS_ROLE_SESSION_NAME", "agent-1"},
            {"AWS_ENDPOINT_URL_STS", sts.url()},
            {"HOME", dir.path()}};
  }

  static constexpr const char* kRole = "arn:aws:iam::123456789012:role/launch-agent";
  const std::chrono::system_clock::time_point expires =
      std::chrono::system_clock::from_time_t(1700000000) + std::chrono::hours(1);
  FakeSts sts;
  TempDir dir;
  std::string tokenFile;
};

TEST_F(WebIdentityTest, AssumesTheRoleWithTheTokenFromTheFile) {
  AwsWebIdentityCredentialProvider provider(env(variables()), httpClient());
  const auto credentials = provider.credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().describe();
  EXPECT_EQ(credentials->accessKeyId, "ASIASTS1");
  EXPECT_EQ(credentials->secretAccessKey, kSecretKey);
  EXPECT_EQ(credentials->sessionToken, kSessionToken);
  EXPECT_EQ(credentials->expiration, expires);

  const auto calls = sts.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].form.at("Action"), "AssumeRoleWithWebIdentity");
  EXPECT_EQ(calls[0].form.at("Version"), "2011-06-15");
  EXPECT_EQ(calls[0].form.at("RoleArn"), kRole);
  EXPECT_EQ(calls[0].form.at("RoleSessionName"), "agent-1");
  EXPECT_EQ(calls[0].form.at("WebIdentityToken"), kWebIdentityToken);  // trimmed of the file's newline
  EXPECT_EQ(calls[0].contentType.rfind("application/x-www-form-urlencoded", 0), 0u);
  EXPECT_FALSE(calls[0].signedRequest);
}

TEST_F(WebIdentityTest, ReadsTheTokenFileAgainOnEveryCall) {
  AwsWebIdentityCredentialProvider provider(env(variables()), httpClient());
  ASSERT_TRUE(provider.credentials().ok());
  sts.acceptToken("rotated-token");
  dir.write("token", "rotated-token");
  ASSERT_TRUE(provider.credentials().ok());
  const auto calls = sts.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].form.at("WebIdentityToken"), "rotated-token");
}

TEST_F(WebIdentityTest, GeneratesASessionNameAndHonoursTheEndpointOption) {
  auto variables = this->variables();
  variables.erase("AWS_ROLE_SESSION_NAME");
  variables["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:1";  // the option wins over the environment
  AwsWebIdentityOptions options;
  options.stsEndpoint = sts.url();
  AwsWebIdentityCredentialProvider provider(env(variables), httpClient(), options);
  ASSERT_TRUE(provider.credentials().ok());
  const std::string session = sts.calls().at(0).form.at("RoleSessionName");
  EXPECT_EQ(session.rfind("launch-operator-", 0), 0u) << session;
  EXPECT_LE(session.size(), 64u);
}

TEST_F(WebIdentityTest, FallsBackToTheProfileSettings) {
  dir.write(".aws/config", "[profile irsa]\nrole_arn = " + std::string(kRole) +
                               "\nweb_identity_token_file = " + tokenFile + "\nrole_session_name = from-profile\n");
  AwsWebIdentityCredentialProvider provider(
      env({{"HOME", dir.path()}, {"AWS_PROFILE", "irsa"}, {"AWS_ENDPOINT_URL", sts.url()}}), httpClient());
  const auto credentials = provider.credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().describe();
  EXPECT_EQ(sts.calls().at(0).form.at("RoleSessionName"), "from-profile");
}

TEST_F(WebIdentityTest, ReportsMisconfigurationAndStsErrors) {
  auto only = [&](std::initializer_list<const char*> keep) {
    std::map<std::string, std::string> subset;
    const auto all = variables();
    for (const char* key : keep) subset[key] = all.at(key);
    return subset;
  };
  auto missingFile = variables();
  missingFile["AWS_WEB_IDENTITY_TOKEN_FILE"] = dir.path() + "/absent";
  auto emptyFile = variables();
  emptyFile["AWS_WEB_IDENTITY_TOKEN_FILE"] = dir.write("empty", "\n");
  auto otherRole = variables();
  otherRole["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/other";
  auto unreachable = variables();
  {
    launch::testing::FakeHttpServer closed;
    closed.start();
    unreachable["AWS_ENDPOINT_URL_STS"] = closed.url();
  }

  const struct {
    const char* name;
    std::map<std::string, std::string> variables;
    ErrorCode code;
    std::string mentions;
  } cases[] = {
      {"nothing configured", only({"HOME"}), ErrorCode::NotFound, "AWS_WEB_IDENTITY_TOKEN_FILE"},
      {"role without token file", only({"AWS_ROLE_ARN", "HOME"}), ErrorCode::Invalid,
       "AWS_WEB_IDENTITY_TOKEN_FILE is not"},
      {"token file without role", only({"AWS_WEB_IDENTITY_TOKEN_FILE", "HOME"}), ErrorCode::Invalid,
       "AWS_ROLE_ARN is not"},
      {"token file missing", missingFile, ErrorCode::Invalid, "cannot read the web identity token file"},
      {"token file empty", emptyFile, ErrorCode::Invalid, "is empty"},
      {"role not trusted", otherRole, ErrorCode::Forbidden, "AccessDenied"},
      {"STS unreachable", unreachable, ErrorCode::Unavailable, "STS AssumeRoleWithWebIdentity"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    AwsWebIdentityCredentialProvider provider(env(c.variables), httpClient());
    const auto result = provider.credentials();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, c.code) << result.error().message;
    EXPECT_TRUE(contains(result.error().message, c.mentions)) << result.error().message;
    expectNoSecrets(result.error().message);
  }

  // An STS error that quotes the token (a proxy might) is passed on without it.
  sts.failWith(400, "InvalidIdentityToken", std::string("Token ") + kWebIdentityToken + " is expired");
  AwsWebIdentityCredentialProvider provider(env(variables()), httpClient());
  const auto rejected = provider.credentials();
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().code, ErrorCode::Unauthorized);
  EXPECT_EQ(rejected.error().reason, "InvalidIdentityToken");
  EXPECT_EQ(rejected.error().httpStatus, 400);
  EXPECT_TRUE(contains(rejected.error().message, "Token <token> is expired")) << rejected.error().message;
  expectNoSecrets(rejected.error().message);
}

// --- container endpoint --------------------------------------------------------------------------------

TEST(AwsContainerCredentialProvider, RelativeUriAgainstTheAgentAddress) {
  FakeContainerEndpoint endpoint;
  const auto expires = std::chrono::system_clock::from_time_t(1700003600);
  endpoint.setCredentials(temporaryCredentials("ASIAECS", expires));
  AwsContainerOptions options;
  options.relativeUriBase = endpoint.url();
  AwsContainerCredentialProvider provider(env({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", endpoint.path()}}),
                                          httpClient(), options);
  const auto credentials = provider.credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().describe();
  EXPECT_EQ(credentials->accessKeyId, "ASIAECS");
  EXPECT_EQ(credentials->secretAccessKey, kSecretKey);
  EXPECT_EQ(credentials->sessionToken, kSessionToken);
  EXPECT_EQ(credentials->expiration, expires);
  EXPECT_EQ(endpoint.seenAuthorization(), std::vector<std::string>{""});
}

TEST(AwsContainerCredentialProvider, FullUriWithTheAuthorizationToken) {
  FakeContainerEndpoint endpoint("/v1/credentials");
  endpoint.setCredentials(temporaryCredentials("ASIAEKS", std::chrono::system_clock::from_time_t(1700003600)));
  endpoint.requireAuthorization(kContainerToken);
  TempDir dir;

  const struct {
    const char* name;
    std::map<std::string, std::string> variables;
  } cases[] = {
      {"token variable", {{"AWS_CONTAINER_AUTHORIZATION_TOKEN", kContainerToken}}},
      {"token file (wins over the variable)",
       {{"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir.write("token", std::string(kContainerToken) + "\n")},
        {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "stale"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto variables = c.variables;
    variables["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = endpoint.fullUri();
    AwsContainerCredentialProvider provider(env(variables), httpClient());
    const auto credentials = provider.credentials();
    ASSERT_TRUE(credentials.ok()) << credentials.error().describe();
    EXPECT_EQ(credentials->accessKeyId, "ASIAEKS");
  }
  EXPECT_EQ(endpoint.seenAuthorization(), (std::vector<std::string>{kContainerToken, kContainerToken}));
}

TEST(AwsContainerCredentialProvider, RefusesUnsafeOrBrokenSetups) {
  FakeContainerEndpoint endpoint;
  endpoint.requireAuthorization(kContainerToken);
  FakeContainerEndpoint malformed;
  malformed.answerRaw(std::string("{\"AccessKeyId\": \"ASIA\", \"SecretAccessKey\": \"") + kSecretKey +
                      "\", \"Token\": \"" + kSessionToken + "\", \"Expiration\": \"tomorrow\"}");
  FakeContainerEndpoint notJson;
  notJson.answerRaw(std::string("SecretAccessKey=") + kSecretKey);
  TempDir dir;

  const struct {
    const char* name;
    std::map<std::string, std::string> variables;
    ErrorCode code;
    std::string mentions;
  } cases[] = {
      {"nothing configured", {}, ErrorCode::NotFound, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"},
      {"plain http to a remote host",
       {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://203.0.113.7/creds"}},
       ErrorCode::Invalid,
       "use https"},
      {"lookalike of loopback",
       {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1.evil.example/creds"}},
       ErrorCode::Invalid,
       "use https"},
      {"not a URL",
       {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "169.254.170.2/creds"}},
       ErrorCode::Invalid,
       "not an http:// or https:// URL"},
      {"wrong token",
       {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.fullUri()}, {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong"}},
       ErrorCode::Unauthorized,
       "rejected the token"},
      {"token file missing",
       {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.fullUri()},
        {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir.path() + "/absent"}},
       ErrorCode::Invalid,
       "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"},
      {"token with a line break",
       {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.fullUri()},
        {"AWS_CONTAINER_AUTHORIZATION_TOKEN", std::string(kContainerToken) + "\r\nX-Injected: 1"}},
       ErrorCode::Invalid,
       "line break"},
      {"wrong path",
       {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.url() + "/nope"}},
       ErrorCode::Invalid,
       "HTTP 404"},
      {"bad expiration",
       {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", malformed.fullUri()}},
       ErrorCode::Internal,
       "Expiration"},
      {"not JSON",
       {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", notJson.fullUri()}},
       ErrorCode::Internal,
       "not a JSON object"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    AwsContainerCredentialProvider provider(env(c.variables), httpClient());
    const auto result = provider.credentials();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, c.code) << result.error().message;
    EXPECT_TRUE(contains(result.error().message, c.mentions)) << result.error().message;
    expectNoSecrets(result.error().message);
  }
}

// --- instance metadata (IMDSv2) ------------------------------------------------------------------------

class ImdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    imds.setCredentials(temporaryCredentials("ASIAIMDS1", clock.wallNow() + std::chrono::hours(6)));
  }
  std::shared_ptr<AwsMapEnvironment> imdsEnv() const {
    return env({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()}});
  }

  ManualClock clock;
  FakeImds imds;
};

TEST_F(ImdsTest, FetchesTheRoleCredentialsWithASessionToken) {
  // The fake really insists on the token: a plain GET is refused.
  http::HttpClient plain(http::HttpClientOptions{});
  http::HttpRequest withoutToken;
  withoutToken.url = imds.url() + "/latest/meta-data/iam/security-credentials/";
  const auto refused = plain.send(withoutToken);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 401);

  AwsImdsCredentialProvider provider(imdsEnv(), httpClient(), clock);
  const auto credentials = provider.credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().describe();
  EXPECT_EQ(credentials->accessKeyId, "ASIAIMDS1");
  EXPECT_EQ(credentials->secretAccessKey, kSecretKey);
  EXPECT_EQ(credentials->sessionToken, kSessionToken);
  EXPECT_EQ(credentials->expiration, std::chrono::floor<std::chrono::seconds>(clock.wallNow() + std::chrono::hours(6)));
  EXPECT_TRUE(contains(credentials->source, "launch-instance-role"));
  EXPECT_EQ(imds.ttlHeaders(), std::vector<std::string>{"21600"});
  EXPECT_EQ(imds.rejectedRequests(), 1);  // only the plain GET above
}

TEST_F(ImdsTest, ReusesTheTokenUntilItsTtlAndReplacesARejectedOne) {
  AwsImdsCredentialProvider provider(imdsEnv(), httpClient(), clock);
  ASSERT_TRUE(provider.credentials().ok());
  ASSERT_TRUE(provider.credentials().ok());
  EXPECT_EQ(imds.tokenRequests(), 1);

  // The service forgot our token (as after its TTL on its side): one 401, a new token, success.
  imds.revokeTokens();
  ASSERT_TRUE(provider.credentials().ok());
  EXPECT_EQ(imds.tokenRequests(), 2);
  EXPECT_EQ(imds.rejectedRequests(), 1);

  // Near the end of the token's TTL a new one is fetched before use.
  clock.advance(std::chrono::hours(6) - std::chrono::seconds(30));
  ASSERT_TRUE(provider.credentials().ok());
  EXPECT_EQ(imds.tokenRequests(), 3);
  EXPECT_EQ(imds.rejectedRequests(), 1);
}

TEST_F(ImdsTest, FallsBackToImdsV1OnlyWhenAllowed) {
  imds.setV1Only(true);
  AwsImdsCredentialProvider provider(imdsEnv(), httpClient(), clock);
  const auto credentials = provider.credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().describe();
  EXPECT_EQ(credentials->accessKeyId, "ASIAIMDS1");

  auto strict = imdsEnv();
  strict->set("AWS_EC2_METADATA_V1_DISABLED", "true");
  AwsImdsCredentialProvider v2Only(strict, httpClient(), clock);
  const auto refused = v2Only.credentials();
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(contains(refused.error().message, "AWS_EC2_METADATA_V1_DISABLED")) << refused.error().message;
}

TEST_F(ImdsTest, PassesWhenThereIsNoInstanceOrNoRole) {
  launch::testing::FakeHttpServer closed;
  closed.start();
  const std::string closedUrl = closed.url();
  closed.stop();

  auto disabled = imdsEnv();
  disabled->set("AWS_EC2_METADATA_DISABLED", "TRUE");
  AwsImdsCredentialProvider off(disabled, httpClient(), clock);
  EXPECT_EQ(off.credentials().error().code, ErrorCode::NotFound);
  EXPECT_EQ(imds.tokenRequests(), 0);

  AwsImdsOptions options;
  options.endpoint = closedUrl;
  AwsImdsCredentialProvider nobody(imdsEnv(), httpClient(), clock, options);
  const auto unreachable = nobody.credentials();
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.error().code, ErrorCode::NotFound);
  EXPECT_TRUE(contains(unreachable.error().message, "no instance metadata service answered"))
      << unreachable.error().message;

  imds.setRole("");
  AwsImdsCredentialProvider noRole(imdsEnv(), httpClient(), clock);
  const auto roleless = noRole.credentials();
  ASSERT_FALSE(roleless.ok());
  EXPECT_EQ(roleless.error().code, ErrorCode::NotFound);
  EXPECT_TRUE(contains(roleless.error().message, "no IAM role")) << roleless.error().message;
}

// --- the cache -----------------------------------------------------------------------------------------

TEST_F(ImdsTest, CacheRefreshesBeforeExpiry) {
  imds.setCredentials(temporaryCredentials("ASIAFIRST", clock.wallNow() + std::chrono::minutes(60)));
  AwsCachedCredentialProvider cached(std::make_unique<AwsImdsCredentialProvider>(imdsEnv(), httpClient(), clock),
                                     clock);  // refreshes 5 minutes ahead
  ASSERT_EQ(cached.credentials()->accessKeyId, "ASIAFIRST");
  imds.setCredentials(temporaryCredentials("ASIASECOND", clock.wallNow() + std::chrono::minutes(120)));

  clock.advance(std::chrono::minutes(54));  // 6 minutes left: still fresh
  EXPECT_EQ(cached.credentials()->accessKeyId, "ASIAFIRST");
  EXPECT_EQ(imds.credentialRequests(), 1);

  clock.advance(std::chrono::minutes(2));  // 4 minutes left: refreshed before use
  EXPECT_EQ(cached.credentials()->accessKeyId, "ASIASECOND");
  EXPECT_EQ(imds.credentialRequests(), 2);
  EXPECT_EQ(cached.credentials()->accessKeyId, "ASIASECOND");
  EXPECT_EQ(imds.credentialRequests(), 2);

  cached.invalidate();
  EXPECT_EQ(cached.credentials()->accessKeyId, "ASIASECOND");
  EXPECT_EQ(imds.credentialRequests(), 3);
}

// A provider that answers from a script and counts its calls.
class ScriptedProvider final : public AwsCredentialProvider {
 public:
  ScriptedProvider(std::string name, std::vector<Result<AwsCredentials>> answers, std::atomic<int>* calls = nullptr)
      : name_(std::move(name)), answers_(std::move(answers)), calls_(calls) {}
  Result<AwsCredentials> credentials() override {
    if (calls_ != nullptr) ++*calls_;
    const size_t index = std::min(next_++, answers_.size() - 1);
    return answers_[index];
  }
  std::string name() const override { return name_; }

 private:
  std::string name_;
  std::vector<Result<AwsCredentials>> answers_;
  std::atomic<int>* calls_;
  size_t next_ = 0;
};

AwsCredentials credentialsNamed(const std::string& accessKeyId,
                                std::optional<std::chrono::system_clock::time_point> expiration = std::nullopt) {
  return AwsCredentials{accessKeyId, kSecretKey, "", expiration, accessKeyId};
}

TEST(AwsCachedCredentialProvider, KeepsValidCredentialsWhenARefreshFailsAndRetriesLater) {
  ManualClock clock;
  std::atomic<int> calls{0};
  const auto expires = clock.wallNow() + std::chrono::minutes(10);
  AwsCachedCredentialProvider cached(
      std::make_unique<ScriptedProvider>(
          "scripted",
          std::vector<Result<AwsCredentials>>{credentialsNamed("A", expires),
                                              makeError(ErrorCode::Unavailable, "STS is down"),
                                              credentialsNamed("B", expires + std::chrono::hours(1))},
          &calls),
      clock);
  EXPECT_EQ(cached.credentials()->accessKeyId, "A");
  clock.advance(std::chrono::minutes(6));  // inside the refresh window; the refresh fails
  EXPECT_EQ(cached.credentials()->accessKeyId, "A");
  EXPECT_EQ(calls, 2);
  clock.advance(std::chrono::seconds(10));  // too soon to ask again
  EXPECT_EQ(cached.credentials()->accessKeyId, "A");
  EXPECT_EQ(calls, 2);
  clock.advance(std::chrono::seconds(30));
  EXPECT_EQ(cached.credentials()->accessKeyId, "B");
  EXPECT_EQ(calls, 3);
}

TEST(AwsCachedCredentialProvider, ExpiredCredentialsAreNeverServed) {
  ManualClock clock;
  const auto expires = clock.wallNow() + std::chrono::minutes(10);
  AwsCachedCredentialProvider cached(
      std::make_unique<ScriptedProvider>(
          "scripted", std::vector<Result<AwsCredentials>>{credentialsNamed("A", expires),
                                                          makeError(ErrorCode::Unavailable, "STS is down")}),
      clock);
  EXPECT_TRUE(cached.credentials().ok());
  clock.advance(std::chrono::minutes(11));
  const auto result = cached.credentials();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::Unavailable);
}

TEST(AwsCachedCredentialProvider, CredentialsWithoutExpiryAreReadAgainAfterTheMaximumAge) {
  ManualClock clock;
  std::atomic<int> calls{0};
  AwsCachedCredentialProvider cached(
      std::make_unique<ScriptedProvider>(
          "scripted", std::vector<Result<AwsCredentials>>{credentialsNamed("A"), credentialsNamed("B")}, &calls),
      clock);
  EXPECT_EQ(cached.credentials()->accessKeyId, "A");
  clock.advance(std::chrono::minutes(14));
  EXPECT_EQ(cached.credentials()->accessKeyId, "A");
  clock.advance(std::chrono::minutes(2));
  EXPECT_EQ(cached.credentials()->accessKeyId, "B");
  EXPECT_EQ(calls, 2);
}

// An inner provider that blocks until released, to hold a refresh in flight.
class GatedProvider final : public AwsCredentialProvider {
 public:
  Result<AwsCredentials> credentials() override {
    ++calls;
    std::unique_lock lock(mutex);
    entered = true;
    changed.notify_all();
    changed.wait(lock, [&] { return released; });
    return credentialsNamed("GATED");
  }
  std::string name() const override { return "gated"; }

  std::atomic<int> calls{0};
  std::mutex mutex;
  std::condition_variable changed;
  bool entered = false;
  bool released = false;
};

TEST(AwsCachedCredentialProvider, ConcurrentCallersShareOneRefresh) {
  ManualClock clock;
  auto inner = std::make_unique<GatedProvider>();
  GatedProvider& gate = *inner;
  AwsCachedCredentialProvider cached(std::move(inner), clock);

  std::vector<std::thread> callers;
  callers.reserve(4);
  std::atomic<int> succeeded{0};
  for (int i = 0; i < 4; ++i) {
    callers.emplace_back([&] {
      if (cached.credentials().ok()) ++succeeded;
    });
  }
  {
    std::unique_lock lock(gate.mutex);
    gate.changed.wait(lock, [&] { return gate.entered; });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the other callers queue up
  {
    const std::lock_guard lock(gate.mutex);
    gate.released = true;
  }
  gate.changed.notify_all();
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(succeeded, 4);
  EXPECT_EQ(gate.calls, 1);
}

// --- the chain -----------------------------------------------------------------------------------------

TEST(AwsCredentialChain, TakesTheFirstConfiguredSourceAndStopsAtABrokenOne) {
  const Result<AwsCredentials> absent = makeError(ErrorCode::NotFound, "not configured here");
  const Result<AwsCredentials> broken = makeError(ErrorCode::Invalid, "configured but broken");
  const struct {
    const char* name;
    std::vector<Result<AwsCredentials>> answers;
    std::string wantAccessKeyId;  // empty: error
    std::optional<ErrorCode> error;
    std::vector<int> wantCalls;
  } cases[] = {
      {"first wins", {credentialsNamed("ONE"), credentialsNamed("TWO")}, "ONE", {}, {1, 0}},
      {"absent sources pass", {absent, absent, credentialsNamed("THREE")}, "THREE", {}, {1, 1, 1}},
      {"broken source stops the search",
       {absent, broken, credentialsNamed("THREE")},
       "",
       ErrorCode::Invalid,
       {1, 1, 0}},
      {"nothing anywhere", {absent, absent}, "", ErrorCode::Unauthorized, {1, 1}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::atomic<int>> calls(c.answers.size());
    std::vector<std::unique_ptr<AwsCredentialProvider>> providers;
    for (size_t i = 0; i < c.answers.size(); ++i) {
      providers.push_back(std::make_unique<ScriptedProvider>(
          "source" + std::to_string(i), std::vector<Result<AwsCredentials>>{c.answers[i]}, &calls[i]));
    }
    AwsCredentialChain chain(std::move(providers));
    const auto result = chain.credentials();
    std::vector<int> gotCalls;
    gotCalls.reserve(calls.size());
    for (const auto& count : calls) gotCalls.push_back(count.load());
    EXPECT_EQ(gotCalls, c.wantCalls);
    if (c.error) {
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.error().code, *c.error);
      if (*c.error == ErrorCode::Unauthorized) {
        EXPECT_TRUE(contains(result.error().message, "source0: not configured here; source1: not configured here"))
            << result.error().message;
      } else {
        EXPECT_TRUE(contains(result.error().message, "from source1: configured but broken")) << result.error().message;
      }
      continue;
    }
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->accessKeyId, c.wantAccessKeyId);
  }
}

// The default chain over real sources: which one answers when several are configured.
TEST(AwsCredentialChain, DefaultOrderOverRealSources) {
  ManualClock clock;
  const auto expires = clock.wallNow() + std::chrono::hours(1);
  FakeSts sts;
  sts.setRoleArn("arn:aws:iam::123456789012:role/r");
  sts.acceptToken(kWebIdentityToken);
  sts.setCredentials(temporaryCredentials("ASIAWEBIDENTITY", expires));
  FakeContainerEndpoint container;
  container.setCredentials(temporaryCredentials("ASIACONTAINER", expires));
  FakeImds imds;
  imds.setCredentials(temporaryCredentials("ASIAIMDS", expires));
  TempDir home;
  home.write(".aws/credentials", "[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = s\n");
  const std::string tokenFile = home.write("token", kWebIdentityToken);

  const std::map<std::string, std::map<std::string, std::string>> sources = {
      {"environment", {{"AWS_ACCESS_KEY_ID", "AKIDENVIRONMENT"}, {"AWS_SECRET_ACCESS_KEY", "s"}}},
      {"profile", {{"HOME", home.path()}}},
      {"web identity",
       {{"AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile},
        {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r"},
        {"AWS_ENDPOINT_URL_STS", sts.url()}}},
      {"container", {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", container.fullUri()}}},
      {"imds", {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()}}},
  };
  const struct {
    std::vector<std::string> configured;
    std::string wantAccessKeyId;
  } cases[] = {
      {{"environment", "profile", "web identity", "container", "imds"}, "AKIDENVIRONMENT"},
      {{"profile", "web identity", "container", "imds"}, "AKIDPROFILE"},
      {{"web identity", "container", "imds"}, "ASIAWEBIDENTITY"},
      {{"container", "imds"}, "ASIACONTAINER"},
      {{"imds"}, "ASIAIMDS"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.wantAccessKeyId);
    auto variables = env();
    for (const auto& source : c.configured) {
      for (const auto& [name, value] : sources.at(source)) variables->set(name, value);
    }
    auto chain = AwsCredentialChain::makeDefault(variables, httpClient(), clock);
    const auto credentials = chain->credentials();
    ASSERT_TRUE(credentials.ok()) << credentials.error().describe();
    EXPECT_EQ(credentials->accessKeyId, c.wantAccessKeyId);
  }

  // Nothing configured and IMDS unreachable: one error that says why each source was passed over.
  launch::testing::FakeHttpServer closed;
  closed.start();
  const std::string closedUrl = closed.url();
  closed.stop();
  AwsCredentialChainOptions options;
  options.imds.endpoint = closedUrl;
  auto chain = AwsCredentialChain::makeDefault(env(), httpClient(), clock, options);
  const auto none = chain->credentials();
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::Unauthorized);
  for (const char* source :
       {"environment:", "shared files:", "web identity:", "container endpoint:", "instance metadata:"}) {
    EXPECT_TRUE(contains(none.error().message, source)) << none.error().message;
  }
}

TEST(AwsCredentialChain, ContainerEndpointFailureDoesNotFallThroughToImds) {
  ManualClock clock;
  FakeContainerEndpoint container;
  container.requireAuthorization(kContainerToken);
  FakeImds imds;
  imds.setCredentials(temporaryCredentials("ASIAIMDS", clock.wallNow() + std::chrono::hours(1)));
  auto chain = AwsCredentialChain::makeDefault(env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", container.fullUri()},
                                                    {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()}}),
                                               httpClient(), clock);
  const auto result = chain->credentials();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::Unauthorized);
  EXPECT_TRUE(contains(result.error().message, "container endpoint")) << result.error().message;
  EXPECT_EQ(imds.tokenRequests(), 0);
}

}  // namespace
}  // namespace launch::cloud
