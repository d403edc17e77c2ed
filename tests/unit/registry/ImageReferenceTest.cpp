// ImageReference: Docker's defaults and grammar, as tables of references that parse and that must not.
#include "registry/ImageReference.hpp"

#include <gtest/gtest.h>

#include <string>

namespace launch::registry {
namespace {

constexpr const char* kDigest = "sha256:4b7ce07a4d4fd8b0ed4e5ae1d4d5b4c1e9f2d1c8e0a3d0b8e4c9f8a7b6c5d4e3";

struct Parsed {
  const char* input;
  const char* registry;
  const char* repository;
  const char* tag;
  const char* digest;
  const char* full;
  const char* apiHost;
};

class ImageReferenceParses : public ::testing::TestWithParam<Parsed> {};

TEST_P(ImageReferenceParses, IntoTheExpectedParts) {
  const Parsed& c = GetParam();
  auto reference = ImageReference::parse(c.input);
  ASSERT_TRUE(reference.ok()) << reference.error().message;
  EXPECT_EQ(reference->registry, c.registry);
  EXPECT_EQ(reference->repository, c.repository);
  EXPECT_EQ(reference->tag, c.tag);
  EXPECT_EQ(reference->digest, c.digest);
  EXPECT_EQ(reference->toString(), c.full);
  EXPECT_EQ(reference->apiHost(), c.apiHost);
  // The full form reads back as the same reference.
  auto again = ImageReference::parse(reference->toString());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, *reference);
}

const std::string kWithDigest = std::string("busybox@") + kDigest;
const std::string kFullWithDigest = std::string("docker.io/library/busybox@") + kDigest;
const std::string kTagAndDigest = std::string("ghcr.io/org/app:v1@") + kDigest;
const std::string kFullTagAndDigest = std::string("ghcr.io/org/app:v1@") + kDigest;

INSTANTIATE_TEST_SUITE_P(
    Table, ImageReferenceParses,
    ::testing::Values(
        Parsed{"busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest",
               "registry-1.docker.io"},
        Parsed{"busybox:1.36", "docker.io", "library/busybox", "1.36", "", "docker.io/library/busybox:1.36",
               "registry-1.docker.io"},
        Parsed{"wandb/launch-agent:0.1", "docker.io", "wandb/launch-agent", "0.1", "",
               "docker.io/wandb/launch-agent:0.1", "registry-1.docker.io"},
        Parsed{"docker.io/busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest",
               "registry-1.docker.io"},
        Parsed{"index.docker.io/library/busybox", "docker.io", "library/busybox", "latest", "",
               "docker.io/library/busybox:latest", "registry-1.docker.io"},
        Parsed{"localhost/app", "localhost", "app", "latest", "", "localhost/app:latest", "localhost"},
        Parsed{"localhost:5000/team/app:dev", "localhost:5000", "team/app", "dev", "", "localhost:5000/team/app:dev",
               "localhost:5000"},
        Parsed{"127.0.0.1:5001/launch-it/private:t1", "127.0.0.1:5001", "launch-it/private", "t1", "",
               "127.0.0.1:5001/launch-it/private:t1", "127.0.0.1:5001"},
        Parsed{"123456789012.dkr.ecr.us-east-1.amazonaws.com/launch/train:3f2a1b9c",
               "123456789012.dkr.ecr.us-east-1.amazonaws.com", "launch/train", "3f2a1b9c", "",
               "123456789012.dkr.ecr.us-east-1.amazonaws.com/launch/train:3f2a1b9c",
               "123456789012.dkr.ecr.us-east-1.amazonaws.com"},
        Parsed{"us-central1-docker.pkg.dev/proj/repo/img", "us-central1-docker.pkg.dev", "proj/repo/img", "latest", "",
               "us-central1-docker.pkg.dev/proj/repo/img:latest", "us-central1-docker.pkg.dev"},
        Parsed{"[::1]:5000/app:x", "[::1]:5000", "app", "x", "", "[::1]:5000/app:x", "[::1]:5000"},
        // A first component without '.', ':' or "localhost" is a Docker Hub namespace, not a host.
        Parsed{"myhost/app", "docker.io", "myhost/app", "latest", "", "docker.io/myhost/app:latest",
               "registry-1.docker.io"},
        Parsed{"a/b__c/d-e--f.g_h:_T.a-g", "docker.io", "a/b__c/d-e--f.g_h", "_T.a-g", "",
               "docker.io/a/b__c/d-e--f.g_h:_T.a-g", "registry-1.docker.io"},
        Parsed{kWithDigest.c_str(), "docker.io", "library/busybox", "", kDigest, kFullWithDigest.c_str(),
               "registry-1.docker.io"},
        Parsed{kTagAndDigest.c_str(), "ghcr.io", "org/app", "v1", kDigest, kFullTagAndDigest.c_str(), "ghcr.io"}));

TEST(ImageReference, TheManifestReferenceIsTheDigestWhenThereIsOne) {
  auto tagged = ImageReference::parse("ghcr.io/org/app:v1");
  ASSERT_TRUE(tagged.ok());
  EXPECT_EQ(tagged->manifestReference(), "v1");
  auto pinned = ImageReference::parse(std::string("ghcr.io/org/app:v1@") + kDigest);
  ASSERT_TRUE(pinned.ok());
  EXPECT_EQ(pinned->manifestReference(), kDigest);
  EXPECT_EQ(pinned->name(), "ghcr.io/org/app");
}

struct Rejected {
  const char* input;
  const char* why;  // a fragment the error must contain
};

class ImageReferenceRejects : public ::testing::TestWithParam<Rejected> {};

TEST_P(ImageReferenceRejects, WithAnErrorThatQuotesTheInputAndSaysWhy) {
  const Rejected& c = GetParam();
  auto reference = ImageReference::parse(c.input);
  ASSERT_FALSE(reference.ok()) << "parsed as " << reference->toString();
  EXPECT_EQ(reference.error().code, ErrorCode::Invalid);
  EXPECT_NE(reference.error().message.find("\"" + std::string(c.input) + "\""), std::string::npos)
      << reference.error().message;
  EXPECT_NE(reference.error().message.find(c.why), std::string::npos) << reference.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, ImageReferenceRejects,
    ::testing::Values(
        Rejected{"", "empty"}, Rejected{"Busybox", "must be lowercase"},
        Rejected{"ghcr.io/Org/app", "must be lowercase"}, Rejected{"busybox:", "tag after ':' is empty"},
        Rejected{"busybox:-x", "may not start with '.' or '-'"}, Rejected{"busybox:a b", "white space"},
        Rejected{"busy..box", "path component \"busy..box\""}, Rejected{"app-", "path component \"app-\""},
        Rejected{"-app", "path component \"-app\""}, Rejected{"a//b", "path component \"\""},
        Rejected{"ghcr.io/", "repository name is empty"}, Rejected{"localhost:/app", "registry port is empty"},
        Rejected{"localhost:99999/app", "not a port number"}, Rejected{"bad_host.io/app", "not a valid host name"},
        Rejected{"busybox@sha256:abc", "64 lower-case hex digits"},
        Rejected{"busybox@md5:0123456789abcdef0123456789abcdef", "not supported"},
        Rejected{"busybox@", "sha256:<64 hex digits>"}, Rejected{"https://ghcr.io/org/app", "leave out the scheme"},
        Rejected{"[::1/app", "lacks its ']'"}));

TEST(ImageReference, RejectsTagsLongerThan128Characters) {
  EXPECT_TRUE(ImageReference::parse("app:" + std::string(128, 'a')).ok());
  auto tooLong = ImageReference::parse("app:" + std::string(129, 'a'));
  ASSERT_FALSE(tooLong.ok());
  EXPECT_NE(tooLong.error().message.find("longer than 128"), std::string::npos);
}

TEST(ImageReference, RejectsNamesLongerThan255Characters) {
  EXPECT_TRUE(ImageReference::parse("ghcr.io/" + std::string(247, 'a')).ok());
  auto tooLong = ImageReference::parse("ghcr.io/" + std::string(248, 'a'));
  ASSERT_FALSE(tooLong.ok());
  EXPECT_NE(tooLong.error().message.find("longer than 255"), std::string::npos);
}

}  // namespace
}  // namespace launch::registry
