// TarFormat: ustar headers with pax records for what does not fit, and a reader for ustar, pax, GNU and v7.
#include "util/TarFormat.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <optional>

namespace launch {
namespace {

// Header field offsets and widths (POSIX ustar).
constexpr std::size_t kNameOffset = 0, kNameSize = 100;
constexpr std::size_t kModeOffset = 100;
constexpr std::size_t kUidOffset = 108;
constexpr std::size_t kGidOffset = 116;
constexpr std::size_t kSizeOffset = 124, kSizeWidth = 12;
constexpr std::size_t kMtimeOffset = 136;
constexpr std::size_t kChecksumOffset = 148, kChecksumWidth = 8;
constexpr std::size_t kTypeOffset = 156;
constexpr std::size_t kMagicOffset = 257;
constexpr std::size_t kVersionOffset = 263;
constexpr std::size_t kDevMajorOffset = 329;
constexpr std::size_t kDevMinorOffset = 337;
constexpr std::size_t kPrefixOffset = 345, kPrefixSize = 155;
constexpr std::size_t kSmallWidth = 8;

constexpr std::uint64_t kMaxOctalSize = 077777777777ULL;         // 11 octal digits: 8 GiB - 1
constexpr std::size_t kMaxMetadataBytes = std::size_t{1} << 20;  // a long name or pax header larger is hostile
constexpr std::string_view kPaxHeaderName = "././@PaxHeader";
constexpr std::string_view kPosixMagic{"ustar\0", 6};

std::size_t padding(std::uint64_t size) { return static_cast<std::size_t>((kTarBlock - size % kTarBlock) % kTarBlock); }

// Writes `value` as zero-padded octal filling all but the field's last byte, which stays NUL.
void putOctal(std::string& block, std::size_t offset, std::size_t width, std::uint64_t value) {
  for (std::size_t i = width - 1; i-- > 0;) {
    block[offset + i] = static_cast<char>('0' + (value & 7U));
    value >>= 3U;
  }
}

void putText(std::string& block, std::size_t offset, std::string_view text) {
  std::copy(text.begin(), text.end(), block.begin() + static_cast<std::ptrdiff_t>(offset));
}

unsigned checksumOf(std::string_view block) {
  unsigned sum = 0;
  for (std::size_t i = 0; i < kTarBlock; ++i) {
    const bool inField = i >= kChecksumOffset && i < kChecksumOffset + kChecksumWidth;
    sum += inField ? static_cast<unsigned>(' ') : static_cast<unsigned char>(block[i]);
  }
  return sum;
}

// Old tars summed the bytes as signed chars; readers accept either.
int signedChecksumOf(std::string_view block) {
  int sum = 0;
  for (std::size_t i = 0; i < kTarBlock; ++i) {
    const bool inField = i >= kChecksumOffset && i < kChecksumOffset + kChecksumWidth;
    sum += inField ? static_cast<int>(' ') : static_cast<int>(static_cast<signed char>(block[i]));
  }
  return sum;
}

std::string ustarBlock(std::string_view name, std::string_view prefix, std::uint64_t size, int mode, char type) {
  std::string block(kTarBlock, '\0');
  putText(block, kNameOffset, name);
  putOctal(block, kModeOffset, kSmallWidth, static_cast<std::uint64_t>(mode));
  putOctal(block, kUidOffset, kSmallWidth, 0);
  putOctal(block, kGidOffset, kSmallWidth, 0);
  putOctal(block, kSizeOffset, kSizeWidth, size);
  putOctal(block, kMtimeOffset, kSizeWidth, 0);
  block[kTypeOffset] = type;
  putText(block, kMagicOffset, kPosixMagic);
  putText(block, kVersionOffset, "00");
  putOctal(block, kDevMajorOffset, kSmallWidth, 0);
  putOctal(block, kDevMinorOffset, kSmallWidth, 0);
  putText(block, kPrefixOffset, prefix);
  // The checksum field: six octal digits, NUL, space.
  putOctal(block, kChecksumOffset, 7, checksumOf(block));
  block[kChecksumOffset + 7] = ' ';
  return block;
}

// One pax record, "<length> <key>=<value>\n", where the length counts its own digits.
std::string paxRecord(std::string_view key, std::string_view value) {
  const std::size_t base = key.size() + value.size() + 3;  // space, '=', newline
  std::size_t length = base + std::to_string(base).size();
  length = base + std::to_string(length).size();
  return std::to_string(length) + " " + std::string(key) + "=" + std::string(value) + "\n";
}

bool isAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Where to cut an ASCII path into ustar's prefix and name (the '/' between them is dropped), if it fits.
std::optional<std::size_t> ustarSplit(std::string_view path) {
  if (path.size() > kPrefixSize + 1 + kNameSize) return std::nullopt;
  for (std::size_t slash = path.find('/'); slash != std::string_view::npos; slash = path.find('/', slash + 1)) {
    if (slash > kPrefixSize) break;
    const std::size_t nameLength = path.size() - slash - 1;
    if (slash > 0 && nameLength > 0 && nameLength <= kNameSize) return slash;
  }
  return std::nullopt;
}

}  // namespace

Result<std::string> tarFileHeader(std::string_view path, std::uint64_t size, int mode) {
  if (path.empty()) return makeError(ErrorCode::Invalid, "a tar entry needs a path");
  if (path.find('\0') != std::string_view::npos) {
    return makeError(ErrorCode::Invalid, "the tar entry path '" + std::string(path.substr(0, path.find('\0'))) +
                                             "...' contains a NUL byte");
  }
  if (mode < 0 || mode > 07777) {
    return makeError(ErrorCode::Invalid, "the tar entry '" + std::string(path) + "' has mode " + std::to_string(mode) +
                                             ", outside 0-07777");
  }
  std::string_view name = path;
  std::string_view prefix;
  std::string records;
  if (!isAscii(path) || path.size() > kNameSize) {
    const auto split = isAscii(path) ? ustarSplit(path) : std::nullopt;
    if (split) {
      prefix = path.substr(0, *split);
      name = path.substr(*split + 1);
    } else {
      records += paxRecord("path", path);
      name = {};
    }
  }
  if (size > kMaxOctalSize) records += paxRecord("size", std::to_string(size));
  if (records.empty()) return ustarBlock(name, prefix, size, mode, '0');

  // Readers without pax support see the ustar header's own name: the path's end, made ASCII.
  std::string fallback = std::string(name.empty() ? path.substr(path.size() - std::min(path.size(), kNameSize)) : name);
  std::replace_if(
      fallback.begin(), fallback.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }, '_');
  std::string out = ustarBlock(kPaxHeaderName, {}, records.size(), 0644, 'x');
  out += records;
  out.append(padding(records.size()), '\0');
  out += ustarBlock(fallback, prefix, size > kMaxOctalSize ? 0 : size, mode, '0');
  return out;
}

