// TarArchive: builds and reads a tar (optionally gzip-compressed) archive in memory, for build contexts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/Result.hpp"

namespace launch {

struct TarEntry {
  std::string path;
  std::string content;
  int mode = 0644;
};

enum class TarCompression { None, Gzip };

// Entries are written in the order given, with a fixed modification time, so equal inputs give
// byte-identical archives (and equal content hashes).
Result<std::string> writeTar(const std::vector<TarEntry>& entries, TarCompression compression = TarCompression::None);

// Reads an archive (any format libarchive knows) back into entries; regular files only.
Result<std::vector<TarEntry>> readTar(std::string_view archive);

}  // namespace launch
