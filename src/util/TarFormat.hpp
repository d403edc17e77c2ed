// TarFormat: the tar stream itself: writing POSIX ustar (pax records where ustar falls short) and reading
// what common tools write (ustar, pax, GNU, v7).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/Result.hpp"
#include "util/TarArchive.hpp"

namespace launch {

inline constexpr std::size_t kTarBlock = 512;
inline constexpr std::size_t kTarRecord = 20 * kTarBlock;  // tar pads its output to whole records

// The header block(s) for one regular file with modification time 0, owner 0:0 and no owner names: a pax
// extended header first when the path needs more than ustar's 100 + 155 bytes split at a '/', is not ASCII,
// or the size needs more than ustar's 11 octal digits.
Result<std::string> tarFileHeader(std::string_view path, std::uint64_t size, int mode);

// Receives the archive's bytes in order.
using TarSink = std::function<Status(std::string_view)>;

// Writes the entries as regular files in the order given, then the end-of-archive blocks, padded to a record.
Status writeTarStream(const std::vector<TarEntry>& entries, const TarSink& sink);

// Fills the span with the stream's next bytes; fewer only at its end.
using TarSource = std::function<Result<std::size_t>(std::span<char>)>;

// Reads a tar stream's regular files; directories, links and devices are skipped. GNU long names ('L'), pax
// extended ('x') and global ('g') headers give paths and sizes; a leading "./" is dropped. The stream is read
// to its end, so a compressed source checks its trailer. More than maxBytes of stream is refused.
Result<std::vector<TarEntry>> readTarStream(const TarSource& source, std::uint64_t maxBytes);

// Whether a block looks like a tar header: ustar magic, or (old v7 tar) a valid checksum.
bool isTarHeader(std::string_view block);

}  // namespace launch
