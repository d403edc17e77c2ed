// Unit tests of TarArchive: round trips, determinism, archives made by GNU tar and git read back, our archives
// read by GNU tar, zip members, corrupt and hostile inputs, and a fuzz loop that must never crash.
#include <gtest/gtest.h>
#include <stdlib.h>  // NOLINT(modernize-deprecated-headers): mkdtemp

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "util/Files.hpp"
#include "util/Gzip.hpp"
#include "util/Subprocess.hpp"
#include "util/TarArchive.hpp"
#include "util/TarFormat.hpp"

namespace launch {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------------------
// Helpers

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "tar-archive-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Runs a tool in a UTF-8 C locale (so non-ASCII names pass through unchanged), in UTC, without user git config.
ProcessOutput run(const std::vector<std::string>& argv) {
  auto out = runProcess(
      argv, {{"LC_ALL", "C.UTF-8"}, {"TZ", "UTC"}, {"GIT_CONFIG_NOSYSTEM", "1"}, {"GIT_CONFIG_GLOBAL", "/dev/null"}});
  if (!out) return ProcessOutput{127, "", out.error().message};
  return *out;
}

bool haveTool(const std::string& tool, const std::string& versionMentions) {
  const ProcessOutput out = run({tool, "--version"});
  return out.exitCode == 0 && out.stdoutText.find(versionMentions) != std::string::npos;
}

#define REQUIRE_TOOL(tool, mentions)                                                      \
  if (!haveTool(tool, mentions)) {                                                        \
    GTEST_SKIP() << (tool) << " (" << (mentions) << ") is not installed on this machine"; \
  }

#define ASSERT_RUNS(argv)                                              \
  do {                                                                 \
    const ProcessOutput ran_ = run(argv);                              \
    ASSERT_EQ(ran_.exitCode, 0) << ran_.stderrText << ran_.stdoutText; \
  } while (false)

std::string readBytes(const fs::path& path) {
  auto data = readFile(path.string());
  return data ? *data : std::string("<unreadable>");
}

int permissionsOf(const fs::path& path) {
  return static_cast<int>(fs::symlink_status(path).permissions() & fs::perms::mask) & 07777;
}

// Writes regular files (with exact modes, whatever the umask) under root.
void writeTree(const fs::path& root, const std::vector<TarEntry>& files) {
  for (const auto& file : files) {
    const fs::path target = root / file.path;
    fs::create_directories(target.parent_path());
    ASSERT_TRUE(writeFile(target.string(), file.content).ok()) << target;
    fs::permissions(target, static_cast<fs::perms>(file.mode));
  }
}

// Every regular file under root, keyed by its path relative to root.
std::map<std::string, TarEntry> readTree(const fs::path& root) {
  std::map<std::string, TarEntry> files;
  for (const auto& item : fs::recursive_directory_iterator(root)) {
    if (!item.is_regular_file() || item.is_symlink()) continue;
    const std::string relative = fs::relative(item.path(), root).string();
    files[relative] = TarEntry{relative, readBytes(item.path()), permissionsOf(item.path())};
  }
  return files;
}

std::map<std::string, TarEntry> byPath(const std::vector<TarEntry>& entries) {
  std::map<std::string, TarEntry> out;
  for (const auto& e : entries) out[e.path] = e;
  return out;
}

// Compares path, content and mode of two file sets, naming the first difference.
void expectSameFiles(const std::map<std::string, TarEntry>& actual, const std::map<std::string, TarEntry>& expected) {
  std::vector<std::string> actualPaths;
  std::vector<std::string> expectedPaths;
  actualPaths.reserve(actual.size());
  expectedPaths.reserve(expected.size());
  for (const auto& [path, entry] : actual) actualPaths.push_back(path);
  for (const auto& [path, entry] : expected) expectedPaths.push_back(path);
  ASSERT_EQ(actualPaths, expectedPaths);
  for (const auto& [path, entry] : expected) {
    const TarEntry& got = actual.at(path);
    EXPECT_EQ(got.content, entry.content) << path;
    EXPECT_EQ(got.mode, entry.mode) << path;
  }
}

void expectSameEntries(const std::vector<TarEntry>& actual, const std::vector<TarEntry>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(actual[i].path, expected[i].path) << "entry " << i;
    EXPECT_EQ(actual[i].content, expected[i].content) << expected[i].path;
    EXPECT_EQ(actual[i].mode, expected[i].mode) << expected[i].path;
  }
}

std::string allBytes() {
  std::string out;
  for (int i = 0; i < 256; ++i) out += static_cast<char>(i);
  return out;
}

std::string gzip(std::string_view data) {
  GzipWriter writer;
  EXPECT_TRUE(writer.append(data).ok());
  auto out = writer.finish();
  return out ? *out : std::string();
}

// A raw deflate stream: a gzip member without its 10-byte header (zlib writes no optional fields) and
// 8-byte trailer.
std::string deflateRaw(std::string_view data) {
  const std::string member = gzip(data);
  return member.substr(10, member.size() - 18);
}

