// Unit tests of RS256 JWTs: known answers from independent implementations, round trips and tampering (table-driven).
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "cloud/Jwt.hpp"
#include "fakes/FakeGoogleEndpoints.hpp"
#include "util/Base64.hpp"

namespace launch::cloud {
namespace {

using launch::testing::otherTestKeyPair;
using launch::testing::testKeyPair;

// A key made for these vectors with `openssl genpkey`; it protects nothing.
const char* const kVectorPrivateKey = R"(-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC1yMi6RTpIAVHN
oLiFzE1kHt+TLwV/SGbFKy4fCbOnLsbALkqCdQkP0kbKuvXeitWktRzrhW971+iP
Vw+xQaASu2hfotrX6NtpGmuY7Xfp/w6KQlFV9W7LVDIZWljw9b0gXII99Gg3nYwz
kRRYxU0HKXqNjTtEX8Ywlg8U48YJyAwCm8EZkuh76KERzv8narXHYtxzS72UqAuL
ehL/E2WqkUFbJD6+kB3zlUIIEUbTonLSLL5jSBlaF+9sdAWMgNJS+Xt5gx94EtGy
1B/47ifx3OTKu4h9ihye0/l0ochPrCH+M4JkPo65ZptGJBlviQBr+ZFdp6eRPEW+
AwkIvuuNAgMBAAECggEACss7tf8XJ+riJAL+KehYvmWXPMVUPtD6VIyiPggPXDw1
Y3hsMVpd2cwQgDMBQeqoUbx1ADwfA5wX9u5CZDH4yAag5YWFQpWU9PpIt3QpmbdC
HQNf59TStG07q1CMyu6rK/Z/lPUD/Ndp7tmXZceosaXsx7vCMDwSnSnFMVDus6pi
UuMY89Sj754uGmqjXJrlzqJCTiQh3VHKcGtbP8p31ZjETUcOrAWtEnCXYnXOR1z9
MBzAvuILXnTJeBYioBiRjrNGYbUB1xlYHojm+urAEJcUQq2ye7sWfFEOuHEYwIYQ
VdW6PgiKTCqd3P8LAAwVc7OG7hmdw74rSKxe9hMkcQKBgQDhWtf+y9J3kR7iksZe
kdxefpJTx0L0kZyPSjZ13B56HyHZ0RW9GFCGTfavJpfP4wYGe7X8xT31+4x2OkOO
NaQQKQpy6UlKQ4bbU6ylBAUdctwy7b6XzgR7Z5B0hyOoPUbZGteB5NhaYdc7XC8e
6pXhlQcLhvoRd1eauq7mkMnesQKBgQDOgSSDWI/YoL/cmQwNQHjwXa5HqQdanvl0
OejYgQhXMYKhrLDyJhz1/hzObKuSe2guL3e/OUIy0WbtyEXVJq7zUi2iXF9AOe88
Ok1BvvIAAh7tfflkv1xYi5fEOYPFJd/31Il4p5vR705gVu0lE6qee9Xb5P6RDOZA
J4GSpHcpnQKBgB/41YAuxrN0AV+/1yj/pLY7WuNL9/He3sltjAB4tFI7LIBMq7ri
QjprwT3kSdGSsf4lexJboYjOoYT8iy0X6yjnybW351AD+JQRcQMQaPFepGMNW+cJ
sZUYgmQl8CckWnLe3ghtwUxBaVngoEbQnWcdz5wREFV+Cw3Gwp2vmRRhAoGBALTJ
TM0MmIpfWPjoqCtl2Tsd2Lj12vFUIjHFjPsWI9YqCyI9jH/CLDKT8GYrrx1DmtZs
ShqIJ1NUDhd38OMFxb5RoI/27JDO54nDxOUdJMIrGSZz1gWEnnUKaKiqbZkIaoaO
dHfDzN/C8MvY7i46hHHRGk4zsUYNk/pwW7ik8YnlAoGAQVB2BfFs0g6LPukIlEKC
G/JYwVthWzDh1bre1NbVKCb4deaJZNYwFR7xufUKeJjcdirB0ijTKDqKTJ4vzRag
Yi5K2HswddgCZKggx+m4EN2mw0XJ66heA/j7LLqzMUALnZyC0nxa9SdVbMWIztog
CFgFk4mgS4J/1qeO2wd5THk=
-----END PRIVATE KEY-----
)";
const char* const kVectorPublicKey = R"(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtcjIukU6SAFRzaC4hcxN
ZB7fky8Ff0hmxSsuHwmzpy7GwC5KgnUJD9JGyrr13orVpLUc64Vve9foj1cPsUGg
ErtoX6La1+jbaRprmO136f8OikJRVfVuy1QyGVpY8PW9IFyCPfRoN52MM5EUWMVN
Byl6jY07RF/GMJYPFOPGCcgMApvBGZLoe+ihEc7/J2q1x2Lcc0u9lKgLi3oS/xNl
qpFBWyQ+vpAd85VCCBFG06Jy0iy+Y0gZWhfvbHQFjIDSUvl7eYMfeBLRstQf+O4n
8dzkyruIfYocntP5dKHIT6wh/jOCZD6OuWabRiQZb4kAa/mRXaenkTxFvgMJCL7r
jQIDAQAB
-----END PUBLIC KEY-----
)";