Status writeTarStream(const std::vector<TarEntry>& entries, const TarSink& sink) {
  std::uint64_t written = 0;
  const auto emit = [&](std::string_view bytes) {
    written += bytes.size();
    return sink(bytes);
  };
  const std::string zeros(kTarRecord, '\0');
  for (const auto& entry : entries) {
    auto header = tarFileHeader(entry.path, entry.content.size(), entry.mode);
    if (!header) return header.error();
    if (Status s = emit(*header); !s.ok()) return s;
    if (Status s = emit(entry.content); !s.ok()) return s;
    if (Status s = emit(std::string_view(zeros).substr(0, padding(entry.content.size()))); !s.ok()) return s;
  }
  if (Status s = emit(std::string_view(zeros).substr(0, 2 * kTarBlock)); !s.ok()) return s;
  return emit(
      std::string_view(zeros).substr(0, static_cast<std::size_t>((kTarRecord - written % kTarRecord) % kTarRecord)));
}

namespace {

std::string_view field(std::string_view block, std::size_t offset, std::size_t width) {
  return block.substr(offset, width);
}

// A NUL-terminated string field (no NUL when it fills the field).
std::string_view textField(std::string_view block, std::size_t offset, std::size_t width) {
  std::string_view f = field(block, offset, width);
  return f.substr(0, std::min(f.size(), f.find('\0')));
}

// An octal number (leading spaces, ended by NUL or space), or GNU's base-256 (high bit of the first byte).
std::optional<std::uint64_t> parseNumber(std::string_view f) {
  if (f.empty()) return 0;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  const auto first = static_cast<unsigned char>(f[0]);
  if ((first & 0x80U) != 0) {
    if (first == 0xff) return std::nullopt;  // negative
    std::uint64_t value = first & 0x7fU;
    for (char c : f.substr(1)) {
      if (value > (kMax >> 8U)) return std::nullopt;
      value = (value << 8U) | static_cast<unsigned char>(c);
    }
    return value;
  }
  std::size_t i = 0;
  while (i < f.size() && f[i] == ' ') ++i;
  std::uint64_t value = 0;
  for (; i < f.size() && f[i] != '\0' && f[i] != ' '; ++i) {
    if (f[i] < '0' || f[i] > '7' || value > (kMax >> 3U)) return std::nullopt;
    value = (value << 3U) | static_cast<std::uint64_t>(f[i] - '0');
  }
  for (; i < f.size(); ++i) {
    if (f[i] != '\0' && f[i] != ' ') return std::nullopt;
  }
  return value;
}

bool checksumMatches(std::string_view block) {
  const auto stored = parseNumber(field(block, kChecksumOffset, kChecksumWidth));
  return stored && (*stored == checksumOf(block) || static_cast<std::int64_t>(*stored) == signedChecksumOf(block));
}

bool allZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == '\0'; });
}