// Paths that stress ustar: a prefix split, a name part longer than 100, more than 255 bytes, not ASCII.
const std::string kSplitPath = "deep/" + std::string(120, 'n') + "/f.txt";                   // 131: prefix + name
const std::string kLongNamePath = "x/" + std::string(150, 'y') + ".txt";                     // name part > 100
const std::string kVeryLongPath = std::string(95, 'a') + "/" + std::string(95, 'b') + "/" +  // > 255
                                  std::string(95, 'c') + "/file.txt";
const std::string kNonAsciiPath = "données/naïve-ü-日本.txt";

// ---------------------------------------------------------------------------------------------------------
// Round trips

struct RoundTripCase {
  std::string name;
  std::vector<TarEntry> entries;
};

class TarRoundTrip : public ::testing::TestWithParam<std::tuple<RoundTripCase, TarCompression>> {};

TEST_P(TarRoundTrip, ReadsBackWhatWasWrittenIdentically) {
  const auto& [c, compression] = GetParam();
  auto first = writeTar(c.entries, compression);
  auto second = writeTar(c.entries, compression);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second) << "equal inputs must give byte-identical archives";
  if (compression == TarCompression::None) {
    EXPECT_EQ(first->size() % kTarRecord, 0U) << "padded to a tar record";
  }
  auto read = readTar(*first);
  ASSERT_TRUE(read.ok()) << read.error().message;
  expectSameEntries(*read, c.entries);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TarRoundTrip,
    ::testing::Combine(
        ::testing::Values(RoundTripCase{"NoEntries", {}},
                          RoundTripCase{"FilesAndModes",
                                        {{"Dockerfile", "FROM scratch\n", 0644},
                                         {"bin/tool", std::string(70000, 'x'), 0755},
                                         {"secret", "s", 0600},
                                         {"setuid", "u", 04755}}},
                          RoundTripCase{"EmptyFile", {{"empty", "", 0644}, {"after", "still read\n", 0644}}},
                          RoundTripCase{"BlockSizedContent",
                                        {{"one-block", std::string(512, 'a'), 0644},
                                         {"two-blocks", std::string(1024, 'b'), 0644},
                                         {"one-byte-over", std::string(513, 'c'), 0644}}},
                          RoundTripCase{"BinaryContent", {{"bytes.bin", allBytes() + allBytes(), 0644}}},
                          RoundTripCase{"PathOf100", {{std::string(100, 'p'), "exactly fits the name field", 0644}}},
                          RoundTripCase{"PrefixSplitPath", {{kSplitPath, "split", 0644}}},
                          RoundTripCase{"LongNamePart", {{kLongNamePath, "pax", 0644}}},
                          RoundTripCase{"PathOver255", {{kVeryLongPath, "pax", 0755}}},
                          RoundTripCase{"NonAscii", {{kNonAsciiPath, "ça marche\n", 0644}, {"plain", "p", 0644}}}),
        ::testing::Values(TarCompression::None, TarCompression::Gzip)),
    [](const auto& info) {
      return std::get<0>(info.param).name + (std::get<1>(info.param) == TarCompression::Gzip ? "Gzip" : "Plain");
    });

TEST(TarArchive, WritesFixedUstarHeadersAndAFixedGzipHeader) {
  auto tar = writeTar({{"a.txt", "hello", 0640}});
  ASSERT_TRUE(tar.ok());
  const std::string_view header(tar->data(), kTarBlock);
  EXPECT_EQ(header.substr(0, 6), std::string_view("a.txt\0", 6));
  EXPECT_EQ(header.substr(100, 8), std::string_view("0000640\0", 8)) << "mode";
  EXPECT_EQ(header.substr(108, 16), std::string_view("0000000\0"
                                                     "0000000\0",
                                                     16))
      << "uid, gid";
  EXPECT_EQ(header.substr(124, 12), std::string_view("00000000005\0", 12)) << "size";
  EXPECT_EQ(header.substr(136, 12), std::string_view("00000000000\0", 12)) << "mtime";
  EXPECT_EQ(header[156], '0') << "regular file";
  EXPECT_EQ(header.substr(257, 8), std::string_view("ustar\0"
                                                    "00",
                                                    8));
  EXPECT_EQ(header.substr(265, 64), std::string(64, '\0')) << "uname and gname are empty";
  EXPECT_EQ(tar->size(), kTarRecord);

  auto tgz = writeTar({{"a.txt", "hello", 0640}}, TarCompression::Gzip);
  ASSERT_TRUE(tgz.ok());
  ASSERT_GE(tgz->size(), 10U);
  // Magic, deflate, no flags (no name), mtime 0, then XFL and the OS byte (3, Unix).
  EXPECT_EQ(tgz->substr(0, 8), std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8));
  EXPECT_EQ((*tgz)[9], '\x03');
}

