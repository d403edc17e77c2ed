// Tests of s3:// and gs:// archive sources: SourceCheckout with the S3 and Cloud Storage fetchers against
// FakeS3 (which checks every SigV4 signature) and FakeGcs (found, missing, denied, digest mismatch, escaping
// paths, throttling, refused credentials), and the errors when a fetcher or credentials are missing.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "build/ArchiveFetcher.hpp"
#include "build/GcsArchiveFetcher.hpp"
#include "build/S3ArchiveFetcher.hpp"
#include "build/SourceCheckout.hpp"
#include "cloud/AwsEnvironment.hpp"
#include "cloud/GoogleCachedTokenSource.hpp"
#include "fakes/FakeGcs.hpp"
#include "fakes/FakeS3.hpp"
#include "util/Crypto.hpp"
#include "util/TarArchive.hpp"

namespace launch::build {
namespace {

namespace fs = std::filesystem;
using testing::FakeGcs;
using testing::FakeS3;

class FixedAws final : public cloud::AwsCredentialProvider {
 public:
  FixedAws(std::string id, std::string secret) : id_(std::move(id)), secret_(std::move(secret)) {}
  Result<cloud::AwsCredentials> credentials() override {
    return cloud::AwsCredentials{id_, secret_, "", std::nullopt, "test"};
  }
  std::string name() const override { return "test keys"; }

