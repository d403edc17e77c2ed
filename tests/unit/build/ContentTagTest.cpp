// ContentTag: fixed vectors (computed independently with Python's hashlib over the documented encoding), and
// every input changing the tag.
#include "build/ContentTag.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace launch::build {
namespace {

std::string repeat(const std::string& text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += text;
  return out;
}

struct VectorCase {
  const char* name;
  ContentTagInputs inputs;
  const char* tag;
};

class ContentTagVectors : public ::testing::TestWithParam<VectorCase> {};

TEST_P(ContentTagVectors, MatchTheReference) { EXPECT_EQ(contentTag(GetParam().inputs), GetParam().tag); }

INSTANTIATE_TEST_SUITE_P(
    ContentTag, ContentTagVectors,
    ::testing::Values(VectorCase{"GitCommitAtTheRoot",
                                 {"git:0123456789abcdef0123456789abcdef01234567", "", "FROM scratch\n", {}, ""},
                                 "c02437688842951611f8d65ad4aed30faf24d1f267e4ec5144c1da5a1d7db5b8"},
                      VectorCase{"ArchiveInASubdirectoryWithArgsAndPlatform",
                                 {"sha256:" + repeat("ab", 32),
                                  "jobs/train",
                                  "FROM python:3.12-slim\nCOPY . .\n",
                                  {{"PY", "3.12"}, {"A", "b"}},
                                  "linux/amd64"},
                                 "8a52f0dc1f26f4272a373bc13e14b53aa5ca8cb0ac453652d7fe3c6ecdb2de2a"},
                      VectorCase{"AllEmpty",
                                 {"", "", "", {}, ""},
                                 "906f0dea9b4c7ccacac99f6b2e5ca5c1739fd1f5f346a95e8acb2e18a8be66bf"}),
    [](const auto& info) { return std::string(info.param.name); });

struct ChangeCase {
  const char* name;
  std::function<void(ContentTagInputs&)> change;
};

class ContentTagChanges : public ::testing::TestWithParam<ChangeCase> {};

TEST_P(ContentTagChanges, ChangeTheTag) {
  const ContentTagInputs base{"git:abc", "jobs", "FROM scratch\n", {{"A", "1"}}, "linux/amd64"};
  ContentTagInputs changed = base;
  GetParam().change(changed);
  EXPECT_NE(contentTag(changed), contentTag(base));
  EXPECT_EQ(contentTag(base), contentTag(base)) << "the tag is a pure function of its inputs";
}

INSTANTIATE_TEST_SUITE_P(
    ContentTag, ContentTagChanges,
    ::testing::Values(ChangeCase{"Identity", [](auto& i) { i.identity = "git:abd"; }},
                      ChangeCase{"ContextPath", [](auto& i) { i.contextPath = "jobs/other"; }},
                      ChangeCase{"Dockerfile", [](auto& i) { i.dockerfile += "USER 1000\n"; }},
                      ChangeCase{"BuildArgValue", [](auto& i) { i.buildArgs["A"] = "2"; }},
                      ChangeCase{"BuildArgAdded", [](auto& i) { i.buildArgs["B"] = ""; }},
                      ChangeCase{"Platform", [](auto& i) { i.platform = "linux/arm64"; }},
                      // Length prefixes: moving text from one field into the next is a different input.
                      ChangeCase{"TextMovedAcrossFields",
                                 [](auto& i) {
                                   i.identity = "git:abcjob";
                                   i.contextPath = "s";
                                 }}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ContentTag, IsAValidDockerTag) {
  const std::string tag = contentTag({"git:abc", "", "FROM scratch\n", {}, ""});
  EXPECT_EQ(tag.size(), 64U);
  EXPECT_EQ(tag.find_first_not_of("0123456789abcdef"), std::string::npos) << tag;
}

}  // namespace
}  // namespace launch::build