// Signed by Python's cryptography (PKCS#1 v1.5, SHA-256) over the same compact JSON this class writes.
const char* const kVectorToken =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImthdC1rZXkiLCJ0eXAiOiJKV1QifQ."
    "eyJhdWQiOiJodHRwczovL29hdXRoMi5nb29nbGVhcGlzLmNvbS90b2tlbiIsImV4cCI6MTcwMDAwMzYwMCwiaWF0IjoxNzAwMDAwMDAwLCJpc3MiOi"
    "JrYXRAcHJvai5pYW0uZ3NlcnZpY2VhY2NvdW50LmNvbSIsInNjb3BlIjoiaHR0cHM6Ly93d3cuZ29vZ2xlYXBpcy5jb20vYXV0aC9jbG91ZC1wbGF0"
    "Zm9ybSJ9.LL0-xij-"
    "P7J7fyQWcGK0LUq4K04iCUtGWP3fHVERAqoPb9gk19egtROSICOvemqXfY3xnzNrXos5anfx7dQulROGVEnzHuMMXSLnXOmSDXC-"
    "ZDDaxqW0noNW9zfWGTJ1bvO7gS6ndHqUfUlcKTDvUlTZWScb6LNnATLMRCKx-sfaadVjisWfW-O2V8Zqyb9H7-"
    "mELAqwAPikJVTMoJfcql8CDJsCyYme8HxkPAczFMuIluUlyDXevN2xpNllRgFxdKXugGlFoBtfQepSiUVEu0CxmR-"
    "dkFiQNc4KMmca1EWoeaHzARiansCWNy2L_csAI-oaKFrTROCCltZ2ooEkCg";
// Written by google-auth's google.auth.jwt.encode (spaces in its JSON, header keys in another order).
const char* const kGoogleAuthToken =
    "eyJ0eXAiOiAiSldUIiwgImFsZyI6ICJSUzI1NiIsICJraWQiOiAiZ29vZ2xlLWF1dGgta2V5In0."
    "eyJpc3MiOiAiZ2FAcHJvai5pYW0uZ3NlcnZpY2VhY2NvdW50LmNvbSIsICJhdWQiOiAiaHR0cHM6Ly9vYXV0aDIuZ29vZ2xlYXBpcy5jb20vdG9rZW"
    "4iLCAiaWF0IjogMTcwMDAwMDAwMCwgImV4cCI6IDE3MDAwMDM2MDAsICJzY29wZSI6ICJzIn0."
    "VgorBnbczaPgB5TZ8eq22khSm54pywHVyuPIUIqnb7Q4_8KOIEOVgbfLOv6A0PJMjHSfyInor-HdNOO_"
    "pqC5S3KhYPX1ybmqQ1JMz3PhoHcC0r1WLBYcGNptOqSq3m-vQC8FcEfnSUjn5OBcB6rDWRxaWhyPZ4yFExbpAWhbQ_d4Q6K2pXJlEfOS2UpHuj8U_"
    "b_0LMNFurRhPYdPPxTtDESg1O148Weiz7CLrlOOHuadDfW1ED6eHfWxZgl_68R9u3Gpw8WwMS9fYz3IjzxcKCG9A-Tq81CPAuotWGCxH2_P8VcABt-"
    "afNTB9ILz96j2HywKKjwDRXvkVhOcAohQUg";

std::string part(const std::string& compact, int index) {
  std::size_t begin = 0;
  for (int i = 0; i < index; ++i) begin = compact.find('.', begin) + 1;
  const std::size_t end = compact.find('.', begin);
  return compact.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

nlohmann::json vectorClaims() {
  return {{"iss", "kat@proj.iam.gserviceaccount.com"},
          {"scope", "https://www.googleapis.com/auth/cloud-platform"},
          {"aud", "https://oauth2.googleapis.com/token"},
          {"iat", 1700000000},
          {"exp", 1700003600}};
}

TEST(Jwt, SignsExactlyWhatAnIndependentImplementationSigns) {
  auto token = Jwt::rs256(vectorClaims(), "kat-key").sign(kVectorPrivateKey);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(*token, kVectorToken);
}

TEST(Jwt, VerifiesATokenWrittenByGoogleAuth) {
  auto token = Jwt::verify(kGoogleAuthToken, kVectorPublicKey);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->header().at("kid"), "google-auth-key");
  EXPECT_EQ(token->claims().at("iss"), "ga@proj.iam.gserviceaccount.com");
  EXPECT_EQ(token->claims().at("exp"), 1700003600);
}

