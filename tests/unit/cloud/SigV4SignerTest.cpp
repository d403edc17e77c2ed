// SigV4Signer against every case of the AWS SigV4 test suite, a botocore SageMaker vector, and its own edge cases.
#include "cloud/SigV4Signer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "cloud/AwsTimestamp.hpp"
#include "util/Crypto.hpp"
#include "util/Files.hpp"

namespace launch::cloud {
namespace {

namespace fs = std::filesystem;

const fs::path kVectorDir = fs::path(LAUNCH_SOURCE_DIR) / "tests" / "data" / "aws-sigv4";
const fs::path kSuiteDir = kVectorDir / "v4";

std::string readText(const fs::path& path) {
  auto text = readFile(path.string());
  if (!text) {
    ADD_FAILURE() << text.error().describe();
    return {};
  }
  return std::move(text).value();
}

std::string toLower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// An HTTP request as the suite writes it: request line, headers (indented lines continue the previous
// header), a blank line, the body.
struct RawRequest {
  std::string method;
  std::string target;  // path and query as on the request line
  http::Headers headers;
  std::string body;
};

RawRequest parseRawRequest(const std::string& text) {
  RawRequest request;
  size_t pos = 0;
  auto nextLine = [&](std::string& line) {
    if (pos > text.size()) return false;
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    line = text.substr(pos, end - pos);
    pos = end + 1;
    return true;
  };
  std::string line;
  nextLine(line);
  const size_t methodEnd = line.find(' ');
  const size_t versionStart = line.rfind(" HTTP/");
  request.method = line.substr(0, methodEnd);
  request.target = line.substr(methodEnd + 1, versionStart - methodEnd - 1);
  while (nextLine(line) && !line.empty()) {
    if ((line.front() == ' ' || line.front() == '\t') && !request.headers.empty()) {
      request.headers.back().second += "\n" + line;
      continue;
    }
    const size_t colon = line.find(':');
    request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  if (pos < text.size()) request.body = text.substr(pos);
  return request;
}

SigV4Request toSigV4Request(const RawRequest& raw) {
  SigV4Request request;
  request.method = raw.method;
  const size_t question = raw.target.find('?');
  request.path = raw.target.substr(0, question);
  if (question != std::string::npos) request.query = raw.target.substr(question + 1);
  request.headers = raw.headers;
  request.body = raw.body;
  return request;
}

// Header names compared case-insensitively, order ignored, duplicates kept.
std::vector<std::pair<std::string, std::string>> headerSet(const http::Headers& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : headers) out.emplace_back(toLower(name), value);
  std::sort(out.begin(), out.end());
  return out;
}

struct SuiteCase {
  SigV4Request request;
  RawRequest raw;
  AwsCredentials credentials;
  std::string region;
  std::string service;
  std::chrono::system_clock::time_point time;
  std::chrono::seconds expires{0};
  SigV4Options options;
};

// Reads a case the way aws-c-auth's own harness (tests/sigv4_signing_tests.c) configures its signer.
SuiteCase loadCase(const std::string& name) {
  const fs::path dir = kSuiteDir / name;
  const auto context = nlohmann::json::parse(readText(dir / "context.json"));
  SuiteCase suiteCase;
  suiteCase.raw = parseRawRequest(readText(dir / "request.txt"));
  suiteCase.request = toSigV4Request(suiteCase.raw);
  suiteCase.credentials.accessKeyId = context.at("credentials").at("access_key_id");
  suiteCase.credentials.secretAccessKey = context.at("credentials").at("secret_access_key");
  suiteCase.credentials.sessionToken = context.at("credentials").value("token", "");
  suiteCase.region = context.at("region");
  suiteCase.service = context.at("service");
  const auto time = parseIso8601(context.at("timestamp").get<std::string>());
  EXPECT_TRUE(time.has_value());
  suiteCase.time = time.value_or(std::chrono::system_clock::time_point{});
  suiteCase.expires = std::chrono::seconds{context.at("expiration_in_seconds").get<int>()};
  suiteCase.options.normalizePath = context.at("normalize");
  suiteCase.options.doubleEncodePath = true;
  suiteCase.options.addContentSha256Header = context.at("sign_body");
  suiteCase.options.signSessionToken = !context.value("omit_session_token", false);
  return suiteCase;
}

std::vector<std::string> suiteCaseNames() {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(kSuiteDir, error)) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(SigV4Suite, HoldsAllThirtyEightCases) {
  // A missing copy of the vectors must fail loudly, not instantiate zero cases.
  EXPECT_EQ(suiteCaseNames().size(), 38u) << "expected the 38 aws-c-auth cases under " << kSuiteDir;
}

class SigV4SuiteTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SigV4SuiteTest, HeaderSigningMatchesCanonicalRequestStringToSignAndAuthorization) {
  const fs::path dir = kSuiteDir / GetParam();
  const SuiteCase suiteCase = loadCase(GetParam());
  const SigV4Signer signer(suiteCase.region, suiteCase.service, suiteCase.options);

