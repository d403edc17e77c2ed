// BuildContext: a directory made into the tar a build receives (the Engine API's /build body, a kaniko
// context), with files sorted and times fixed so equal trees give equal archives.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "util/Result.hpp"
#include "util/TarArchive.hpp"

namespace launch::build {

struct BuildContextOptions {
  std::size_t maxBytes = std::size_t{1} << 30;  // the sum of file sizes; larger contexts are refused
  TarCompression compression = TarCompression::None;
};

// The regular files under `dir` (paths relative to it, '/' separated), plus `extra` entries (e.g. a generated
// Dockerfile; an extra entry replaces a file of the same path). Left out: .git, symbolic links, which could
// point outside the checkout, and what the context's .dockerignore excludes (before the size limit counts).
// Errors say which file could not be read, which .dockerignore line is malformed, or how far over the limit it is.
Result<std::string> makeBuildContext(const std::filesystem::path& dir, const std::vector<TarEntry>& extra = {},
                                     const BuildContextOptions& options = {});

}  // namespace launch::build