TEST(TarArchive, PaxPathRecordsCountTheirOwnLength) {
  // Record lengths around the 2- to 3-digit boundary ("99 path=...", "101 path=..."), where a length that
  // forgets its own digits is off by one.
  for (std::size_t length = 80; length <= 100; ++length) {
    const std::string path = "é" + std::string(length - 2, 'q');  // not ASCII, so always a pax record
    auto header = tarFileHeader(path, 1, 0644);
    ASSERT_TRUE(header.ok());
    ASSERT_EQ((*header)[156], 'x');
    const std::string_view records(header->data() + kTarBlock, header->size() - 2 * kTarBlock);
    const std::size_t space = records.find(' ');
    const std::size_t declared = std::stoul(std::string(records.substr(0, space)));
    ASSERT_LT(declared, records.size());
    EXPECT_EQ(records.substr(space + 1, 5), "path=");
    EXPECT_EQ(records[declared - 1], '\n') << "record of a " << length << "-byte path";
    EXPECT_EQ(records.substr(space + 6, declared - space - 7), path);

    auto read = readTar(*writeTar({{path, "z", 0644}}));
    ASSERT_TRUE(read.ok()) << read.error().message;
    ASSERT_EQ(read->size(), 1U);
    EXPECT_EQ((*read)[0].path, path);
  }
}

TEST(TarArchive, SizesOf8GiBAndMoreGetAPaxSizeRecord) {
  const std::uint64_t nineGiB = std::uint64_t{9} << 30;
  auto header = tarFileHeader("big.bin", nineGiB, 0644);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ((*header)[156], 'x');
  EXPECT_NE(header->find("size=" + std::to_string(nineGiB) + "\n"), std::string::npos);
  // The reader takes the size from the pax record: it refuses the entry as over the limit rather than read
  // the ustar header's placeholder size of 0.
  auto read = readTar(*header + std::string(2 * kTarBlock, '\0'));
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().message.find("limit"), std::string::npos) << read.error().message;

  auto small = tarFileHeader("small.bin", (std::uint64_t{8} << 30) - 1, 0644);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->size(), kTarBlock) << "8 GiB - 1 still fits 11 octal digits";
}

