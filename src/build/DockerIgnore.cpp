// DockerIgnore: .dockerignore parsing and segment-wise glob matching with "**".
#include "build/DockerIgnore.hpp"

#include <optional>

#include "util/Text.hpp"

namespace launch::build {
namespace {

std::vector<std::string> splitPath(std::string_view path) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const std::string_view segment = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.emplace_back(segment);
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

// Where the class starting at pattern[i] == '[' ends (one past its ']'), or nullopt when it never closes.
std::optional<size_t> classEnd(std::string_view pattern, size_t i) {
  size_t j = i + 1;
  if (j < pattern.size() && (pattern[j] == '^' || pattern[j] == '!')) ++j;
  if (j < pattern.size() && pattern[j] == ']') ++j;  // a leading ']' is a member
  for (; j < pattern.size(); ++j) {
    if (pattern[j] == '\\') {
      ++j;
    } else if (pattern[j] == ']') {
      return j + 1;
    }
  }
  return std::nullopt;
}

bool inClass(std::string_view members, char c) {
  bool negated = false;
  size_t i = 0;
  if (!members.empty() && (members[0] == '^' || members[0] == '!')) {
    negated = true;
    i = 1;
  }
  bool found = false;
  while (i < members.size()) {
    char low = members[i];
    if (low == '\\' && i + 1 < members.size()) low = members[++i];
    char high = low;
    if (i + 2 < members.size() && members[i + 1] == '-') {
      high = members[i + 2];
      if (high == '\\' && i + 3 < members.size()) high = members[++i + 2];
      i += 2;
    }
    if (low <= c && c <= high) found = true;
    ++i;
  }
  return found != negated;
}

// One segment against one glob segment ('*', '?', classes, escapes; never '/').
bool matchSegment(std::string_view pattern, std::string_view text) {
  size_t p = 0;
  size_t t = 0;
  size_t starP = std::string_view::npos;
  size_t starT = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      starP = p++;
      starT = t;
      continue;
    }
    if (p < pattern.size()) {
      if (pattern[p] == '?') {
        ++p;
        ++t;
        continue;
      }
      if (pattern[p] == '[') {
        const auto end = classEnd(pattern, p);
        if (end && inClass(pattern.substr(p + 1, *end - p - 2), text[t])) {
          p = *end;
          ++t;
          continue;
        }
      } else {
        const size_t literal = pattern[p] == '\\' && p + 1 < pattern.size() ? p + 1 : p;
        if (pattern[literal] == text[t]) {
          p = literal + 1;
          ++t;
          continue;
        }
      }
    }
    if (starP == std::string_view::npos) return false;
    p = starP + 1;  // let the last '*' take one more character
    t = ++starT;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// pattern[p..] against path[t..end): segments, with "**" taking any number of them.
bool matchSegments(const std::vector<std::string>& pattern, size_t p, const std::vector<std::string>& path, size_t t,
                   size_t end) {
  if (p == pattern.size()) return t == end;
  if (pattern[p] == "**") {
    for (size_t skip = t; skip <= end; ++skip) {
      if (matchSegments(pattern, p + 1, path, skip, end)) return true;
    }
    return false;
  }
  return t < end && matchSegment(pattern[p], path[t]) && matchSegments(pattern, p + 1, path, t + 1, end);
}

// An unclosed class or a trailing backslash, as Go's filepath.Match refuses them.
std::optional<std::string> malformed(const std::string& segment) {
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '\\') {
      if (i + 1 == segment.size()) return "it ends in a lone '\\'";
      ++i;
    } else if (segment[i] == '[') {
      const auto end = classEnd(segment, i);
      if (!end) return "a '[' class is never closed";
      i = *end - 1;
    }
  }
  return std::nullopt;
}

}  // namespace

Result<DockerIgnore> DockerIgnore::parse(std::string_view text) {
  DockerIgnore ignore;
  size_t lineNumber = 0;
  size_t start = 0;
  while (start < text.size()) {
    const size_t newline = text.find('\n', start);
    std::string_view line = text.substr(start, newline == std::string_view::npos ? newline : newline - start);
    start = newline == std::string_view::npos ? text.size() : newline + 1;
    ++lineNumber;
    line = trim(line, " \t\r");
    if (line.empty() || line.front() == '#') continue;
    Pattern pattern;
    if (line.front() == '!') {
      pattern.exception = true;
      line = trim(line.substr(1), " \t\r");
    }
    pattern.segments = splitPath(line);
    if (pattern.segments.empty()) continue;  // "/" or "." alone: docker ignores such a line too
    for (const auto& segment : pattern.segments) {
      if (auto problem = malformed(segment)) {
        return makeError(ErrorCode::Invalid, ".dockerignore line " + std::to_string(lineNumber) + " (" +
                                                 std::string(line) + "): " + *problem + "; fix the pattern");
      }
    }
    ignore.hasExceptions_ |= pattern.exception;
    ignore.patterns_.push_back(std::move(pattern));
  }
  return ignore;
}

bool DockerIgnore::excludes(std::string_view path) const {
  const std::vector<std::string> segments = splitPath(path);
  bool excluded = false;
  for (const auto& pattern : patterns_) {
    bool matched = false;
    for (size_t end = 1; end <= segments.size() && !matched; ++end) {  // a directory above the path, or the path
      matched = matchSegments(pattern.segments, 0, segments, 0, end);
    }
    if (matched) excluded = !pattern.exception;
  }
  return excluded;
}

}  // namespace launch::build
