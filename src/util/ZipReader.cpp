// ZipReader: the end-of-central-directory record, the central directory, then each member's local header.
#include "util/ZipReader.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "util/Gzip.hpp"

namespace launch {
namespace {

constexpr std::uint32_t kLocalSignature = 0x04034b50;
constexpr std::uint32_t kCentralSignature = 0x02014b50;
constexpr std::uint32_t kEndSignature = 0x06054b50;
constexpr std::uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr std::size_t kEndSize = 22;
constexpr std::size_t kCentralSize = 46;
constexpr std::size_t kLocalSize = 30;
constexpr std::size_t kZip64LocatorSize = 20;
constexpr std::size_t kMaxComment = 0xffff;

constexpr std::uint16_t kStored = 0;
constexpr std::uint16_t kDeflated = 8;
constexpr std::uint16_t kEncryptedFlag = 1;
constexpr unsigned kHostUnix = 3;
constexpr unsigned kHostMacOs = 19;
constexpr std::uint32_t kTypeMask = 0170000;
constexpr std::uint32_t kRegularType = 0100000;

std::uint16_t u16(std::string_view data, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(data[at]) |
                                    (static_cast<unsigned>(static_cast<unsigned char>(data[at + 1])) << 8U));
}

std::uint32_t u32(std::string_view data, std::size_t at) {
  return static_cast<std::uint32_t>(u16(data, at)) | (static_cast<std::uint32_t>(u16(data, at + 2)) << 16U);
}

Error invalid(const std::string& message) { return makeError(ErrorCode::Invalid, "zip: " + message); }

std::string methodName(std::uint16_t method) {
  switch (method) {
    case 1:
      return "shrink";
    case 6:
      return "implode";
    case 9:
      return "deflate64";
    case 12:
      return "bzip2";
    case 14:
      return "lzma";
    case 93:
      return "zstd";
    case 95:
      return "xz";
    case 99:
      return "AES encryption";
    default:
      return "unknown";
  }
}

// The end-of-central-directory record: the last signature whose comment reaches the end of the archive
// (or, failing that, stays inside it).
std::optional<std::size_t> findEnd(std::string_view archive) {
  if (archive.size() < kEndSize) return std::nullopt;
  const std::size_t lowest = archive.size() - kEndSize - std::min(archive.size() - kEndSize, kMaxComment);
  std::optional<std::size_t> inside;
  for (std::size_t at = archive.size() - kEndSize + 1; at-- > lowest;) {
    if (u32(archive, at) != kEndSignature) continue;
    const std::size_t end = at + kEndSize + u16(archive, at + 20);
    if (end == archive.size()) return at;
    if (end < archive.size() && !inside) inside = at;
  }
  return inside;
}

struct Member {
  std::string path;
  std::uint16_t flags = 0;
  std::uint16_t method = 0;
  std::uint32_t crc = 0;
  std::uint32_t compressedSize = 0;
  std::uint32_t size = 0;
  std::uint32_t localOffset = 0;
  bool regular = true;
  int mode = 0644;
};

// One central-directory record at `at`; `next` is set to the record after it.
Result<Member> parseCentral(std::string_view archive, std::size_t at, std::size_t end, std::size_t& next) {
  if (end - at < kCentralSize || u32(archive, at) != kCentralSignature) {
    return invalid("the central directory is corrupt at byte " + std::to_string(at));
  }
  const std::size_t nameLength = u16(archive, at + 28);
  const std::size_t variable = nameLength + u16(archive, at + 30) + u16(archive, at + 32);
  if (end - at - kCentralSize < variable) return invalid("a central directory record overruns the directory");
  next = at + kCentralSize + variable;

  Member m;
  m.path = archive.substr(at + kCentralSize, nameLength);
  const unsigned host = u16(archive, at + 4) >> 8U;
  m.flags = u16(archive, at + 8);
  m.method = u16(archive, at + 10);
  m.crc = u32(archive, at + 16);
  m.compressedSize = u32(archive, at + 20);
  m.size = u32(archive, at + 24);
  m.localOffset = u32(archive, at + 42);
  if (m.compressedSize == 0xffffffff || m.size == 0xffffffff || m.localOffset == 0xffffffff ||
      u16(archive, at + 34) == 0xffff) {
    return invalid("'" + m.path + "' uses ZIP64 extensions, which are not supported; repack it as tar.gz");
  }
  if (u16(archive, at + 34) != 0) return invalid("multi-disk archives are not supported");
  const std::uint32_t unixMode = u32(archive, at + 38) >> 16U;
  if ((host == kHostUnix || host == kHostMacOs) && unixMode != 0) {
    const std::uint32_t fileType = unixMode & kTypeMask;
    m.regular = fileType == 0 || fileType == kRegularType;
    if ((unixMode & 0777U) != 0) m.mode = static_cast<int>(unixMode & 07777U);
  }
  if (m.path.ends_with('/')) m.regular = false;
  return m;
}

Result<std::string> extract(std::string_view archive, const Member& m) {
  const std::string where = "'" + m.path + "'";
  if ((m.flags & kEncryptedFlag) != 0) return invalid(where + " is encrypted, which is not supported");
  if (m.method != kStored && m.method != kDeflated) {
    return invalid(where + " uses compression method " + std::to_string(m.method) + " (" + methodName(m.method) +
                   "), which is not supported; supported: stored (0) and deflate (8)");
  }
  const std::size_t local = m.localOffset;
  if (local > archive.size() || archive.size() - local < kLocalSize || u32(archive, local) != kLocalSignature) {
    return invalid("the local header of " + where + " is missing or corrupt (at byte " + std::to_string(local) + ")");
  }
  const std::size_t dataStart = local + kLocalSize + u16(archive, local + 26) + u16(archive, local + 28);
  if (dataStart > archive.size() || archive.size() - dataStart < m.compressedSize) {
    return invalid("the data of " + where + " runs past the end of the archive: it is truncated");
  }
  const std::string_view data = archive.substr(dataStart, m.compressedSize);
  std::string content;
  if (m.method == kStored) {
    if (m.compressedSize != m.size) {
      return invalid(where + " is stored with " + std::to_string(m.compressedSize) + " bytes but declares " +
                     std::to_string(m.size));
    }
    content = data;
  } else {
    auto inflated = inflateRaw(data, m.size);
    if (!inflated) return invalid(where + " " + inflated.error().message);
    content = std::move(inflated).value();
  }
  if (const std::uint32_t crc = crc32Of(content); crc != m.crc) {
    return invalid(where + " fails its CRC-32 check (stored " + std::to_string(m.crc) + ", computed " +
                   std::to_string(crc) + "): the archive is corrupt");
  }
  return content;
}

}  // namespace

