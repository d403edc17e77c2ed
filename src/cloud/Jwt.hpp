// Jwt: JSON Web Tokens signed with RS256, built for Google's OAuth2 grants and verified by test fakes.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "util/Result.hpp"

namespace launch::cloud {

class Jwt {
 public:
  Jwt(nlohmann::json header, nlohmann::json claims);

  // A token to sign with RS256: header {"alg":"RS256","typ":"JWT"}, plus "kid" when keyId is not empty.
  static Jwt rs256(nlohmann::json claims, const std::string& keyId = "");

  // The compact form header.claims.signature, each part base64url without padding. The private key is a
  // PEM RSA key (PKCS#1 or PKCS#8); errors never quote it.
  Result<std::string> sign(std::string_view privateKeyPem) const;

  // Splits and decodes a compact token without checking its signature (to learn who claims to have
  // signed it). Errors never quote the token.
  static Result<Jwt> decode(std::string_view compact);

  // Decodes and checks the RS256 signature with a PEM public key or certificate. Any other "alg"
  // (including "none") is rejected. Time claims are the caller's to check: only the caller knows its clock.
  static Result<Jwt> verify(std::string_view compact, std::string_view publicKeyPem);

  const nlohmann::json& header() const { return header_; }
  const nlohmann::json& claims() const { return claims_; }

 private:
  nlohmann::json header_;
  nlohmann::json claims_;
};

}  // namespace launch::cloud