 private:
  std::string id_;
  std::string secret_;
};

class NoAws final : public cloud::AwsCredentialProvider {
 public:
  Result<cloud::AwsCredentials> credentials() override {
    return makeError(ErrorCode::NotFound, "no credentials in the environment, profile or instance metadata");
  }
  std::string name() const override { return "default chain"; }
};

// Hands out the tokens in order, the last one forever; counts the calls.
class TokenSequence final : public cloud::GoogleTokenSource {
 public:
  explicit TokenSequence(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {}
  Result<cloud::AccessToken> token() override {
    const std::size_t i = std::min<std::size_t>(calls_++, tokens_.size() - 1);
    return cloud::AccessToken{tokens_[i], SystemClock::instance().now() + std::chrono::hours(1)};
  }
  std::string describe() const override { return "service account test@example.iam.gserviceaccount.com"; }
  int calls() const { return calls_; }

 private:
  std::vector<std::string> tokens_;
  std::atomic<int> calls_{0};
};

std::string readText(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Fast retries, so throttling tests take milliseconds.
cloud::RetryOptions quickRetries() {
  cloud::RetryOptions options;
  options.baseDelay = std::chrono::milliseconds(1);
  options.throttledBaseDelay = std::chrono::milliseconds(1);
  options.maxDelay = std::chrono::milliseconds(5);
  return options;
}

// One row of the tables below: fetch `url` (with `sha256`) and expect success or an error whose message
// starts with `prefix` and holds `mentions`.
struct Case {
  std::string name;
  std::string url;
  std::string sha256;
  bool ok = false;
  std::string prefix = "spec.source.archive.url";
  std::vector<std::string> mentions;
};

class ArchiveFetcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("launch-archive-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    auto good = writeTar({{"train.py", "print('hi')\n", 0755}, {"pkg/data.txt", "data\n", 0644}}, TarCompression::Gzip);
    ASSERT_TRUE(good);
    archive_ = *good;
    auto evil = writeTar({{"../evil", "x", 0644}}, TarCompression::Gzip);
    ASSERT_TRUE(evil);
    evil_ = *evil;
  }
  void TearDown() override { fs::remove_all(base_); }

  // Runs the cases one after another into fresh directories; `secrets` must appear in no error.
  void run(SourceCheckout& checkout, const std::vector<Case>& cases, const std::vector<std::string>& secrets) {
    int n = 0;
    for (const auto& c : cases) {
      const fs::path dir = base_ / ("case" + std::to_string(n++));
      auto out = checkout.fetch(api::ArchiveSource{c.url, c.sha256}, dir);
      ASSERT_EQ(out.ok(), c.ok) << c.name << ": " << (out ? out->identity : out.error().message);
      if (out) {
        EXPECT_EQ(out->identity, "sha256:" + sha256Hex(archive_)) << c.name;
        EXPECT_EQ(readText(dir / "pkg" / "data.txt"), "data\n") << c.name;
        EXPECT_TRUE((fs::status(dir / "train.py").permissions() & fs::perms::owner_exec) != fs::perms::none);
        continue;
      }
      const std::string& message = out.error().message;
      EXPECT_EQ(out.error().code, ErrorCode::Invalid) << c.name << ": " << message;
      EXPECT_EQ(message.rfind(c.prefix, 0), 0U) << c.name << ": " << message;
      for (const auto& m : c.mentions) EXPECT_NE(message.find(m), std::string::npos) << c.name << ": " << message;
      for (const auto& s : secrets) EXPECT_EQ(message.find(s), std::string::npos) << c.name << " leaks a secret";
      EXPECT_FALSE(fs::exists(dir)) << c.name << ": nothing is unpacked from a failed fetch";
    }
  }

  fs::path base_;
  std::string archive_;
  std::string evil_;
};

// --- S3 ---

class S3ArchiveTest : public ArchiveFetcherTest {
 protected:
  std::shared_ptr<S3ArchiveFetcher> fetcher(const std::string& secret = {}) {
    return std::make_shared<S3ArchiveFetcher>(
        http_, std::make_shared<FixedAws>(s3_.accessKeyId(), secret.empty() ? s3_.secret() : secret),
        cloud::S3ClientOptions{"eu-west-1", s3_.url() + "/", quickRetries()});
  }
  FakeS3 s3_{"sources", "eu-west-1"};
  http::HttpClient http_{http::HttpClientOptions{}};  // after the fake: closes its connections first
};

TEST_F(S3ArchiveTest, FetchesWithASignedPathStyleGetObjectAndSaysWhatToFix) {
  s3_.putObject("ml/code v1.tar.gz", archive_);
  s3_.putObject("ml/evil.tar.gz", evil_);
  s3_.putObject("ml/private.tar.gz", archive_);
  s3_.denyKey("ml/private.tar.gz");
  SourceCheckout checkout(http_, ArchiveFetchers{fetcher(), nullptr});
  const std::string digest = sha256Hex(archive_);
  run(checkout,
      {
          {"found, digest checked", "s3://sources/ml/code v1.tar.gz", digest, true, "", {}},
          {"found, no digest", "s3://sources/ml/code v1.tar.gz", "", true, "", {}},
          {"missing object",
           "s3://sources/ml/missing.tar.gz",
           "",
           false,
           "spec.source.archive.url",
           {"s3://sources/ml/missing.tar.gz", "no such object", "NoSuchKey", "check the key"}},
          {"missing bucket",
           "s3://elsewhere/ml/code.tar.gz",
           "",
           false,
           "spec.source.archive.url",
           {"no bucket elsewhere", "NoSuchBucket", "eu-west-1"}},
          {"denied",
           "s3://sources/ml/private.tar.gz",
           "",
           false,
           "spec.source.archive.url",
           {"access denied", "AccessDenied", "s3:GetObject on arn:aws:s3:::sources/ml/private.tar.gz"}},
          {"digest mismatch",
           "s3://sources/ml/code v1.tar.gz",
           std::string(64, '0'),
           false,
           "spec.source.archive.sha256",
           {digest}},
          {"escaping path", "s3://sources/ml/evil.tar.gz", "", false, "spec.source.archive.url", {"../evil"}},
          {"no key", "s3://sources/", "", false, "spec.source.archive.url", {"no object"}},
          {"no bucket", "s3:///key", "", false, "spec.source.archive.url", {"no bucket"}},
      },
      {s3_.secret()});
  const auto calls = s3_.calls();
  ASSERT_FALSE(calls.empty());
  for (const auto& call : calls) {
    EXPECT_EQ(call.method, "GET");
    EXPECT_EQ(call.rejection, "") << call.target;
  }
  EXPECT_EQ(calls[0].target, "/sources/ml/code%20v1.tar.gz");
  EXPECT_NE(calls[0].headers.at("authorization").find("/eu-west-1/s3/aws4_request"), std::string::npos);
}

TEST_F(S3ArchiveTest, RefusedCredentialsAreNamedWithoutTheSecret) {
  s3_.putObject("code.tar.gz", archive_);
  SourceCheckout checkout(http_, ArchiveFetchers{fetcher("not-the-secret-key"), nullptr});
  run(checkout,
      {{"wrong secret",
        "s3://sources/code.tar.gz",
        "",
        false,
        "spec.source.archive.url",
        {"refused the operator's AWS credentials", "SignatureDoesNotMatch", "test keys"}}},
      {"not-the-secret-key", s3_.secret()});
}

TEST_F(S3ArchiveTest, RetriesThrottlingAndSignsEachAttempt) {
  s3_.putObject("code.tar.gz", archive_);
  s3_.throttleNext(2);
  SourceCheckout checkout(http_, ArchiveFetchers{fetcher(), nullptr});
  run(checkout, {{"throttled twice", "s3://sources/code.tar.gz", "", true, "", {}}}, {});
  const auto calls = s3_.calls();
  ASSERT_EQ(calls.size(), 3U);
  for (const auto& call : calls) EXPECT_EQ(call.rejection, "");
  EXPECT_NE(calls[0].headers.at("x-amz-date"), "");
}

TEST_F(S3ArchiveTest, ThrottlingPastTheLastAttemptIsUnavailableForALaterTry) {
  s3_.putObject("code.tar.gz", archive_);
  s3_.throttleNext(10);
  auto out = fetcher()->download("s3://sources/code.tar.gz");
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::Unavailable) << out.error().message;
  EXPECT_EQ(out.error().httpStatus, 503);
  EXPECT_NE(out.error().message.find("SlowDown"), std::string::npos) << out.error().message;
  EXPECT_EQ(s3_.calls().size(), 3U);
}

TEST_F(S3ArchiveTest, NoCredentialsSayWhatToConfigure) {
  S3ArchiveFetcher none(http_, std::make_shared<NoAws>(), cloud::S3ClientOptions{"eu-west-1", s3_.url(), {}});
  auto out = none.download("s3://sources/code.tar.gz");
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::Invalid);
  EXPECT_EQ(out.error().message.rfind("spec.source.archive.url: s3://sources/code.tar.gz", 0), 0U);
  EXPECT_NE(out.error().message.find("AWS default chain"), std::string::npos) << out.error().message;
  EXPECT_TRUE(s3_.calls().empty());
}

TEST(S3ClientUrls, AwsIsVirtualHostedAndEndpointsComeFromTheEnvironment) {
  http::HttpClient http({});
  const cloud::S3Client aws(http, std::make_shared<FixedAws>("a", "b"), {"us-west-2", "", {}});
  EXPECT_EQ(aws.objectUrl("data", "ml/a b.tar.gz"), "https://data.s3.us-west-2.amazonaws.com/ml/a%20b.tar.gz");
  const cloud::S3Client minio(http, std::make_shared<FixedAws>("a", "b"), {"us-east-1", "http://minio:9000/", {}});
  EXPECT_EQ(minio.objectUrl("data", "a.tar.gz"), "http://minio:9000/data/a.tar.gz");

  cloud::AwsMapEnvironment environment;
  EXPECT_EQ(cloud::s3EndpointFromEnvironment(environment), "");
  environment.set("AWS_ENDPOINT_URL", "http://all:1");
  EXPECT_EQ(cloud::s3EndpointFromEnvironment(environment), "http://all:1");
  environment.set("AWS_ENDPOINT_URL_S3", "http://s3:2");
  EXPECT_EQ(cloud::s3EndpointFromEnvironment(environment), "http://s3:2");
}

// --- Cloud Storage ---

class GcsArchiveTest : public ArchiveFetcherTest {
 protected:
  std::shared_ptr<GcsArchiveFetcher> fetcher(std::shared_ptr<cloud::GoogleTokenSource> tokens) {
    return std::make_shared<GcsArchiveFetcher>(http_, std::move(tokens),
                                               cloud::GcsClientOptions{gcs_.url(), quickRetries()});
  }
  FakeGcs gcs_{"ml-sources", "ya29.good-token"};
  http::HttpClient http_{http::HttpClientOptions{}};  // after the fake: closes its connections first
};

TEST_F(GcsArchiveTest, FetchesWithTheMediaDownloadAndSaysWhatToFix) {
  gcs_.putObject("ml/code.tar.gz", archive_);
  gcs_.putObject("ml/evil.tar.gz", evil_);
  gcs_.putObject("ml/private.tar.gz", archive_);
  gcs_.denyObject("ml/private.tar.gz");
  SourceCheckout checkout(
      http_,
      ArchiveFetchers{nullptr, fetcher(std::make_shared<TokenSequence>(std::vector<std::string>{"ya29.good-token"}))});
  const std::string digest = sha256Hex(archive_);
  run(checkout,
      {
          {"found, digest checked", "gs://ml-sources/ml/code.tar.gz", digest, true, "", {}},
          {"missing object",
           "gs://ml-sources/ml/missing.tar.gz",
           "",
           false,
           "spec.source.archive.url",
           {"gs://ml-sources/ml/missing.tar.gz", "no such object", "No such object: ml-sources/ml/missing.tar.gz"}},
          {"denied",
           "gs://ml-sources/ml/private.tar.gz",
           "",
           false,
           "spec.source.archive.url",
           {"access denied", "storage.objects.get on bucket ml-sources", "test@example.iam.gserviceaccount.com"}},
          {"digest mismatch",
           "gs://ml-sources/ml/code.tar.gz",
           std::string(64, '0'),
           false,
           "spec.source.archive.sha256",
           {digest}},
          {"escaping path", "gs://ml-sources/ml/evil.tar.gz", "", false, "spec.source.archive.url", {"../evil"}},
          {"no object", "gs://ml-sources", "", false, "spec.source.archive.url", {"no object"}},
      },
      {"ya29.good-token"});
  const auto calls = gcs_.calls();
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls[0].method, "GET");
  EXPECT_EQ(calls[0].target, "/storage/v1/b/ml-sources/o/ml%2Fcode.tar.gz?alt=media");
  EXPECT_EQ(calls[0].authorization, "Bearer ya29.good-token");
}

