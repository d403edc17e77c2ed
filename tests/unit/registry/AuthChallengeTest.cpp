// AuthChallenge: WWW-Authenticate headers as registries (distribution, Docker Hub, ECR, GAR, ACR) send them.
#include "registry/AuthChallenge.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace launch::registry {
namespace {

struct Case {
  const char* header;
  std::vector<AuthChallenge> expected;
};

class AuthChallengeParses : public ::testing::TestWithParam<Case> {};

TEST_P(AuthChallengeParses, SchemesAndParameters) {
  const Case& c = GetParam();
  const auto challenges = AuthChallenge::parse(c.header);
  ASSERT_EQ(challenges.size(), c.expected.size()) << c.header;
  for (std::size_t i = 0; i < challenges.size(); ++i) {
    EXPECT_EQ(challenges[i].scheme, c.expected[i].scheme) << c.header;
    EXPECT_EQ(challenges[i].parameters, c.expected[i].parameters) << c.header;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, AuthChallengeParses,
    ::testing::Values(
        Case{
            R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")",
            {{"bearer",
              {{"realm", "https://auth.docker.io/token"},
               {"service", "registry.docker.io"},
               {"scope", "repository:library/busybox:pull"}}}}},
        Case{
            R"(Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com")",
            {{"basic",
              {{"realm", "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/"}, {"service", "ecr.amazonaws.com"}}}}},
        Case{R"(Basic realm="launch-test")", {{"basic", {{"realm", "launch-test"}}}}}, Case{"basic", {{"basic", {}}}},
        // Spaces around separators, a token value, and an escaped quote.
        Case{R"(BEARER  realm = "https://r/token" , service=reg , error="insufficient_scope", note="say \"hi\"")",
             {{"bearer",
               {{"realm", "https://r/token"},
                {"service", "reg"},
                {"error", "insufficient_scope"},
                {"note", "say \"hi\""}}}}},
        // Two challenges in one header: the scheme after a comma starts the second.
        Case{R"(Bearer realm="https://r/token",service="reg", Basic realm="fallback")",
             {{"bearer", {{"realm", "https://r/token"}, {"service", "reg"}}}, {"basic", {{"realm", "fallback"}}}}},
        Case{"", {}}, Case{" , ,", {}}));

TEST(AuthChallenge, ParameterIsEmptyWhenAbsent) {
  const auto challenges = AuthChallenge::parse(R"(Bearer realm="https://r/token")");
  ASSERT_EQ(challenges.size(), 1U);
  EXPECT_EQ(challenges[0].parameter("realm"), "https://r/token");
  EXPECT_EQ(challenges[0].parameter("service"), "");
}

TEST(AuthChallenge, AnUnterminatedQuoteDoesNotLoopOrCrash) {
  const auto challenges = AuthChallenge::parse(R"(Bearer realm="https://r/token)");
  ASSERT_EQ(challenges.size(), 1U);
  EXPECT_EQ(challenges[0].parameter("realm"), "https://r/token");
}

}  // namespace
}  // namespace launch::registry