TEST(Jwt, RoundTripsHeaderAndClaims) {
  const nlohmann::json claims = {{"iss", "a@b"}, {"n", 42}, {"nested", {{"x", "y/+="}}}};
  auto token = Jwt::rs256(claims, "kid-7").sign(testKeyPair().privateKeyPem);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->find_first_of("=+/"), std::string::npos) << "parts must be unpadded base64url";

  auto verified = Jwt::verify(*token, testKeyPair().publicKeyPem);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->header(), (nlohmann::json{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "kid-7"}}));
  EXPECT_EQ(verified->claims(), claims);
}

TEST(Jwt, LeavesOutKidWhenThereIsNoKeyId) {
  auto token = Jwt::rs256({{"iss", "a"}}).sign(testKeyPair().privateKeyPem);
  ASSERT_TRUE(token.ok()) << token.error().message;
  auto decoded = Jwt::decode(*token);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_FALSE(decoded->header().contains("kid"));
}

TEST(Jwt, RejectsTamperedAndMalformedTokens) {
  auto signedToken = Jwt::rs256(vectorClaims(), "k").sign(testKeyPair().privateKeyPem);
  ASSERT_TRUE(signedToken.ok()) << signedToken.error().message;
  const std::string good = *signedToken;
  const std::string header = part(good, 0);
  const std::string claims = part(good, 1);
  const std::string signature = part(good, 2);
  const auto encode = [](const nlohmann::json& value) { return base64UrlEncode(value.dump()); };

  struct Case {
    std::string name;
    std::string token;
    ErrorCode code;
  };
  nlohmann::json otherClaims = vectorClaims();
  otherClaims["iss"] = "attacker@evil.example";
  std::string flipped = signature;
  flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
  auto otherKey = Jwt::rs256(vectorClaims(), "k").sign(otherTestKeyPair().privateKeyPem);
  ASSERT_TRUE(otherKey.ok());

  const std::vector<Case> cases = {
      {"changed claims", header + "." + encode(otherClaims) + "." + signature, ErrorCode::Unauthorized},
      {"flipped signature byte", header + "." + claims + "." + flipped, ErrorCode::Unauthorized},
      {"signed by another key", *otherKey, ErrorCode::Unauthorized},
      {"empty signature", header + "." + claims + ".", ErrorCode::Unauthorized},
      {"alg none", encode({{"alg", "none"}, {"typ", "JWT"}}) + "." + claims + ".", ErrorCode::Unauthorized},
      {"alg HS256", encode({{"alg", "HS256"}}) + "." + claims + "." + signature, ErrorCode::Unauthorized},
      {"alg missing", encode({{"typ", "JWT"}}) + "." + claims + "." + signature, ErrorCode::Unauthorized},
      {"alg not a string", encode({{"alg", 256}}) + "." + claims + "." + signature, ErrorCode::Unauthorized},
      {"two parts", header + "." + claims, ErrorCode::Invalid},
      {"four parts", good + ".x", ErrorCode::Invalid},
      {"empty", "", ErrorCode::Invalid},
      {"header not base64", "!!!." + claims + "." + signature, ErrorCode::Invalid},
      {"header not JSON", base64UrlEncode("not json") + "." + claims + "." + signature, ErrorCode::Invalid},
      {"claims a JSON array", header + "." + base64UrlEncode("[1,2]") + "." + signature, ErrorCode::Invalid},
      {"signature not base64", header + "." + claims + ".%%%", ErrorCode::Invalid},
  };
  ASSERT_TRUE(Jwt::verify(good, testKeyPair().publicKeyPem).ok()) << "the untampered token must pass";
  for (const auto& c : cases) {
    auto verified = Jwt::verify(c.token, testKeyPair().publicKeyPem);
    ASSERT_FALSE(verified.ok()) << c.name;
    EXPECT_EQ(verified.error().code, c.code) << c.name << ": " << verified.error().message;
  }
}

TEST(Jwt, SigningWithABadKeyFailsWithoutQuotingTheKey) {
  const std::string notAKey = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END PRIVATE KEY-----\n";
  auto token = Jwt::rs256({{"iss", "a"}}).sign(notAKey);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, ErrorCode::Invalid);
  EXPECT_NE(token.error().message.find("private_key"), std::string::npos) << token.error().message;
  EXPECT_EQ(token.error().message.find("c2VjcmV0LWJ5dGVz"), std::string::npos) << token.error().message;
}

TEST(Jwt, OnlySignsRs256Headers) {
  auto token = Jwt({{"alg", "none"}}, {{"iss", "a"}}).sign(testKeyPair().privateKeyPem);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, ErrorCode::Invalid);
}

TEST(Jwt, VerifyingWithAMalformedPublicKeyIsAnError) {
  auto token = Jwt::rs256({{"iss", "a"}}).sign(testKeyPair().privateKeyPem);
  ASSERT_TRUE(token.ok());
  auto verified = Jwt::verify(*token, "not a key");
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().code, ErrorCode::Invalid);
}

}  // namespace
}  // namespace launch::cloud
