// Integration: s3:// archive sources fetched by SourceCheckout from the real moto_server S3 (path-style, SigV4
// signed by the same S3Client the build context store uses): a tar.gz uploaded to a bucket is unpacked with its
// modes and named by its sha256; missing keys and buckets, digest mismatches and escaping entries are refused.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "build/ArchiveFetcher.hpp"
#include "build/SourceCheckout.hpp"
#include "cloud/S3Client.hpp"
#include "cloud/SigV4Signer.hpp"
#include "support/MotoServer.hpp"
#include "util/Crypto.hpp"
#include "util/TarArchive.hpp"

namespace launch::testing {
namespace {

namespace fs = std::filesystem;

const std::string kBucket = "launch-sources";

class MotoAws final : public cloud::AwsCredentialProvider {
 public:
  Result<cloud::AwsCredentials> credentials() override {
    return cloud::AwsCredentials{"AKIAMOTOTEST", "motoSecretKeyNotChecked", "", std::nullopt, "test"};
  }
  std::string name() const override { return "moto test keys"; }
};

MotoServer* moto = nullptr;

std::string readText(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class ArchiveSourceIT : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    moto = new MotoServer();
    const Status started = moto->start();
    if (!started) {
      delete moto;
      moto = nullptr;
      FAIL() << started.error().message;
    }
    // CreateBucket is not an object request: signed here directly.
    http::HttpClient http({});
    http::HttpRequest request;
    request.method = "PUT";
    request.url = moto->url() + "/" + kBucket;
    MotoAws aws;
    const cloud::SigV4Signer signer("us-east-1", "s3", cloud::SigV4Options::forS3());
    ASSERT_TRUE(signer.signHttpRequest(request, *aws.credentials(), std::chrono::system_clock::now()).ok());
    auto bucket = http.send(request);
    ASSERT_TRUE(bucket.ok() && bucket->status == 200) << (bucket ? bucket->body : bucket.error().message);
  }
  static void TearDownTestSuite() {
    delete moto;
    moto = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(moto, nullptr) << "moto_server did not start";
    dir_ = fs::temp_directory_path() / ("launch-archive-it-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    build::BuildContextStoreClients clients;
    clients.http = &http_;
    clients.aws = aws_;
    clients.awsRegion = "us-east-1";
    clients.s3Endpoint = moto->url();
    checkout_ = std::make_unique<build::SourceCheckout>(http_, build::makeArchiveFetchers(clients));
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Uploads through the shared S3 client, as PutObject.
  void upload(const std::string& key, const std::string& body) {
    cloud::S3Client s3(http_, aws_, {"us-east-1", moto->url(), {}});
    auto put = s3.send("PUT", kBucket, key, body, "application/gzip");
    ASSERT_TRUE(put.ok()) << put.error().message;
    ASSERT_EQ(put->status, 200) << put->body;
  }

  http::HttpClient http_{http::HttpClientOptions{}};
  std::shared_ptr<cloud::AwsCredentialProvider> aws_ = std::make_shared<MotoAws>();
  std::unique_ptr<build::SourceCheckout> checkout_;
  fs::path dir_;
};

TEST_F(ArchiveSourceIT, AnUploadedTarGzIsFetchedUnpackedAndNamedByItsDigest) {
  auto archive =
      writeTar({{"train.py", "print('train')\n", 0755}, {"conf/params.yaml", "lr: 0.1\n", 0644}}, TarCompression::Gzip);
  ASSERT_TRUE(archive);
  const std::string digest = sha256Hex(*archive);
  // A key with spaces and '+' checks that the signed path is the one moto reads.
  for (const std::string key : {"ml/code.tar.gz", "ml/run 1/code+v2.tar.gz"}) {
    upload(key, *archive);
    const fs::path dir = dir_ / std::to_string(std::hash<std::string>()(key));
    std::string url = "s3://" + kBucket;
    url += "/" + key;
    auto out = checkout_->fetch(api::ArchiveSource{url, digest}, dir);
    ASSERT_TRUE(out.ok()) << key << ": " << out.error().message;
    EXPECT_EQ(out->identity, "sha256:" + digest);
    EXPECT_EQ(out->context, dir);
    EXPECT_EQ(readText(dir / "train.py"), "print('train')\n");
    EXPECT_EQ(readText(dir / "conf" / "params.yaml"), "lr: 0.1\n");
    EXPECT_NE(fs::status(dir / "train.py").permissions() & fs::perms::owner_exec, fs::perms::none);
  }
}

TEST_F(ArchiveSourceIT, WhatCannotBeFetchedSaysWhatToFix) {
  auto archive = writeTar({{"train.py", "x\n", 0644}}, TarCompression::Gzip);
  auto evil = writeTar({{"../../etc/evil", "x\n", 0644}}, TarCompression::Gzip);
  ASSERT_TRUE(archive && evil);
  upload("ok.tar.gz", *archive);
  upload("evil.tar.gz", *evil);
  struct Case {
    std::string name;
    api::ArchiveSource source;
    std::string prefix;
    std::string mention;
  };
  const Case cases[] = {
      {"missing key", {"s3://" + kBucket + "/nope.tar.gz", ""}, "spec.source.archive.url", "NoSuchKey"},
      {"missing bucket",
       {"s3://no-such-bucket-here/ok.tar.gz", ""},
       "spec.source.archive.url",
       "no bucket no-such-bucket-here"},
      {"digest mismatch",
       {"s3://" + kBucket + "/ok.tar.gz", std::string(64, 'a')},
       "spec.source.archive.sha256",
       sha256Hex(*archive)},
      {"escaping entry", {"s3://" + kBucket + "/evil.tar.gz", ""}, "spec.source.archive.url", "outside"},
  };
  for (const auto& c : cases) {
    const fs::path dir = dir_ / "failed";
    auto out = checkout_->fetch(c.source, dir);
    ASSERT_FALSE(out.ok()) << c.name;
    EXPECT_EQ(out.error().code, ErrorCode::Invalid) << c.name << ": " << out.error().message;
    EXPECT_EQ(out.error().message.rfind(c.prefix, 0), 0U) << c.name << ": " << out.error().message;
    EXPECT_NE(out.error().message.find(c.mention), std::string::npos) << c.name << ": " << out.error().message;
    EXPECT_EQ(out.error().message.find("motoSecretKeyNotChecked"), std::string::npos) << c.name;
    EXPECT_FALSE(fs::exists(dir)) << c.name;
  }
}

}  // namespace
}  // namespace launch::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
