// TarArchive: builds a tar (optionally gzip-compressed) archive in memory for build contexts, and reads the
// archives job sources come as (tar, tar.gz, zip) back into files.
#pragma once

#include <cstdint>
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

// The most an archive may unpack to (the tar stream after decompression, or the sum of a zip's file sizes):
// the size the build context limit allows, since a larger source could not be built anyway.
inline constexpr std::uint64_t kMaxUnpackedArchiveBytes = std::uint64_t{1} << 30;

// POSIX ustar with pax records for paths that do not fit ustar or are not ASCII (and sizes of 8 GiB and
// more); regular files only, directories implied. Entries are written in the order given with modification
// time 0 and owner 0:0, and gzip gets a fixed header, so equal inputs give byte-identical archives (and equal
// content hashes).
Result<std::string> writeTar(const std::vector<TarEntry>& entries, TarCompression compression = TarCompression::None);

// Reads a tar (ustar, pax, GNU or v7), tar.gz/tgz or zip (stored or deflate) archive, told apart by its first
// bytes, back into its regular files; directories and links are skipped and a leading "./" is dropped.
// Checksums and CRCs are verified. Any other format, a corrupt or truncated archive, or one unpacking to more
// than maxBytes is an ErrorCode::Invalid error saying what was found.
Result<std::vector<TarEntry>> readTar(std::string_view archive, std::uint64_t maxBytes = kMaxUnpackedArchiveBytes);

}  // namespace launch
