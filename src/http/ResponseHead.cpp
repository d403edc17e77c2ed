// ResponseHead: parsing of response heads and the framing rules for the body that follows.
#include "http/ResponseHead.hpp"

#include <algorithm>
#include <optional>

#include "util/Text.hpp"

namespace launch::http {
namespace {

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Error malformed(const std::string& why) { return makeError(ErrorCode::Internal, "malformed response: " + why); }

}  // namespace

bool listsToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    if (equalsIgnoringCase(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

bool ResponseHead::keepAlive() const {
  bool close = false;
  bool keepAlive = false;
  for (const auto& [name, value] : headers) {
    if (!equalsIgnoringCase(name, "Connection")) continue;
    close = close || listsToken(value, "close");
    keepAlive = keepAlive || listsToken(value, "keep-alive");
  }
  // After 101 Switching Protocols the connection no longer speaks HTTP/1.1.
  return status != 101 && !close && (minorVersion >= 1 || keepAlive);
}

size_t findHeadEnd(std::string_view buffer) {
  for (size_t newline = buffer.find('\n'); newline != std::string_view::npos;
       newline = buffer.find('\n', newline + 1)) {
    size_t next = newline + 1;
    if (next < buffer.size() && buffer[next] == '\r') ++next;
    if (next < buffer.size() && buffer[next] == '\n') return next + 1;
  }
  return std::string_view::npos;
}

Result<ResponseHead> parseResponseHead(std::string_view text) {
  ResponseHead head;
  bool first = true;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first) {
      first = false;
      // HTTP/1.1 200 OK
      if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') {
        return malformed("the status line '" + std::string(line.substr(0, 64)) + "' is not HTTP/1.x");
      }
      if (line[7] < '0' || line[7] > '9') return malformed("the HTTP version is not 1.x");
      head.minorVersion = line[7] - '0';
      const std::string_view code = line.substr(9, 3);
      if (!allDigits(code) || (line.size() > 12 && line[12] != ' '))
        return malformed("the status code is not 3 digits");
      head.status = std::stol(std::string(code));
      continue;
    }
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') {
      if (head.headers.empty()) return malformed("the head starts with a continuation line");
      std::string& value = head.headers.back().second;
      const std::string_view more = trim(line);
      if (!value.empty() && !more.empty()) value += ' ';
      value += more;
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return malformed("a header line has no field name");
    const std::string_view name = line.substr(0, colon);
    if (name.find_first_of(" \t") != std::string_view::npos) return malformed("a header name has whitespace");
    head.headers.emplace_back(std::string(name), std::string(trim(line.substr(colon + 1))));
  }
  if (first) return malformed("the head is empty");
  return head;
}

Result<BodyFraming> bodyFraming(const ResponseHead& head, std::string_view method) {
  BodyFraming framing;
  if (method == "HEAD" || (head.status >= 100 && head.status < 200) || head.status == 204 || head.status == 304 ||
      (method == "CONNECT" && head.status >= 200 && head.status < 300)) {
    return framing;
  }
  std::optional<std::string_view> transferEncoding;
  std::optional<uint64_t> length;
  for (const auto& [name, value] : head.headers) {
    if (equalsIgnoringCase(name, "Transfer-Encoding")) {
      transferEncoding = value;  // the last one names the final coding
    } else if (equalsIgnoringCase(name, "Content-Length")) {
      std::string_view rest = value;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        const std::string_view item = trim(rest.substr(0, comma));
        if (!allDigits(item) || item.size() > 18) return malformed("Content-Length '" + value + "' is not a number");
        const uint64_t parsed = std::stoull(std::string(item));
        if (length && *length != parsed) return malformed("the response has conflicting Content-Length values");
        length = parsed;
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
  }
  if (transferEncoding) {
    std::string_view codings = *transferEncoding;
    const auto lastComma = codings.rfind(',');
    const std::string_view last = trim(lastComma == std::string_view::npos ? codings : codings.substr(lastComma + 1));
    framing.kind = equalsIgnoringCase(last, "chunked") ? BodyFraming::Kind::Chunked : BodyFraming::Kind::UntilClose;
    return framing;
  }
  if (length) {
    framing.kind = BodyFraming::Kind::Length;
    framing.length = *length;
    return framing;
  }
  framing.kind = BodyFraming::Kind::UntilClose;
  return framing;
}

}  // namespace launch::http