TEST(TarArchive, RefusesEntriesTarCannotHold) {
  for (const TarEntry& bad : {TarEntry{"", "x", 0644}, TarEntry{std::string("a\0b", 3), "x", 0644},
                              TarEntry{"m", "x", 010000}, TarEntry{"m", "x", -1}}) {
    auto tar = writeTar({bad});
    ASSERT_FALSE(tar.ok()) << bad.path;
    EXPECT_EQ(tar.error().code, ErrorCode::Invalid);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reading tar variants built by hand

// Recomputes a header block's checksum after a test edited it.
void fixChecksum(std::string& archive, std::size_t offset) {
  std::fill_n(archive.begin() + static_cast<std::ptrdiff_t>(offset + 148), 8, ' ');
  unsigned sum = 0;
  for (std::size_t i = 0; i < kTarBlock; ++i) sum += static_cast<unsigned char>(archive[offset + i]);
  const std::string digits = [&] {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "%06o", sum);
    return std::string(buffer);
  }();
  std::copy(digits.begin(), digits.end(), archive.begin() + static_cast<std::ptrdiff_t>(offset + 148));
  archive[offset + 154] = '\0';
}

TEST(TarArchive, ReadsV7HeadersAndBase256Sizes) {
  auto tar = writeTar({{"old.txt", "seventh edition", 0755}});
  ASSERT_TRUE(tar.ok());
  std::string v7 = *tar;
  std::fill_n(v7.begin() + 257, 8, '\0');  // no magic, no version
  fixChecksum(v7, 0);
  auto read = readTar(v7);
  ASSERT_TRUE(read.ok()) << read.error().message;
  expectSameEntries(*read, {{"old.txt", "seventh edition", 0755}});

  std::string base256 = *tar;
  const std::string size("\x80\0\0\0\0\0\0\0\0\0\0\x0f", 12);  // GNU's binary size: 15
  std::copy(size.begin(), size.end(), base256.begin() + 124);
  fixChecksum(base256, 0);
  read = readTar(base256);
  ASSERT_TRUE(read.ok()) << read.error().message;
  expectSameEntries(*read, {{"old.txt", "seventh edition", 0755}});
}

TEST(TarArchive, StripsLeadingDotSlashAndSkipsDirectoriesAndLinks) {
  auto tar = writeTar(
      {{"./a.txt", "a", 0644}, {"dir/", "", 0755}, {"link", "", 0777}, {"hard", "", 0644}, {"./././b.txt", "b", 0600}});
  ASSERT_TRUE(tar.ok());
  std::string edited = *tar;
  // Turn the third and fourth entries into a symlink and a hard link (both without data).
  for (const auto& [block, type] : {std::pair<std::size_t, char>{3, '2'}, {4, '1'}}) {
    edited[block * kTarBlock + 156] = type;
    fixChecksum(edited, block * kTarBlock);
  }
  auto read = readTar(edited);
  ASSERT_TRUE(read.ok()) << read.error().message;
  expectSameEntries(*read, {{"a.txt", "a", 0644}, {"b.txt", "b", 0600}});
}

TEST(TarArchive, AppliesPaxGlobalHeaders) {
  // git archive starts with a global header holding its commit id; a global path would apply to every entry
  // after it (as GNU tar reads it) until a local header overrides it.
  for (const auto& [record, expectedPath] :
       {std::pair<std::string, std::string>{"28 comment=0123456789abcdef\n", "x.txt"},
        {"19 path=global.txt\n", "global.txt"}}) {
    auto body = writeTar({{"g", record, 0644}, {"x.txt", "x", 0644}});
    ASSERT_TRUE(body.ok());
    std::string archive = *body;
    archive[156] = 'g';
    fixChecksum(archive, 0);
    auto read = readTar(archive);
    ASSERT_TRUE(read.ok()) << read.error().message;
    expectSameEntries(*read, {{expectedPath, "x", 0644}});
  }
}

// ---------------------------------------------------------------------------------------------------------
// Zip archives built by hand

// A member of a zip built by hand: stored, made on Unix with no attributes, unless the test says otherwise.
struct ZipMember {
  ZipMember(std::string memberName, std::string memberContent)
      : name(std::move(memberName)), content(std::move(memberContent)) {}
  ZipMember& deflated() { return method(8); }
  ZipMember& method(std::uint16_t m) {
    compression = m;
    return *this;
  }
  ZipMember& attributes(std::uint32_t a) {
    externalAttributes = a;
    return *this;
  }
  ZipMember& madeOn(std::uint16_t h) {
    host = h;
    return *this;
  }
  ZipMember& flags(std::uint16_t f) {
    flagBits = f;
    return *this;
  }
  ZipMember& declaring(std::uint32_t size) {
    declaredSize = size;
    return *this;
  }
  ZipMember& crc(std::uint32_t c) {
    storedCrc = c;
    return *this;
  }

  std::string name;
  std::string content;
  std::uint16_t compression = 0;
  std::uint32_t externalAttributes = 0;
  std::uint16_t host = 3;
  std::uint16_t flagBits = 0;
  std::optional<std::uint32_t> declaredSize;
  std::optional<std::uint32_t> storedCrc;
};

ZipMember member(std::string name, std::string content) { return {std::move(name), std::move(content)}; }

void put16(std::string& out, std::uint32_t v) {
  out += static_cast<char>(v & 0xffU);
  out += static_cast<char>((v >> 8U) & 0xffU);
}
void put32(std::string& out, std::uint32_t v) {
  put16(out, v & 0xffffU);
  put16(out, v >> 16U);
}

std::string buildZip(const std::vector<ZipMember>& members, bool zip64Locator = false) {
  std::string out;
  std::string directory;
  for (const auto& m : members) {
    const std::string data = m.compression == 8 ? deflateRaw(m.content) : m.content;
    const std::uint32_t crc = m.storedCrc.value_or(crc32Of(m.content));
    const auto size = m.declaredSize.value_or(static_cast<std::uint32_t>(m.content.size()));
    const auto offset = static_cast<std::uint32_t>(out.size());
    put32(out, 0x04034b50);
    put16(out, 20);
    put16(out, m.flagBits);
    put16(out, m.compression);
    put32(out, 0);  // time, date
    put32(out, crc);
    put32(out, static_cast<std::uint32_t>(data.size()));
    put32(out, size);
    put16(out, static_cast<std::uint32_t>(m.name.size()));
    put16(out, 0);
    out += m.name + data;

    put32(directory, 0x02014b50);
    put16(directory, (static_cast<std::uint32_t>(m.host) << 8U) | 20U);
    put16(directory, 20);
    put16(directory, m.flagBits);
    put16(directory, m.compression);
    put32(directory, 0);
    put32(directory, crc);
    put32(directory, static_cast<std::uint32_t>(data.size()));
    put32(directory, size);
    put16(directory, static_cast<std::uint32_t>(m.name.size()));
    put32(directory, 0);  // extra and comment lengths
    put32(directory, 0);  // disk, internal attributes
    put32(directory, m.externalAttributes);
    put32(directory, offset);
    directory += m.name;
  }
  const auto directoryOffset = static_cast<std::uint32_t>(out.size());
  out += directory;
  if (zip64Locator) {
    put32(out, 0x07064b50);
    out += std::string(16, '\0');
  }
  put32(out, 0x06054b50);
  put32(out, 0);  // disks
  put16(out, static_cast<std::uint32_t>(members.size()));
  put16(out, static_cast<std::uint32_t>(members.size()));
  put32(out, static_cast<std::uint32_t>(directory.size()));
  put32(out, directoryOffset);
  put16(out, 0);
  return out;
}

constexpr std::uint32_t kUnixFile755 = 0100755U << 16U;
constexpr std::uint32_t kUnixDir = (040755U << 16U) | 0x10U;
constexpr std::uint32_t kUnixSymlink = 0120777U << 16U;

TEST(ZipArchive, ReadsStoredAndDeflatedMembersWithTheirModes) {
  const std::string text(20000, 't');
  const std::string zip = buildZip({
      member("stored.txt", "stored as is\n"),
      member("deflated.txt", text).deflated(),
      member("empty-deflated", "").deflated(),
      member("bin/run.sh", "#!/bin/sh\n").deflated().attributes(kUnixFile755),
      member("bin/", "").attributes(kUnixDir),
      member("link", "bin/run.sh").attributes(kUnixSymlink),
      member("dos.txt", "made on DOS").attributes(0x20).madeOn(0),
      member("./dot.txt", "dot"),
  });
  ASSERT_EQ(zip.find(text), std::string::npos) << "the deflated member must really be compressed";
  auto read = readTar(zip);
  ASSERT_TRUE(read.ok()) << read.error().message;
  expectSameEntries(*read, {{"stored.txt", "stored as is\n", 0644},
                            {"deflated.txt", text, 0644},
                            {"empty-deflated", "", 0644},
                            {"bin/run.sh", "#!/bin/sh\n", 0755},
                            {"dos.txt", "made on DOS", 0644},
                            {"dot.txt", "dot", 0644}});
}

TEST(ZipArchive, ReadsAnEmptyZip) {
  auto read = readTar(buildZip({}));
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_TRUE(read->empty());
}

// ---------------------------------------------------------------------------------------------------------
// Corrupt, hostile and unsupported inputs

struct BadCase {
  std::string name;
  std::string archive;
  std::string mentions;  // the error message must contain this
  std::uint64_t maxBytes = kMaxUnpackedArchiveBytes;
};

class BadArchive : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadArchive, IsAnInvalidErrorNamingTheProblem) {
  const BadCase& c = GetParam();
  auto read = readTar(c.archive, c.maxBytes);
  ASSERT_FALSE(read.ok()) << "read " << read->size() << " entries";
  EXPECT_EQ(read.error().code, ErrorCode::Invalid);
  EXPECT_NE(read.error().message.find(c.mentions), std::string::npos) << read.error().message;
}

