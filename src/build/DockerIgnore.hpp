// DockerIgnore: the patterns of a build context's .dockerignore, and which paths they leave out, read as
// docker build reads them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/Result.hpp"

namespace launch::build {

// One pattern per line; blank lines and lines starting with '#' are skipped; a leading '!' re-includes what
// earlier lines left out; a leading '/' is dropped. In a pattern, '*' matches within one path segment, '?' one
// character, "[...]" a class, '\' escapes, and a "**" segment any number of directories. The last pattern that
// matches a path, or any directory above it, decides.
class DockerIgnore {
 public:
  // Errors name the line and what is wrong with it.
  static Result<DockerIgnore> parse(std::string_view text);

  // `path` is relative to the context, '/' separated.
  bool excludes(std::string_view path) const;
  // True when no pattern re-includes anything, so an excluded directory can be skipped whole.
  bool hasExceptions() const { return hasExceptions_; }
  bool empty() const { return patterns_.empty(); }

 private:
  struct Pattern {
    std::vector<std::string> segments;
    bool exception = false;
  };
  std::vector<Pattern> patterns_;
  bool hasExceptions_ = false;
};

}  // namespace launch::build