  const auto signature = signer.sign(suiteCase.request, suiteCase.credentials, suiteCase.time);
  ASSERT_TRUE(signature.ok()) << signature.error().describe();
  EXPECT_EQ(signature->canonicalRequest, readText(dir / "header-canonical-request.txt"));
  EXPECT_EQ(signature->stringToSign, readText(dir / "header-string-to-sign.txt"));
  EXPECT_EQ(signature->signature, readText(dir / "header-signature.txt"));

  // The signed request: the original headers plus ours must be exactly the suite's headers, Authorization included.
  const RawRequest expected = parseRawRequest(readText(dir / "header-signed-request.txt"));
  http::Headers actual = suiteCase.raw.headers;
  for (const auto& header : signature->headers) actual.push_back(header);
  EXPECT_EQ(headerSet(actual), headerSet(expected.headers));
  EXPECT_EQ(expected.target, suiteCase.raw.target);
  EXPECT_EQ(expected.body, suiteCase.raw.body);
}

TEST_P(SigV4SuiteTest, QuerySigningMatchesCanonicalRequestStringToSignAndUrl) {
  const fs::path dir = kSuiteDir / GetParam();
  const SuiteCase suiteCase = loadCase(GetParam());
  const SigV4Signer signer(suiteCase.region, suiteCase.service, suiteCase.options);

  const auto presignature = signer.presign(suiteCase.request, suiteCase.credentials, suiteCase.time, suiteCase.expires);
  ASSERT_TRUE(presignature.ok()) << presignature.error().describe();
  EXPECT_EQ(presignature->canonicalRequest, readText(dir / "query-canonical-request.txt"));
  EXPECT_EQ(presignature->stringToSign, readText(dir / "query-string-to-sign.txt"));
  EXPECT_EQ(presignature->signature, readText(dir / "query-signature.txt"));

  const RawRequest expected = parseRawRequest(readText(dir / "query-signed-request.txt"));
  EXPECT_EQ(expected.target, suiteCase.request.path + "?" + presignature->query);
  EXPECT_EQ(headerSet(expected.headers), headerSet(suiteCase.raw.headers));
}

INSTANTIATE_TEST_SUITE_P(AwsCAuth, SigV4SuiteTest, ::testing::ValuesIn(suiteCaseNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// --- botocore's signature of a SageMaker JSON-1.1 request ----------------------------------------------

struct BotocoreVector {
  bool withToken = false;
  std::string body;
  std::string target;
  std::string contentType;
  std::string amzDate;
  std::string token;
  std::string authorization;
  std::string canonicalRequest;
  std::string stringToSign;
};

std::string afterPrefix(const std::string& line, const std::string& prefix) {
  return line.rfind(prefix, 0) == 0 ? line.substr(prefix.size()) : std::string{};
}

// The file holds blocks "=== ..., session token: True|False", header lines, then "--- canonical request:" and
// "--- string to sign:" sections.
std::vector<BotocoreVector> loadBotocoreVectors() {
  const std::string text = readText(kVectorDir / "sagemaker-describe-training-job-botocore.txt");
  std::vector<BotocoreVector> vectors;
  std::string* section = nullptr;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.rfind("=== ", 0) == 0) {
      vectors.emplace_back();
      vectors.back().withToken = line.find("session token: True") != std::string::npos;
      section = nullptr;
      continue;
    }
    if (vectors.empty()) continue;
    BotocoreVector& vector = vectors.back();
    if (line == "--- canonical request:") {
      section = &vector.canonicalRequest;
    } else if (line == "--- string to sign:") {
      section = &vector.stringToSign;
    } else if (section != nullptr) {
      if (!section->empty()) *section += '\n';
      *section += line;
    } else if (const auto body = afterPrefix(line, "Body: b'"); !body.empty()) {
      vector.body = body.substr(0, body.size() - 1);
    } else if (const auto target = afterPrefix(line, "X-Amz-Target: "); !target.empty()) {
      vector.target = target;
    } else if (const auto contentType = afterPrefix(line, "Content-Type: "); !contentType.empty()) {
      vector.contentType = contentType;
    } else if (const auto amzDate = afterPrefix(line, "X-Amz-Date: "); !amzDate.empty()) {
      vector.amzDate = amzDate;
    } else if (const auto token = afterPrefix(line, "X-Amz-Security-Token: "); !token.empty()) {
      vector.token = token;
    } else if (const auto authorization = afterPrefix(line, "Authorization: "); !authorization.empty()) {
      vector.authorization = authorization;
    }
  }
  return vectors;
}

TEST(SigV4Signer, MatchesBotocoreForSageMakerDescribeTrainingJob) {
  const auto vectors = loadBotocoreVectors();
  ASSERT_EQ(vectors.size(), 2u);
  EXPECT_NE(vectors[0].withToken, vectors[1].withToken);
  for (const auto& vector : vectors) {
    SCOPED_TRACE(vector.withToken ? "with session token" : "without session token");
    ASSERT_EQ(vector.token.empty(), !vector.withToken);
    EXPECT_EQ(sha256Hex(vector.body), "38fdf49d55e9d3884b837cfe874a760f194a3498a977f436824827804e2c2b41");

    AwsCredentials credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", vector.token, {}, "test"};
    http::HttpRequest request;
    request.method = "POST";
    request.url = "https://api.sagemaker.us-east-1.amazonaws.com/";
    request.headers = {{"Content-Type", vector.contentType}, {"X-Amz-Target", vector.target}};
    request.body = vector.body;
    const SigV4Signer signer("us-east-1", "sagemaker");
    const auto time = parseIso8601("2024-01-02T03:04:05Z").value();
    ASSERT_EQ(formatAmzDate(time), vector.amzDate);

    auto parsed = SigV4Request::fromUrl(request.method, request.url, request.headers, request.body);
    ASSERT_TRUE(parsed.ok());
    const auto signature = signer.sign(*parsed, credentials, time);
    ASSERT_TRUE(signature.ok()) << signature.error().describe();
    EXPECT_EQ(signature->canonicalRequest, vector.canonicalRequest);
    EXPECT_EQ(signature->stringToSign, vector.stringToSign);
    EXPECT_EQ(signature->authorization, vector.authorization);

    // The same through signHttpRequest, which is what the SageMaker backend calls.
    ASSERT_TRUE(signer.signHttpRequest(request, credentials, time).ok());
    const http::HttpResponse asHeaders{0, request.headers, ""};
    EXPECT_EQ(asHeaders.header("Authorization").value_or(""), vector.authorization);
    EXPECT_EQ(asHeaders.header("Host").value_or(""), "api.sagemaker.us-east-1.amazonaws.com");
    EXPECT_EQ(asHeaders.header("X-Amz-Date").value_or(""), vector.amzDate);
    EXPECT_EQ(asHeaders.header("X-Amz-Security-Token").value_or(""), vector.token);
  }
}

// --- behaviour beyond the vectors -----------------------------------------------------------------------

const AwsCredentials kCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", {}, "test"};

std::chrono::system_clock::time_point suiteTime() { return parseIso8601("2015-08-30T12:36:00Z").value(); }

SigV4Request vanilla(std::string path, std::string query = {}) {
  SigV4Request request;
  request.path = std::move(path);
  request.query = std::move(query);
  request.headers = {{"Host", "example.amazonaws.com"}};
  return request;
}

std::string canonicalLine(const std::string& canonicalRequest, int index) {
  size_t start = 0;
  for (int i = 0; i < index; ++i) start = canonicalRequest.find('\n', start) + 1;
  return canonicalRequest.substr(start, canonicalRequest.find('\n', start) - start);
}

TEST(SigV4Signer, CanonicalUriPerPathMode) {
  struct Case {
    std::string path;
    bool s3;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"/a%20b/", false, "/a%2520b/"},           // services other than S3 encode the wire path again
      {"/a%20b/", true, "/a%20b/"},              // S3 signs the path once encoded
      {"/a b", true, "/a%20b"},                  // raw bytes are encoded either way
      {"/a%2fb", true, "/a/b"},                  // S3 decodes before encoding, keeping '/'
      {"/a=b@c", true, "/a%3Db%40c"},            // reserved characters are encoded
      {"/a/./b/../c//", false, "/a/c/"},         // normalized for other services
      {"/a/./b/../c//", true, "/a/./b/../c//"},  // never for S3
      {"", false, "/"},
      {"/%zz", false, "/%25zz"},
      {"/%zz", true, "/%25zz"},  // a broken escape is a literal '%'
  };
  for (const auto& c : cases) {
    const SigV4Signer signer("us-east-1", c.s3 ? "s3" : "service", c.s3 ? SigV4Options::forS3() : SigV4Options{});
    const auto signature = signer.sign(vanilla(c.path), kCredentials, suiteTime());
    ASSERT_TRUE(signature.ok()) << signature.error().describe();
    EXPECT_EQ(canonicalLine(signature->canonicalRequest, 1), c.want) << c.path << (c.s3 ? " (s3)" : "");
  }
}