std::string validTar() { return writeTar({{"a.txt", std::string(3000, 'a'), 0644}, {"b.txt", "b", 0644}}).value(); }
std::string validTgz() {
  return writeTar({{"a.txt", std::string(3000, 'a'), 0644}, {"b.txt", "b", 0644}}, TarCompression::Gzip).value();
}

std::string flipped(std::string data, std::size_t at) {
  data[at] = static_cast<char>(data[at] ^ 0x20);
  return data;
}

std::string badTarChecksum() { return flipped(validTar(), 3); }
std::string badGzipCrc() {
  std::string tgz = validTgz();
  return flipped(tgz, tgz.size() - 6);  // inside the trailer's CRC-32
}
std::string truncatedInsideHeader() { return validTar().substr(0, 700); }
std::string truncatedAtHeaderBoundary() { return validTar().substr(0, 4 * kTarBlock); }
std::string gzipBomb() {
  return writeTar({{"zeros", std::string(std::size_t{4} << 20, '\0'), 0644}}, TarCompression::Gzip).value();
}
std::string gzipTrailingZerosBomb() { return gzip(validTar() + std::string(std::size_t{4} << 20, '\0')); }
std::string malformedPax() {
  std::string archive = writeTar({{"é-pax", "x", 0644}}).value();
  archive[kTarBlock] = '9';  // the record's length no longer matches
  return archive;
}
std::string sparseTar() {
  std::string archive = validTar();
  archive[156] = 'S';
  fixChecksum(archive, 0);
  return archive;
}
std::string hugeLongName() {
  std::string archive = writeTar({{"L", std::string(kTarBlock, 'n'), 0644}}).value();
  archive[156] = 'L';
  const std::string size = "77777777777";  // 8 GiB - 1 bytes of "name"
  std::copy(size.begin(), size.end(), archive.begin() + 124);
  fixChecksum(archive, 0);
  return archive;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadArchive,
    ::testing::Values(
        BadCase{"Empty", "", "empty"},
        BadCase{"Text", "definitely not a tar archive, just words", "no known format"},
        BadCase{"Bzip2", "BZh91AY&SY" + std::string(600, '\x01'), "bzip2"},
        BadCase{"Xz", std::string("\xfd" "7zXZ\0\0", 7) + std::string(600, '\x01'), "xz"},
        BadCase{"Zstd", std::string("\x28\xb5\x2f\xfd") + std::string(600, '\x01'), "zstd"},
        BadCase{"SevenZip", std::string("7z\xbc\xaf\x27\x1c") + std::string(600, '\x01'), "7z"},
        BadCase{"Rar", std::string("Rar!\x1a\x07") + std::string(600, '\x01'), "RAR"},
        BadCase{"FormatsNamed", "BZh9", "supported formats: tar, tar.gz/tgz, zip"},
        BadCase{"TarBadChecksum", badTarChecksum(), "checksum"},
        BadCase{"TarTruncatedInData", validTar().substr(0, 2000), "truncated"},
        BadCase{"TarTruncatedInHeader", truncatedInsideHeader(), "truncated"},
        BadCase{"TarWithoutEndBlocks", truncatedAtHeaderBoundary(), "truncated"},
        BadCase{"TarMalformedPax", malformedPax(), "pax"},
        BadCase{"TarSparse", sparseTar(), "sparse"},
        BadCase{"TarHugeLongName", hugeLongName(), "metadata"},
        BadCase{"TarOverLimit", validTar(), "limit", 2048},
        BadCase{"GzipTruncated", validTgz().substr(0, validTgz().size() / 2), "truncated"},
        BadCase{"GzipBadCrc", badGzipCrc(), "corrupt"},
        BadCase{"GzipTrailingGarbage", validTgz() + "garbage", "not gzip data"},
        BadCase{"GzipOfNotATar", gzip("just some text, compressed"), "holds no tar"},
        BadCase{"GzipBomb", gzipBomb(), "limit", std::uint64_t{1} << 20},
        BadCase{"GzipPaddingBomb", gzipTrailingZerosBomb(), "limit", std::uint64_t{1} << 20},
        BadCase{"ZipBadCrc", buildZip({member("a.txt", "content").deflated().crc(0x12345678)}), "CRC"},
        BadCase{"ZipTruncated", buildZip({member("a.txt", std::string(5000, 'z')).deflated()}).substr(0, 100),
                "end-of-central-directory"},
        BadCase{"ZipTruncatedMember",
                [] {
                  std::string zip = buildZip({member("a.txt", std::string(5000, 'z'))});
                  return zip.substr(0, 40) + zip.substr(zip.size() - 80);  // directory kept, data cut
                }(),
                "zip"},
        BadCase{"ZipBzip2Method", buildZip({member("a.txt", "content").method(12)}), "method 12 (bzip2)"},
        BadCase{"ZipEncrypted", buildZip({member("a.txt", "content").flags(1)}), "encrypted"},
        BadCase{"Zip64", buildZip({member("a.txt", "content")}, true), "ZIP64"},
        BadCase{"Zip64Sizes", buildZip({member("a.txt", "content").declaring(0xffffffffU)}), "ZIP64"},
        BadCase{"ZipDeclaredOverDefaultLimit",
                buildZip({member("a", "x").declaring(0x7fffffffU), member("b", "x").declaring(0x7fffffffU)}), "limit"},
        BadCase{"ZipBombOverLimit", buildZip({member("zeros", std::string(std::size_t{2} << 20, '\0')).deflated()}), "limit",
                std::uint64_t{1} << 20},
        BadCase{"ZipMemberLargerThanDeclared",
                buildZip({member("zeros", std::string(std::size_t{2} << 20, '\0')).deflated().declaring(10)}),
                "more than its declared size"},
        BadCase{"ZipMemberSmallerThanDeclared", buildZip({member("short", "abc").deflated().declaring(1000)}), "not its declared"},
        BadCase{"ZipStoredSizeMismatch", buildZip({member("short", "abc").declaring(1000)}), "declares"}),
    [](const auto& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------------------
// Fuzz: random and damaged input never crashes (CI runs this under ASan and UBSan).

TEST(TarArchiveFuzz, RandomAndDamagedInputsNeverCrash) {
  std::mt19937 random(20240611);  // fixed: a failure reproduces
  const auto pick = [&](std::size_t bound) { return std::uniform_int_distribution<std::size_t>(0, bound)(random); };
  const std::vector<TarEntry> files = {
      {"a.txt", std::string(700, 'a'), 0644}, {kVeryLongPath, "long", 0755}, {kNonAsciiPath, allBytes(), 0600}};
  const std::vector<std::string> valid = {
      writeTar(files).value(),
      writeTar(files, TarCompression::Gzip).value(),
      buildZip({member("s.txt", std::string(300, 's')),
                member("d.txt", std::string(3000, 'd')).deflated().attributes(kUnixFile755)}),
  };
  for (const auto& archive : valid) ASSERT_TRUE(readTar(archive).ok());

  std::size_t readOk = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string input;
    switch (round % 4) {
      case 0: {  // random bytes behind a real magic, so the parsers get past detection
        static const std::vector<std::string> magics = {"\x1f\x8b\x08", "PK\x03\x04", "PK\x05\x06", ""};
        input = magics[pick(magics.size() - 1)];
        const std::size_t length = pick(2048);
        for (std::size_t i = 0; i < length; ++i) input += static_cast<char>(pick(255));
        if (input.size() > 262 && pick(1) == 0) input.replace(257, 6, std::string("ustar\0", 6));
        break;
      }
      case 1:  // truncated
        input = valid[pick(valid.size() - 1)];
        input.resize(pick(input.size()));
        break;
      default: {  // bits flipped
        input = valid[pick(valid.size() - 1)];
        for (std::size_t flips = 1 + pick(3); flips > 0; --flips) {
          const std::size_t at = pick(input.size() - 1);
          input[at] = static_cast<char>(input[at] ^ (1U << pick(7)));
        }
        break;
      }
    }
    auto read = readTar(input, std::uint64_t{1} << 24);
    if (read.ok()) {
      ++readOk;
    } else {
      EXPECT_EQ(read.error().code, ErrorCode::Invalid) << read.error().message;
    }
  }
  // Flips in padding or unused fields leave some archives readable; most damage must be caught.
  EXPECT_LT(readOk, 3000U);
}

// ---------------------------------------------------------------------------------------------------------
// Interoperability with GNU tar and git

// The tree the tools archive: what each reader must give back, plus a symlink (skipped) added separately.
std::vector<TarEntry> fixtureFiles() {
  return {{"Dockerfile", "FROM scratch\n", 0644},
          {"bin/run.sh", "#!/bin/sh\necho hi\n", 0755},
          {"empty.txt", "", 0644},
          {"private.key", "k", 0600},
          {"big.bin", std::string(100000, 'B') + allBytes(), 0644},
          {kSplitPath, "split by ustar\n", 0644},
          {kLongNamePath, "long name part\n", 0644},
          {kVeryLongPath, "more than 255 bytes of path\n", 0644},
          {kNonAsciiPath, "pas d'ASCII\n", 0644}};
}

std::map<std::string, TarEntry> fixtureMap() { return byPath(fixtureFiles()); }

class ToolArchives : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    tree_ = dir_.path() / "tree";
    writeTree(tree_, fixtureFiles());
    fs::create_symlink("bin/run.sh", tree_ / "link-to-run");
  }
  fs::path file(const std::string& name) const { return dir_.path() / name; }
  std::vector<TarEntry> readArchive(const std::string& name) const {
    auto read = readTar(readBytes(file(name)));
    EXPECT_TRUE(read.ok()) << name << ": " << read.error().message;
    return read ? *read : std::vector<TarEntry>{};
  }

  TempDir dir_;
  fs::path tree_;
};

