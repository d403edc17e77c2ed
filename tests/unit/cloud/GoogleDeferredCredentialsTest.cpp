// Unit tests of GoogleDeferredCredentials: nothing is looked up until a token is asked for; a failed lookup is
// tried again on the next call, so a key file that appears later is used.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "cloud/GoogleDeferredCredentials.hpp"
#include "fakes/FakeGoogleEndpoints.hpp"
#include "http/HttpClient.hpp"

namespace launch::cloud {
namespace {

using launch::testing::FakeGoogleTokenEndpoint;
using launch::testing::ScratchDirectory;
using launch::testing::serviceAccountKeyJson;
using launch::testing::testKeyPair;

constexpr const char* kEmail = "runner@proj.iam.gserviceaccount.com";

TEST(GoogleDeferredCredentials, LooksUpOnTheFirstTokenAndRetriesAFailedLookup) {
  ManualClock clock;
  FakeGoogleTokenEndpoint endpoint(clock);
  endpoint.addServiceAccount(kEmail, "key-1", testKeyPair().publicKeyPem);
  endpoint.start();
  ScratchDirectory dir;
  const std::string key = dir.path() + "/key.json";
  ::setenv("GOOGLE_APPLICATION_CREDENTIALS", key.c_str(), 1);  // named, not written yet

  http::HttpClient http{http::HttpClientOptions{}};
  GoogleDeferredCredentials credentials(http, clock);
  EXPECT_EQ(endpoint.requests(), 0) << "constructing must not look anything up";
  EXPECT_NE(credentials.describe().find("not looked up yet"), std::string::npos);

  auto missing = credentials.token();
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find(key), std::string::npos) << missing.error().message;

  dir.write("key.json", serviceAccountKeyJson(kEmail, testKeyPair().privateKeyPem, endpoint.tokenUri()));
  auto found = credentials.token();
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_FALSE(found->token.empty());
  EXPECT_EQ(endpoint.requests(), 1);
  EXPECT_NE(credentials.describe().find(kEmail), std::string::npos) << credentials.describe();
  ::unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
}

}  // namespace
}  // namespace launch::cloud