TEST(SigV4Signer, CanonicalQuery) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"b=2&a=1", "a=1&b=2"},
      {"a=2&a=1", "a=1&a=2"},        // same name: sorted by value
      {"flag&a=1", "a=1&flag="},     // no '=' means an empty value
      {"a=1&&b=", "a=1&b="},         // empty pairs vanish
      {"k=a+b c", "k=a%2Bb%20c"},    // '+' is a plus, not a space
      {"k=x%2fy/z", "k=x%2Fy%2Fz"},  // decoded then encoded, '/' included
      {"k=%E1%88%B4&%e1%88%b4=v", "%E1%88%B4=v&k=%E1%88%B4"},
      {"prefix=a=b", "prefix=a%3Db"},  // only the first '=' splits
  };
  const SigV4Signer signer("us-east-1", "service");
  for (const auto& [query, want] : cases) {
    const auto signature = signer.sign(vanilla("/", query), kCredentials, suiteTime());
    ASSERT_TRUE(signature.ok());
    EXPECT_EQ(canonicalLine(signature->canonicalRequest, 2), want) << query;
  }
}

TEST(SigV4Signer, HeadersThatProxiesRewriteAreNotSigned) {
  SigV4Request request = vanilla("/");
  request.headers.emplace_back("User-Agent", "launch/1.0");
  request.headers.emplace_back("Expect", "100-continue");
  request.headers.emplace_back("X-Amzn-Trace-Id", "Root=1");
  request.headers.emplace_back("Authorization", "stale");
  request.headers.emplace_back("X-Amz-Date", "19990101T000000Z");  // stale, from an earlier attempt
  request.headers.emplace_back("X-Amz-Target", "SageMaker.ListTrainingJobs");
  const auto signature = SigV4Signer("us-east-1", "service").sign(request, kCredentials, suiteTime());
  ASSERT_TRUE(signature.ok());
  EXPECT_NE(signature->authorization.find("SignedHeaders=host;x-amz-date;x-amz-target,"), std::string::npos)
      << signature->authorization;
  EXPECT_EQ(signature->canonicalRequest.find("19990101"), std::string::npos);
}