struct GnuTarCase {
  std::string name;
  std::vector<std::string> options;
};

class GnuTarArchives : public ToolArchives, public ::testing::WithParamInterface<GnuTarCase> {};

TEST_P(GnuTarArchives, ReadsTheRegularFiles) {
  REQUIRE_TOOL("tar", "GNU tar");
  fs::create_hard_link(tree_ / "Dockerfile", tree_ / "Dockerfile.hardlink");
  std::vector<std::string> argv = {"tar"};
  argv.insert(argv.end(), GetParam().options.begin(), GetParam().options.end());
  argv.insert(argv.end(), {"-C", tree_.string(), "-cf", file("out").string(), "."});
  ASSERT_RUNS(argv);
  auto files = byPath(readArchive("out"));
  // One of the two hard-linked names is stored as a link (skipped); which one depends on directory order.
  ASSERT_EQ(files.count("Dockerfile") + files.count("Dockerfile.hardlink"), 1U);
  if (files.count("Dockerfile.hardlink") != 0) {
    files["Dockerfile"] = files["Dockerfile.hardlink"];
    files["Dockerfile"].path = "Dockerfile";
    files.erase("Dockerfile.hardlink");
  }
  expectSameFiles(files, fixtureMap());
}

INSTANTIATE_TEST_SUITE_P(Formats, GnuTarArchives,
                         ::testing::Values(GnuTarCase{"Gnu", {"--format=gnu"}}, GnuTarCase{"Pax", {"--format=pax"}},
                                           GnuTarCase{"GnuGzip", {"--format=gnu", "-z"}},
                                           GnuTarCase{"PaxGzip", {"--format=pax", "-z"}}),
                         [](const auto& info) { return info.param.name; });