TEST_F(GcsArchiveTest, ARefusedTokenIsNamedWithoutTheToken) {
  gcs_.putObject("code.tar.gz", archive_);
  SourceCheckout checkout(
      http_,
      ArchiveFetchers{nullptr, fetcher(std::make_shared<TokenSequence>(std::vector<std::string>{"ya29.stale"}))});
  run(checkout,
      {{"refused token",
        "gs://ml-sources/code.tar.gz",
        "",
        false,
        "spec.source.archive.url",
        {"refused the operator's Google credentials", "Invalid Credentials"}}},
      {"ya29.stale", "ya29.good-token"});
}

TEST_F(GcsArchiveTest, ACachedTokenRefusedOnceIsReplacedAndServerErrorsAreRetried) {
  gcs_.putObject("code.tar.gz", archive_);
  gcs_.failNext(1);
  auto inner = std::make_unique<TokenSequence>(std::vector<std::string>{"ya29.revoked", "ya29.good-token"});
  TokenSequence* sequence = inner.get();
  auto cached = std::make_shared<cloud::GoogleCachedTokenSource>(std::move(inner), SystemClock::instance());
  SourceCheckout checkout(http_, ArchiveFetchers{nullptr, fetcher(cached)});
  run(checkout, {{"401 then 503 then found", "gs://ml-sources/code.tar.gz", "", true, "", {}}}, {});
  EXPECT_EQ(sequence->calls(), 2);
  const auto calls = gcs_.calls();
  ASSERT_EQ(calls.size(), 3U);
  EXPECT_EQ(calls[0].authorization, "Bearer ya29.revoked");
  EXPECT_EQ(calls[2].authorization, "Bearer ya29.good-token");
}