// Path and size given by pax or GNU long-name headers, for the next entry (local) or all later ones (global).
struct Overrides {
  std::optional<std::string> path;
  std::optional<std::uint64_t> size;
};

Status parsePax(std::string_view data, Overrides& into, std::uint64_t offset) {
  const auto bad = [&](const std::string& why) {
    return makeError(ErrorCode::Invalid,
                     "the pax header at byte " + std::to_string(offset) + " of the tar stream is malformed: " + why);
  };
  while (!data.empty()) {
    if (allZero(data)) break;  // some writers pad the records with NULs
    const std::size_t space = data.find(' ');
    if (space == std::string_view::npos || space == 0 || space > 20) return bad("a record has no length");
    std::uint64_t length = 0;
    for (char c : data.substr(0, space)) {
      if (c < '0' || c > '9') return bad("a record length is not a number");
      length = length * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (length <= space + 1 || length > data.size() || data[length - 1] != '\n') {
      return bad("a record's length does not match its text");
    }
    const std::string_view record = data.substr(space + 1, length - space - 2);
    data.remove_prefix(length);
    const std::size_t equals = record.find('=');
    if (equals == std::string_view::npos || equals == 0) return bad("a record has no key");
    const std::string_view key = record.substr(0, equals);
    const std::string_view value = record.substr(equals + 1);
    if (key.starts_with("GNU.sparse.")) {
      return makeError(ErrorCode::Invalid, "the tar archive holds a GNU sparse file, which is not supported");
    }
    if (key == "path") {
      // An empty value cancels an earlier (global) value.
      into.path = value.empty() ? std::nullopt : std::optional<std::string>(value);
    } else if (key == "size") {
      if (value.empty()) {
        into.size.reset();
        continue;
      }
      std::uint64_t size = 0;
      for (char c : value) {
        if (c < '0' || c > '9' || size > std::numeric_limits<std::uint64_t>::max() / 10 - 9) {
          return bad("size '" + std::string(value) + "' is not a number");
        }
        size = size * 10 + static_cast<std::uint64_t>(c - '0');
      }
      into.size = size;
    }
  }
  return {};
}

// Pulls bytes from the source, counting them against the limit.
class StreamReader {
 public:
  StreamReader(const TarSource& source, std::uint64_t maxBytes) : source_(source), maxBytes_(maxBytes) {}

  std::uint64_t consumed() const { return consumed_; }

  Status fits(std::uint64_t more) const {
    if (more <= maxBytes_ && consumed_ <= maxBytes_ - more) return {};
    return makeError(ErrorCode::Invalid, "the archive unpacks to more than " + std::to_string(maxBytes_) +
                                             " bytes, the limit for an archive");
  }

  Result<std::size_t> read(std::span<char> out) {
    auto n = source_(out);
    if (!n) return n.error();
    consumed_ += *n;
    if (Status s = fits(0); !s.ok()) return s.error();
    return n;
  }

  // Exactly out.size() bytes, else a truncation error naming what was being read.
  Status take(std::span<char> out, const std::string& what) {
    if (Status s = fits(out.size()); !s.ok()) return s;
    const std::uint64_t start = consumed_;
    auto n = read(out);
    if (!n) return n.error();
    if (*n != out.size()) {
      return makeError(ErrorCode::Invalid, "the tar stream is truncated: it ends at byte " + std::to_string(consumed_) +
                                               ", inside " + what + " that starts at byte " + std::to_string(start));
    }
    return {};
  }

  // `size` bytes of entry data, grown as they arrive rather than allocated up front, so a header declaring
  // more than the stream holds costs no memory.
  Result<std::string> takeData(std::uint64_t size, const std::string& what) {
    if (Status s = fits(size); !s.ok()) return s.error();
    constexpr std::size_t kPiece = std::size_t{1} << 20;
    std::string data;
    while (data.size() < size) {
      const std::size_t start = data.size();
      data.resize(start + static_cast<std::size_t>(std::min<std::uint64_t>(size - start, kPiece)));
      if (Status s = take(std::span(data).subspan(start), what); !s.ok()) return s.error();
    }
    return data;
  }

  Status skip(std::uint64_t size, const std::string& what) {
    if (Status s = fits(size); !s.ok()) return s;
    std::array<char, 16384> scratch{};
    while (size > 0) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size, scratch.size()));
      if (Status s = take(std::span(scratch.data(), n), what); !s.ok()) return s;
      size -= n;
    }
    return {};
  }

  // Reads to the end of the source, so a compressed source checks its trailer.
  Status drain() {
    std::array<char, 16384> scratch{};
    for (;;) {
      auto n = read(scratch);
      if (!n) return n.error();
      if (*n < scratch.size()) return {};
    }
  }

 private:
  const TarSource& source_;
  std::uint64_t maxBytes_;
  std::uint64_t consumed_ = 0;
};

