// TarArchive: picks the container by its magic bytes and hands it to TarFormat, Gzip or ZipReader.
#include "util/TarArchive.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "util/Gzip.hpp"
#include "util/TarFormat.hpp"
#include "util/ZipReader.hpp"

namespace launch {
namespace {

using namespace std::string_view_literals;

constexpr std::string_view kSupported = "supported formats: tar, tar.gz/tgz, zip";

struct Magic {
  std::string_view bytes;
  std::size_t offset;
  std::string_view name;
};

// Formats someone might hand us that we do not read, so the error can name them.
constexpr std::array<Magic, 10> kUnsupported = {{
    {"BZh"sv, 0, "bzip2-compressed"},
    {"\xfd"
     "7zXZ\x00"sv,
     0, "xz-compressed"},
    {"\x28\xb5\x2f\xfd"sv, 0, "zstd-compressed"},
    {"\x04\x22\x4d\x18"sv, 0, "lz4-compressed"},
    {"LZIP"sv, 0, "lzip-compressed"},
    {"\x1f\x9d"sv, 0, "compress (.Z)-compressed"},
    {"\x5d\x00\x00"sv, 0, "lzma-compressed"},
    {"7z\xbc\xaf\x27\x1c"sv, 0, "a 7z archive"},
    {"Rar!\x1a\x07"sv, 0, "a RAR archive"},
    {"!<arch>\n"sv, 0, "an ar archive (a .deb?)"},
}};

bool startsWith(std::string_view data, std::string_view magic, std::size_t offset = 0) {
  return data.size() >= offset + magic.size() && data.substr(offset, magic.size()) == magic;
}

std::string firstBytes(std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < std::min<std::size_t>(data.size(), 8); ++i) {
    const auto byte = static_cast<unsigned char>(data[i]);
    if (i > 0) out += ' ';
    out += kHex[byte >> 4U];
    out += kHex[byte & 15U];
  }
  return out;
}

Result<std::vector<TarEntry>> readGzippedTar(std::string_view archive, std::uint64_t maxBytes) {
  GzipReader gzip(archive);
  // Look at the first block before handing the stream over, so a gzip of something else says so.
  std::string head(kTarBlock, '\0');
  auto n = gzip.read(head);
  if (!n) return n.error();
  head.resize(*n);
  if (!isTarHeader(head)) {
    return makeError(ErrorCode::Invalid,
                     "the archive is gzip-compressed but holds no tar archive (its data starts with bytes " +
                         firstBytes(head) + "); " + std::string(kSupported));
  }
  std::size_t headOffset = 0;
  const TarSource source = [&](std::span<char> out) -> Result<std::size_t> {
    const std::size_t fromHead = std::min(out.size(), head.size() - headOffset);
    std::memcpy(out.data(), head.data() + headOffset, fromHead);
    headOffset += fromHead;
    if (fromHead == out.size()) return fromHead;
    auto more = gzip.read(out.subspan(fromHead));
    if (!more) return more.error();
    return fromHead + *more;
  };
  return readTarStream(source, maxBytes);
}

Result<std::vector<TarEntry>> readPlainTar(std::string_view archive, std::uint64_t maxBytes) {
  std::size_t offset = 0;
  const TarSource source = [&](std::span<char> out) -> Result<std::size_t> {
    const std::size_t n = std::min(out.size(), archive.size() - offset);
    std::memcpy(out.data(), archive.data() + offset, n);
    offset += n;
    return n;
  };
  return readTarStream(source, maxBytes);
}

}  // namespace

Result<std::string> writeTar(const std::vector<TarEntry>& entries, TarCompression compression) {
  if (compression == TarCompression::None) {
    std::string out;
    const Status written = writeTarStream(entries, [&](std::string_view bytes) {
      out.append(bytes);
      return Status{};
    });
    if (!written.ok()) return written.error();
    return out;
  }
  GzipWriter gzip;
  const Status written = writeTarStream(entries, [&](std::string_view bytes) { return gzip.append(bytes); });
  if (!written.ok()) return written.error();
  return gzip.finish();
}

Result<std::vector<TarEntry>> readTar(std::string_view archive, std::uint64_t maxBytes) {
  if (archive.empty()) return makeError(ErrorCode::Invalid, "the archive is empty; " + std::string(kSupported));
  if (startsWith(archive, "\x1f\x8b")) return readGzippedTar(archive, maxBytes);
  if (startsWith(archive, "PK\x03\x04"sv) || startsWith(archive, "PK\x05\x06"sv)) return readZip(archive, maxBytes);
  for (const auto& magic : kUnsupported) {
    if (startsWith(archive, magic.bytes, magic.offset)) {
      return makeError(ErrorCode::Invalid, "the archive is " + std::string(magic.name) + ", which is not supported; " +
                                               std::string(kSupported));
    }
  }
  if (isTarHeader(archive)) return readPlainTar(archive, maxBytes);
  return makeError(ErrorCode::Invalid, "the archive is in no known format (it starts with bytes " +
                                           firstBytes(archive) + "); " + std::string(kSupported));
}

}  // namespace launch
