// Whole-file reads and writes with errors that name the path.
#include "util/Files.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace launch {

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const ErrorCode code = errno == ENOENT ? ErrorCode::NotFound : ErrorCode::Invalid;
    return makeError(code, "cannot read " + path + ": " + std::strerror(errno));
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

Status writeFile(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return makeError(ErrorCode::Invalid, "cannot write " + path + ": " + std::strerror(errno));
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) return makeError(ErrorCode::Internal, "short write to " + path);
  return {};
}

}  // namespace launch