Result<std::string> readMetadata(StreamReader& reader, std::uint64_t size, char type, std::uint64_t offset) {
  if (size > kMaxMetadataBytes) {
    return makeError(ErrorCode::Invalid, std::string("the tar header '") + type + "' at byte " +
                                             std::to_string(offset) + " declares " + std::to_string(size) +
                                             " bytes of metadata, more than the " + std::to_string(kMaxMetadataBytes) +
                                             " allowed");
  }
  auto data = reader.takeData(size, "a metadata entry");
  if (!data) return data.error();
  if (Status s = reader.skip(padding(size), "a metadata entry"); !s.ok()) return s.error();
  return data;
}

bool isRegularType(char type) { return type == '0' || type == '\0' || type == '7'; }

// Types whose size field describes no data: links, devices, directories, FIFOs.
bool hasNoData(char type) { return type >= '1' && type <= '6'; }

}  // namespace

bool isTarHeader(std::string_view block) {
  if (block.size() < kTarBlock) return false;
  block = block.substr(0, kTarBlock);
  if (field(block, kMagicOffset, 5) == "ustar") return true;
  return allZero(block) || checksumMatches(block);
}

Result<std::vector<TarEntry>> readTarStream(const TarSource& source, std::uint64_t maxBytes) {
  StreamReader reader(source, maxBytes);
  std::vector<TarEntry> entries;
  Overrides global;
  Overrides local;
  bool localPax = false;
  std::string block(kTarBlock, '\0');
  for (;;) {
    const std::uint64_t offset = reader.consumed();
    auto n = reader.read(block);
    if (!n) return n.error();
    if (*n == 0) {
      return makeError(ErrorCode::Invalid, offset == 0 ? std::string("the tar stream is empty")
                                                       : "the tar stream ends at byte " + std::to_string(offset) +
                                                             " without its end-of-archive blocks: it is truncated");
    }
    if (*n < kTarBlock) {
      return makeError(ErrorCode::Invalid, "the tar stream is truncated: it ends at byte " +
                                               std::to_string(reader.consumed()) + ", inside the header at byte " +
                                               std::to_string(offset));
    }
    if (allZero(block)) {
      if (Status s = reader.drain(); !s.ok()) return s.error();
      return entries;
    }
    if (!checksumMatches(block)) {
      const std::string stored(textField(block, kChecksumOffset, kChecksumWidth));
      return makeError(ErrorCode::Invalid, "the tar header at byte " + std::to_string(offset) +
                                               " has a bad checksum (stored '" + stored + "', computed " +
                                               std::to_string(checksumOf(block)) +
                                               "): the archive is corrupt or not a tar archive");
    }
    const char type = block[kTypeOffset];
    const auto headerSize = parseNumber(field(block, kSizeOffset, kSizeWidth));
    const auto mode = parseNumber(field(block, kModeOffset, kSmallWidth));
    if (!headerSize || !mode) {
      return makeError(ErrorCode::Invalid, "the tar header at byte " + std::to_string(offset) + " has a malformed " +
                                               (headerSize ? "mode" : "size") + " field");
    }
    if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
      auto data = readMetadata(reader, *headerSize, type, offset);
      if (!data) return data.error();
      if (type == 'x' || type == 'g') {
        if (Status s = parsePax(*data, type == 'x' ? local : global, offset); !s.ok()) return s.error();
        localPax = localPax || type == 'x';
      } else if (type == 'L') {
        local.path = data->substr(0, data->find('\0'));
      }
      continue;  // 'K' names a long link target, which a skipped link does not need
    }
    if (type == 'S') {
      return makeError(ErrorCode::Invalid, "the tar archive holds a GNU sparse file, which is not supported");
    }

    std::string path;
    if (local.path) {
      path = *local.path;
    } else if (global.path) {
      path = *global.path;
    } else {
      // Only POSIX ustar has a prefix field; GNU tar keeps other data there.
      const std::string_view prefix = textField(block, kPrefixOffset, kPrefixSize);
      if (field(block, kMagicOffset, kPosixMagic.size()) == kPosixMagic && !prefix.empty()) {
        path.append(prefix).append("/");
      }
      path.append(textField(block, kNameOffset, kNameSize));
    }
    const std::uint64_t size = local.size ? *local.size : global.size ? *global.size : *headerSize;
    // A hard link carries data only when a pax header says so (libarchive's reading of the standard).
    const bool hasData = !(hasNoData(type) && !(type == '1' && localPax));
    local = {};
    localPax = false;

    while (path.starts_with("./")) path.erase(0, 2);
    const std::uint64_t dataSize = hasData ? size : 0;
    if (!isRegularType(type) || path.ends_with('/') || path.empty()) {
      const std::string what = "the data of '" + path + "'";
      if (Status s = reader.skip(dataSize, what); !s.ok()) return s.error();
      if (Status s = reader.skip(padding(dataSize), what); !s.ok()) return s.error();
      continue;
    }
    TarEntry entry{std::move(path), {}, static_cast<int>(*mode & 07777U)};
    auto content = reader.takeData(size, "the data of '" + entry.path + "'");
    if (!content) return content.error();
    entry.content = std::move(content).value();
    if (Status s = reader.skip(padding(size), "the data of '" + entry.path + "'"); !s.ok()) return s.error();
    entries.push_back(std::move(entry));
  }
}

}  // namespace launch
