// Text helpers: trimming and ASCII case folding.
#include "util/Text.hpp"

#include <algorithm>

namespace launch {
namespace {

char lowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string_view trim(std::string_view text, std::string_view blanks) {
  const auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(blanks) - first + 1);
}

std::string toLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), lowerAscii);
  return out;
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lowerAscii(x) == lowerAscii(y); });
}

std::string oneLine(std::string_view text, std::size_t maxLength) {
  std::string out;
  bool space = false;
  for (const char c : text) {
    if (kAsciiWhitespace.find(c) != std::string_view::npos) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  if (out.size() > maxLength) out = out.substr(0, maxLength < 3 ? 0 : maxLength - 3) + "...";
  return out;
}

void redact(std::string& text, std::string_view secret) {
  if (secret.empty()) return;
  constexpr std::string_view kMark = "<redacted>";
  for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + kMark.size())) {
    text.replace(at, secret.size(), kMark);
  }
}

}  // namespace launch
