// ZipReader: reads a zip archive's regular files through its central directory (stored and deflate members).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "util/Result.hpp"
#include "util/TarArchive.hpp"

namespace launch {

// Regular files in central-directory order, each checked against its CRC-32; directories and symlinks are
// skipped. The mode comes from the external attributes when the archive was made on Unix, else 0644.
// ZIP64, encryption, multi-disk archives and methods other than stored (0) and deflate (8) are refused, as is
// a total declared size above maxBytes.
Result<std::vector<TarEntry>> readZip(std::string_view archive, std::uint64_t maxBytes);

}  // namespace launch
