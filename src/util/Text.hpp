// Text helpers for protocol parsing: trimming, and ASCII case folding that no locale changes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace launch {

// Blanks as HTTP headers and most line formats mean them.
inline constexpr std::string_view kSpaceAndTab = " \t";
// Every ASCII whitespace character.
inline constexpr std::string_view kAsciiWhitespace = " \t\r\n\f\v";

// `text` without the leading and trailing characters that are in `blanks`.
std::string_view trim(std::string_view text, std::string_view blanks = kSpaceAndTab);
// `text` with A-Z as a-z; other bytes unchanged.
std::string toLower(std::string_view text);
// Equal when A-Z and a-z are taken as the same letters.
bool equalsIgnoringCase(std::string_view a, std::string_view b);
// `text` on one line: each run of white space becomes one space (none at the ends), cut to `maxLength` with
// "..." where it was longer (a status message or an Event from a multi-line cloud error).
std::string oneLine(std::string_view text, std::size_t maxLength = 1024);
// Replaces every occurrence of `secret` in `text` with "<redacted>"; an empty secret changes nothing.
void redact(std::string& text, std::string_view secret);

}  // namespace launch