Result<std::vector<TarEntry>> readZip(std::string_view archive, std::uint64_t maxBytes) {
  const auto end = findEnd(archive);
  if (!end) return invalid("no end-of-central-directory record: the archive is truncated or not a zip");
  if (*end >= kZip64LocatorSize && u32(archive, *end - kZip64LocatorSize) == kZip64LocatorSignature) {
    return invalid("the archive uses ZIP64 extensions, which are not supported; repack it as tar.gz");
  }
  const std::uint16_t disk = u16(archive, *end + 4);
  const std::uint16_t directoryDisk = u16(archive, *end + 6);
  const std::uint16_t count = u16(archive, *end + 10);
  const std::uint32_t directorySize = u32(archive, *end + 12);
  const std::uint32_t directoryOffset = u32(archive, *end + 16);
  if (count == 0xffff || directorySize == 0xffffffff || directoryOffset == 0xffffffff) {
    return invalid("the archive uses ZIP64 extensions, which are not supported; repack it as tar.gz");
  }
  if (disk != 0 || directoryDisk != 0 || u16(archive, *end + 8) != count) {
    return invalid("multi-disk archives are not supported");
  }
  if (directoryOffset > *end || *end - directoryOffset < directorySize) {
    return invalid("the central directory lies outside the archive: it is truncated or corrupt");
  }

  std::vector<Member> members;
  std::uint64_t total = 0;
  const std::size_t directoryEnd = directoryOffset + directorySize;
  std::size_t at = directoryOffset;
  for (std::uint16_t i = 0; i < count; ++i) {
    auto member = parseCentral(archive, at, directoryEnd, at);
    if (!member) return member.error();
    if (!member->regular) continue;
    total += member->size;
    if (total > maxBytes) {
      return invalid("the archive's files declare more than " + std::to_string(maxBytes) +
                     " bytes in all, the limit for an archive");
    }
    members.push_back(std::move(member).value());
  }

  std::vector<TarEntry> entries;
  entries.reserve(members.size());
  for (auto& m : members) {
    auto content = extract(archive, m);
    if (!content) return content.error();
    std::string path = std::move(m.path);
    while (path.starts_with("./")) path.erase(0, 2);
    entries.push_back(TarEntry{std::move(path), std::move(content).value(), m.mode});
  }
  return entries;
}

}  // namespace launch
