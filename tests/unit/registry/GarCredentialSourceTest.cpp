// GarCredentialSource with a scripted GoogleTokenSource: the token becomes the password of oauth2accesstoken.
#include "registry/GarCredentialSource.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace launch::registry {
namespace {

class ScriptedTokenSource final : public cloud::GoogleTokenSource {
 public:
  explicit ScriptedTokenSource(std::vector<Result<cloud::AccessToken>> answers) : answers_(std::move(answers)) {}
  Result<cloud::AccessToken> token() override {
    ++calls;
    if (answers_.empty()) return makeError(ErrorCode::Internal, "script exhausted");
    auto next = answers_.front();
    answers_.erase(answers_.begin());
    return next;
  }
  std::string describe() const override { return "service account launch@proj.iam.gserviceaccount.com"; }
  int calls = 0;

 private:
  std::vector<Result<cloud::AccessToken>> answers_;
};

TEST(GarCredentialSource, PresentsTheAccessTokenAsThePasswordOfOauth2accesstoken) {
  auto tokens = std::make_shared<ScriptedTokenSource>(std::vector<Result<cloud::AccessToken>>{
      cloud::AccessToken{"ya29.first", {}}, cloud::AccessToken{"ya29.second", {}}});
  GarCredentialSource source(tokens);
  auto first = source.credentials();
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(*first, (RegistryCredentials{"oauth2accesstoken", "ya29.first", ""}));
  auto second = source.credentials();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->password, "ya29.second") << "caching is the token source's job";
  EXPECT_EQ(tokens->calls, 2);
  EXPECT_NE(source.describe().find("launch@proj.iam.gserviceaccount.com"), std::string::npos);
}

TEST(GarCredentialSource, ATokenErrorKeepsItsCodeAndSaysWhatItWasFor) {
  Error refused = makeError(ErrorCode::Unauthorized, "invalid_grant: account not found");
  GarCredentialSource source(std::make_shared<ScriptedTokenSource>(
      std::vector<Result<cloud::AccessToken>>{Result<cloud::AccessToken>(refused)}));
  auto failed = source.credentials();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::Unauthorized);
  EXPECT_EQ(failed.error().message,
            "cannot get a Google access token for Artifact Registry: invalid_grant: account not found");
}

TEST(GarCredentialSource, WithoutATokenSourceItAsksForAGcpEnvironment) {
  GarCredentialSource source(nullptr);
  auto failed = source.credentials();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::Invalid);
  EXPECT_NE(failed.error().message.find("configure a gcp environment"), std::string::npos);
}

}  // namespace
}  // namespace launch::registry
