// AuthChallenge: a small RFC 7235 parser for scheme, token=token and token="quoted" parameters.
#include "registry/AuthChallenge.hpp"

#include <cctype>
#include <string_view>

#include "util/Text.hpp"

namespace launch::registry {
namespace {

bool isTokenChar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c)) != 0) return true;
  constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~/";
  return kSpecials.find(c) != std::string_view::npos;
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool done() const { return pos_ >= text_.size(); }
  std::size_t position() const { return pos_; }
  void rewind(std::size_t pos) { pos_ = pos; }
  bool peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  void skip() { ++pos_; }
  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  std::string_view token() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && isTokenChar(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  // After the opening quote: up to the closing one, with backslash escapes undone.
  std::string quoted() {
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      out.push_back(text_[pos_++]);
    }
    if (pos_ < text_.size()) ++pos_;  // the closing quote
    return out;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string AuthChallenge::parameter(const std::string& name) const {
  const auto found = parameters.find(name);
  return found == parameters.end() ? std::string() : found->second;
}

std::vector<AuthChallenge> AuthChallenge::parse(std::string_view header) {
  std::vector<AuthChallenge> challenges;
  Scanner scan(header);
  while (!scan.done()) {
    scan.skipSpace();
    if (scan.peek(',')) {
      scan.skip();
      continue;
    }
    const std::string_view scheme = scan.token();
    if (scheme.empty()) {
      scan.skip();  // junk: step over it
      continue;
    }
    AuthChallenge challenge;
    challenge.scheme = toLower(scheme);
    while (true) {
      const std::size_t before = scan.position();
      scan.skipSpace();
      if (scan.peek(',')) {
        scan.skip();
        scan.skipSpace();
      }
      const std::string_view name = scan.token();
      scan.skipSpace();
      if (name.empty() || !scan.peek('=')) {
        scan.rewind(before);  // the next challenge's scheme, or the end
        break;
      }
      scan.skip();
      scan.skipSpace();
      std::string value;
      if (scan.peek('"')) {
        scan.skip();
        value = scan.quoted();
      } else {
        value = std::string(scan.token());
      }
      challenge.parameters[toLower(name)] = std::move(value);
    }
    challenges.push_back(std::move(challenge));
  }
  return challenges;
}

}  // namespace launch::registry
