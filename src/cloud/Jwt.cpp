// Jwt: compact serialisation (RFC 7515/7519) with RS256 signatures from util/Crypto.
#include "cloud/Jwt.hpp"

#include <utility>

#include "util/Base64.hpp"
#include "util/Crypto.hpp"

namespace launch::cloud {
namespace {

struct CompactParts {
  std::string_view header;
  std::string_view claims;
  std::string_view signature;
};

Result<CompactParts> split(std::string_view compact) {
  const auto first = compact.find('.');
  const auto second = first == std::string_view::npos ? first : compact.find('.', first + 1);
  if (second == std::string_view::npos || compact.find('.', second + 1) != std::string_view::npos) {
    return makeError(ErrorCode::Invalid, "the JWT is not three base64url parts separated by '.'");
  }
  return CompactParts{compact.substr(0, first), compact.substr(first + 1, second - first - 1),
                      compact.substr(second + 1)};
}

Result<nlohmann::json> decodeObject(std::string_view part, const char* what) {
  const auto bytes = base64Decode(part);
  if (!bytes) return makeError(ErrorCode::Invalid, std::string("the JWT ") + what + " is not base64url");
  auto value = nlohmann::json::parse(*bytes, nullptr, false);
  if (value.is_discarded() || !value.is_object()) {
    return makeError(ErrorCode::Invalid, std::string("the JWT ") + what + " is not a JSON object");
  }
  return value;
}

}  // namespace

Jwt::Jwt(nlohmann::json header, nlohmann::json claims) : header_(std::move(header)), claims_(std::move(claims)) {}

Jwt Jwt::rs256(nlohmann::json claims, const std::string& keyId) {
  nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!keyId.empty()) header["kid"] = keyId;
  return {std::move(header), std::move(claims)};
}

Result<std::string> Jwt::sign(std::string_view privateKeyPem) const {
  if (header_.value("alg", "") != "RS256") {
    return makeError(ErrorCode::Invalid, "the JWT header's \"alg\" must be \"RS256\" to sign with an RSA key");
  }
  std::string signingInput = base64UrlEncode(header_.dump()) + "." + base64UrlEncode(claims_.dump());
  auto signature = rsaSha256Sign(privateKeyPem, signingInput);
  if (!signature) {
    return makeError(ErrorCode::Invalid, "cannot sign the JWT: " + signature.error().message +
                                             "; the \"private_key\" must be a PEM RSA private key");
  }
  return signingInput + "." + base64UrlEncode(*signature);
}

Result<Jwt> Jwt::decode(std::string_view compact) {
  auto parts = split(compact);
  if (!parts) return parts.error();
  auto header = decodeObject(parts->header, "header");
  if (!header) return header.error();
  auto claims = decodeObject(parts->claims, "claims");
  if (!claims) return claims.error();
  if (!base64Decode(parts->signature)) return makeError(ErrorCode::Invalid, "the JWT signature is not base64url");
  return Jwt(std::move(*header), std::move(*claims));
}

Result<Jwt> Jwt::verify(std::string_view compact, std::string_view publicKeyPem) {
  auto token = decode(compact);
  if (!token) return token.error();
  const auto alg = token->header().find("alg");
  if (alg == token->header().end() || *alg != "RS256") {
    std::string named = "missing";
    if (alg != token->header().end()) named = alg->is_string() ? "\"" + alg->get<std::string>() + "\"" : alg->dump();
    return makeError(ErrorCode::Unauthorized, "the JWT's \"alg\" is " + named + "; only RS256 is accepted");
  }
  auto parts = split(compact);
  const auto signature = base64Decode(parts->signature);
  const auto signedLength = parts->header.size() + 1 + parts->claims.size();
  auto valid = rsaSha256Verify(publicKeyPem, compact.substr(0, signedLength), *signature);
  if (!valid) return valid.error();
  if (!*valid) return makeError(ErrorCode::Unauthorized, "the JWT's signature does not match the public key");
  return token;
}

}  // namespace launch::cloud