TEST_F(ToolArchives, ReadsGnuTarV7Archives) {
  REQUIRE_TOOL("tar", "GNU tar");
  ASSERT_RUNS((std::vector<std::string>{"tar", "--format=v7", "-C", tree_.string(), "-cf", file("v7.tar").string(),
                                        "Dockerfile", "bin/run.sh", "empty.txt", "big.bin"}));
  const std::string archive = readBytes(file("v7.tar"));
  ASSERT_EQ(archive.substr(257, 6), std::string(6, '\0')) << "a v7 header has no magic";
  auto files = byPath(readArchive("v7.tar"));
  auto expected = fixtureMap();
  std::erase_if(expected, [](const auto& item) {
    return item.first != "Dockerfile" && item.first != "bin/run.sh" && item.first != "empty.txt" &&
           item.first != "big.bin";
  });
  expectSameFiles(files, expected);
}

TEST_F(ToolArchives, GnuTarReadsOurArchives) {
  REQUIRE_TOOL("tar", "GNU tar");
  const std::vector<TarEntry> entries = fixtureFiles();
  ASSERT_TRUE(writeFile(file("ours.tar").string(), writeTar(entries).value()).ok());
  ASSERT_TRUE(writeFile(file("ours.tgz").string(), writeTar(entries, TarCompression::Gzip).value()).ok());

  // The listing shows every path in order, regular files owned by 0/0 with mtime 0 and the modes given.
  const ProcessOutput names = run({"tar", "-tf", file("ours.tar").string()});
  ASSERT_EQ(names.exitCode, 0) << names.stderrText;
  std::string expectedNames;
  for (const auto& e : entries) expectedNames += e.path + "\n";
  EXPECT_EQ(names.stdoutText, expectedNames);
  const ProcessOutput listing = run({"tar", "--numeric-owner", "-tvf", file("ours.tar").string()});
  ASSERT_EQ(listing.exitCode, 0) << listing.stderrText;
  EXPECT_EQ(listing.stderrText, "") << "GNU tar warned about our archive";
  const auto lineOf = [&](const std::string& path) {
    const std::size_t end = listing.stdoutText.find(" " + path + "\n");
    if (end == std::string::npos) return std::string();
    const std::size_t start = listing.stdoutText.rfind('\n', end);
    return listing.stdoutText.substr(start == std::string::npos ? 0 : start + 1, end - start);
  };
  for (const auto& [path, mode] : {std::pair<std::string, std::string>{"bin/run.sh", "-rwxr-xr-x"},
                                   {"private.key", "-rw-------"},
                                   {kVeryLongPath, "-rw-r--r--"}}) {
    const std::string line = lineOf(path);
    EXPECT_TRUE(line.starts_with(mode + " 0/0 ")) << line;
    EXPECT_NE(line.find(" 1970-01-01 00:00 "), std::string::npos) << line;
  }

  // Extracting the gzip archive (which also checks its CRC) gives the same files, modes included.
  const fs::path out = dir_.path() / "extracted";
  fs::create_directories(out);
  ASSERT_RUNS((std::vector<std::string>{"tar", "-xzpf", file("ours.tgz").string(), "-C", out.string()}));
  expectSameFiles(readTree(out), fixtureMap());
}