// --- the seam ---

TEST_F(ArchiveFetcherTest, AMissingFetcherNamesWhatToConfigure) {
  http::HttpClient http({});
  SourceCheckout checkout(http);
  run(checkout,
      {{"s3 without AWS",
        "s3://sources/code.tar.gz",
        "",
        false,
        "spec.source.archive.url",
        {"s3:// archives need AWS credentials for the operator", "AWS default chain"}},
       {"gs without Google",
        "gs://ml-sources/code.tar.gz",
        "",
        false,
        "spec.source.archive.url",
        {"gs:// archives need Google credentials", "GOOGLE_APPLICATION_CREDENTIALS"}},
       {"unknown scheme", "azure://x/y", "", false, "spec.source.archive.url", {"s3://", "gs://"}}},
      {});
}

TEST(ArchiveFetchers, AreMadeForTheCloudsThatHaveCredentials) {
  http::HttpClient http({});
  BuildContextStoreClients clients;
  EXPECT_FALSE(makeArchiveFetchers(clients).s3) << "no HTTP client, no fetchers";
  clients.http = &http;
  ArchiveFetchers none = makeArchiveFetchers(clients);
  EXPECT_FALSE(none.s3);
  EXPECT_FALSE(none.gcs);
  clients.aws = std::make_shared<FixedAws>("a", "b");
  ArchiveFetchers aws = makeArchiveFetchers(clients);
  EXPECT_TRUE(aws.s3);
  EXPECT_FALSE(aws.gcs);
  clients.google = std::make_shared<TokenSequence>(std::vector<std::string>{"t"});
  ArchiveFetchers both = makeArchiveFetchers(clients);
  EXPECT_TRUE(both.s3);
  EXPECT_TRUE(both.gcs);
}

TEST(ObjectUrls, AreTakenApart) {
  auto s3 = parseObjectUrl("s3://bucket/a/b.tar.gz", "s3");
  ASSERT_TRUE(s3);
  EXPECT_EQ(s3->bucket, "bucket");
  EXPECT_EQ(s3->object, "a/b.tar.gz");
  EXPECT_FALSE(parseObjectUrl("gs://bucket/a", "s3"));
  EXPECT_FALSE(parseObjectUrl("gs://bucket", "gs"));
  EXPECT_FALSE(parseObjectUrl("gs:///a", "gs"));
}

}  // namespace
}  // namespace launch::build
