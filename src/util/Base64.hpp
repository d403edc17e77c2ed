// Base64 (RFC 4648) encoding and decoding, standard and URL-safe alphabets.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace launch {

std::string base64Encode(std::string_view data);
// URL-safe alphabet; without padding by default (JWT), with it where the peer wants it (X-Registry-Auth).
std::string base64UrlEncode(std::string_view data, bool pad = false);
// Accepts either alphabet, with or without padding, ignoring whitespace; nullopt when malformed.
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace launch