TEST(SigV4Signer, S3AddsContentSha256AndHonoursAPrecomputedPayloadHash) {
  SigV4Request request = vanilla("/bucket/key");
  request.method = "PUT";
  request.body = "ignored when a hash is given";
  request.payloadHash = "UNSIGNED-PAYLOAD";
  const auto signature = SigV4Signer("us-east-1", "s3", SigV4Options::forS3()).sign(request, kCredentials, suiteTime());
  ASSERT_TRUE(signature.ok());
  EXPECT_NE(signature->canonicalRequest.find("x-amz-content-sha256:UNSIGNED-PAYLOAD\n"), std::string::npos);
  EXPECT_TRUE(signature->canonicalRequest.ends_with("\nUNSIGNED-PAYLOAD")) << signature->canonicalRequest;
  const http::HttpResponse asHeaders{0, signature->headers, ""};
  EXPECT_EQ(asHeaders.header("X-Amz-Content-Sha256").value_or(""), "UNSIGNED-PAYLOAD");

  request.payloadHash = "not-a-hash";
  EXPECT_EQ(SigV4Signer("us-east-1", "s3", SigV4Options::forS3()).sign(request, kCredentials, suiteTime()).error().code,
            ErrorCode::Invalid);
}

TEST(SigV4Signer, RejectsRequestsItCannotSign) {
  const SigV4Signer signer("us-east-1", "service");
  SigV4Request noHost = vanilla("/");
  noHost.headers.clear();
  SigV4Request relativePath = vanilla("relative");
  AwsCredentials noSecret = kCredentials;
  noSecret.secretAccessKey.clear();

  const struct {
    const char* name;
    Result<SigV4Signature> result;
    ErrorCode code;
    const char* mentions;
  } cases[] = {
      {"no host", signer.sign(noHost, kCredentials, suiteTime()), ErrorCode::Invalid, "Host"},
      {"relative path", signer.sign(relativePath, kCredentials, suiteTime()), ErrorCode::Invalid, "start with '/'"},
      {"no secret", signer.sign(vanilla("/"), noSecret, suiteTime()), ErrorCode::Unauthorized, "secret access key"},
      {"no region", SigV4Signer("", "service").sign(vanilla("/"), kCredentials, suiteTime()), ErrorCode::Invalid,
       "region"},
  };
  for (const auto& c : cases) {
    ASSERT_FALSE(c.result.ok()) << c.name;
    EXPECT_EQ(c.result.error().code, c.code) << c.name;
    EXPECT_NE(c.result.error().message.find(c.mentions), std::string::npos)
        << c.name << ": " << c.result.error().message;
  }
}

