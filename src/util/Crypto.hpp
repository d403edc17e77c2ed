// Crypto: SHA-256, HMAC-SHA256, hex, and RSA-SHA256 signatures over OpenSSL 3, as values.
#pragma once

#include <string>
#include <string_view>

#include "util/Result.hpp"

namespace launch {

std::string sha256(std::string_view data);  // 32 raw bytes
std::string sha256Hex(std::string_view data);
std::string hmacSha256(std::string_view key, std::string_view data);  // 32 raw bytes
std::string toHex(std::string_view bytes);                            // lower case

// RSASSA-PKCS1-v1_5 with SHA-256 (JWT "RS256"): signs with a PEM private key (PKCS#1 or PKCS#8).
Result<std::string> rsaSha256Sign(std::string_view privateKeyPem, std::string_view data);
// Verifies with a PEM public key (SubjectPublicKeyInfo) or a certificate.
Result<bool> rsaSha256Verify(std::string_view publicKeyPem, std::string_view data, std::string_view signature);

}  // namespace launch