class GitArchives : public ToolArchives {
 protected:
  void SetUp() override {
    ToolArchives::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!haveTool("git", "git version")) GTEST_SKIP() << "git is not installed on this machine";
    const std::string repo = tree_.string();
    std::vector<std::string> git = {"git", "-C", repo};
    // tar.umask: git archive's default (002) would give 0664; 022 gives the modes git itself records.
    for (const char* setting :
         {"user.name=Test", "user.email=t@example.com", "commit.gpgsign=false", "tar.umask=022"}) {
      git.insert(git.end(), {"-c", setting});
    }
    const auto gitRun = [git](const std::vector<std::string>& args) {
      std::vector<std::string> argv = git;
      argv.insert(argv.end(), args.begin(), args.end());
      return run(argv);
    };
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"init", "-q"}, {"add", "-A"}, {"commit", "-q", "-m", "fixture"}}) {
      const ProcessOutput ran = gitRun(args);
      ASSERT_EQ(ran.exitCode, 0) << args[0] << ": " << ran.stderrText;
    }
    gitArchive_ = [gitRun, this](const std::vector<std::string>& options, const std::string& name) {
      std::vector<std::string> args = {"archive"};
      args.insert(args.end(), options.begin(), options.end());
      args.insert(args.end(), {"-o", file(name).string(), "HEAD"});
      const ProcessOutput ran = gitRun(args);
      EXPECT_EQ(ran.exitCode, 0) << ran.stderrText;
    };
  }

  // git keeps only the executable bit: everything else comes out 0644.
  static std::map<std::string, TarEntry> expectedFromGit(const std::string& prefix = "") {
    std::map<std::string, TarEntry> out;
    for (auto entry : fixtureFiles()) {
      entry.mode = (entry.mode & 0100) != 0 ? 0755 : 0644;
      entry.path = prefix + entry.path;
      out[entry.path] = entry;
    }
    return out;
  }

  std::function<void(const std::vector<std::string>&, const std::string&)> gitArchive_;
};

TEST_F(GitArchives, ReadsTarAndTarGz) {
  gitArchive_({"--format=tar"}, "git.tar");
  gitArchive_({"--format=tar.gz", "--prefix=project/"}, "git.tgz");
  expectSameFiles(byPath(readArchive("git.tar")), expectedFromGit());
  expectSameFiles(byPath(readArchive("git.tgz")), expectedFromGit("project/"));
}

TEST_F(GitArchives, ReadsZipStoredAndDeflated) {
  gitArchive_({"--format=zip"}, "deflated.zip");
  gitArchive_({"--format=zip", "-0"}, "stored.zip");
  const std::string needle = std::string(100000, 'B');
  EXPECT_EQ(readBytes(file("deflated.zip")).find(needle), std::string::npos) << "big.bin should be deflated";
  EXPECT_NE(readBytes(file("stored.zip")).find(needle), std::string::npos) << "-0 should store big.bin";
  expectSameFiles(byPath(readArchive("deflated.zip")), expectedFromGit());
  expectSameFiles(byPath(readArchive("stored.zip")), expectedFromGit());
}

}  // namespace
}  // namespace launch