TEST(SigV4Signer, SignHttpRequestReplacesAnEarlierSignature) {
  const SigV4Signer signer("us-east-1", "sagemaker");
  AwsCredentials credentials = kCredentials;
  credentials.sessionToken = "token-1";
  http::HttpRequest request;
  request.method = "POST";
  request.url = "https://api.sagemaker.us-east-1.amazonaws.com:443/?x=1#fragment";
  request.body = "{}";
  ASSERT_TRUE(signer.signHttpRequest(request, credentials, suiteTime()).ok());
  credentials.sessionToken = "token-2";
  ASSERT_TRUE(signer.signHttpRequest(request, credentials, suiteTime() + std::chrono::minutes(5)).ok());

  auto count = [&](const std::string& name) {
    return std::count_if(request.headers.begin(), request.headers.end(),
                         [&](const auto& header) { return toLower(header.first) == name; });
  };
  EXPECT_EQ(count("authorization"), 1);
  EXPECT_EQ(count("x-amz-date"), 1);
  EXPECT_EQ(count("x-amz-security-token"), 1);
  EXPECT_EQ(count("host"), 1);
  const http::HttpResponse asHeaders{0, request.headers, ""};
  EXPECT_EQ(asHeaders.header("Host").value_or(""), "api.sagemaker.us-east-1.amazonaws.com");
  EXPECT_EQ(asHeaders.header("X-Amz-Date").value_or(""), "20150830T124100Z");
  EXPECT_EQ(asHeaders.header("X-Amz-Security-Token").value_or(""), "token-2");
}

TEST(SigV4Signer, FromUrlKeepsNonDefaultPortsInHost) {
  const struct {
    const char* url;
    const char* host;
    const char* path;
    const char* query;
  } cases[] = {
      {"http://127.0.0.1:8080/a?b=c", "127.0.0.1:8080", "/a", "b=c"},
      {"http://example.com:80", "example.com", "/", ""},
      {"https://[::1]:8443/x", "[::1]:8443", "/x", ""},
      {"https://[::1]/x", "[::1]", "/x", ""},
      {"https://user@example.com/p?q", "example.com", "/p", "q"},
  };
  for (const auto& c : cases) {
    const auto request = SigV4Request::fromUrl("GET", c.url);
    ASSERT_TRUE(request.ok()) << c.url;
    const http::HttpResponse asHeaders{0, request->headers, ""};
    EXPECT_EQ(asHeaders.header("Host").value_or(""), c.host) << c.url;
    EXPECT_EQ(request->path, c.path) << c.url;
    EXPECT_EQ(request->query, c.query) << c.url;
  }
  const auto noScheme = SigV4Request::fromUrl("GET", "example.com/x?X-Amz-Security-Token=SECRETTOKEN");
  ASSERT_FALSE(noScheme.ok());
  EXPECT_EQ(noScheme.error().code, ErrorCode::Invalid);
  EXPECT_EQ(noScheme.error().message.find("SECRETTOKEN"), std::string::npos) << noScheme.error().message;
  EXPECT_FALSE(SigV4Request::fromUrl("GET", "https:///x").ok());
}

TEST(SigV4Signer, DerivesTheSigningKeyOfTheAwsDocumentation) {
  // docs.aws.amazon.com: secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215, us-east-1, iam.
  const std::string dateKey = hmacSha256("AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215");
  const std::string signingKey = hmacSha256(hmacSha256(hmacSha256(dateKey, "us-east-1"), "iam"), "aws4_request");
  EXPECT_EQ(toHex(signingKey), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(AwsTimestamp, FormatsAndParses) {
  const auto time = parseIso8601("2015-08-30T12:36:00Z");
  ASSERT_TRUE(time.has_value());
  EXPECT_EQ(formatAmzDate(*time), "20150830T123600Z");
  EXPECT_EQ(parseIso8601("2015-08-30T14:36:00+02:00"), time);
  EXPECT_EQ(parseIso8601("2015-08-30T12:36:00.000Z"), time);
  EXPECT_EQ(parseIso8601("2015-08-30T12:36:00.5Z"), *time + std::chrono::milliseconds(500));
  for (const char* bad : {"", "2015-08-30", "2015-08-30T12:36:00", "2015-13-30T12:36:00Z", "2015-02-30T12:36:00Z",
                          "2015-08-30T12:36:00Zjunk", "2015-08-30T12:36:00.Z"}) {
    EXPECT_FALSE(parseIso8601(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace launch::cloud
