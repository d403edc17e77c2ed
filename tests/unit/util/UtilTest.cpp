// Unit tests of the util layer: Result, Base64 (RFC 4648 vectors), tar archives and line splitting.
#include <gtest/gtest.h>

#include <vector>

#include "util/Base64.hpp"
#include "util/LineSplitter.hpp"
#include "util/Result.hpp"
#include "util/TarArchive.hpp"

namespace launch {
namespace {

TEST(Result, HoldsAValueOrAnError) {
  Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  Result<int> bad = makeError(ErrorCode::NotFound, "no such thing");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::NotFound);
  EXPECT_EQ(bad.error().describe(), "NotFound: no such thing");
  EXPECT_THROW((void)bad.value(), std::logic_error);
  EXPECT_THROW((void)good.error(), std::logic_error);
  Status done;
  EXPECT_TRUE(done.ok());
}

struct Base64Case {
  std::string plain;
  std::string encoded;
};

// RFC 4648 section 10.
class Base64Vectors : public ::testing::TestWithParam<Base64Case> {};
TEST_P(Base64Vectors, EncodeAndDecode) {
  EXPECT_EQ(base64Encode(GetParam().plain), GetParam().encoded);
  auto decoded = base64Decode(GetParam().encoded);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, GetParam().plain);
}
INSTANTIATE_TEST_SUITE_P(Rfc4648, Base64Vectors,
                         ::testing::Values(Base64Case{"", ""}, Base64Case{"f", "Zg=="}, Base64Case{"fo", "Zm8="},
                                           Base64Case{"foo", "Zm9v"}, Base64Case{"foob", "Zm9vYg=="},
                                           Base64Case{"fooba", "Zm9vYmE="}, Base64Case{"foobar", "Zm9vYmFy"}));

TEST(Base64, UrlAlphabetWithoutPaddingAndBadInput) {
  EXPECT_EQ(base64UrlEncode(std::string("\xfb\xff", 2)), "-_8");
  EXPECT_EQ(*base64Decode("-_8"), std::string("\xfb\xff", 2));
  EXPECT_EQ(*base64Decode("Zm9v\nYmFy"), "foobar");
  EXPECT_FALSE(base64Decode("Zm9v!").has_value());
  EXPECT_FALSE(base64Decode("Z").has_value());
}

TEST(TarArchive, RoundTripsFilesAndIsDeterministic) {
  const std::vector<TarEntry> entries = {{"Dockerfile", "FROM scratch\n", 0644},
                                         {"bin/tool", std::string(70000, 'x'), 0755}};
  for (const auto compression : {TarCompression::None, TarCompression::Gzip}) {
    auto first = writeTar(entries, compression);
    auto second = writeTar(entries, compression);
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(*first, *second) << "equal inputs must give equal archives";
    auto read = readTar(*first);
    ASSERT_TRUE(read.ok()) << read.error().message;
    ASSERT_EQ(read->size(), 2U);
    EXPECT_EQ((*read)[0].path, "Dockerfile");
    EXPECT_EQ((*read)[0].content, "FROM scratch\n");
    EXPECT_EQ((*read)[1].content.size(), 70000U);
    EXPECT_EQ((*read)[1].mode, 0755);
  }
  EXPECT_FALSE(readTar("definitely not a tar archive, just words").ok());
}

TEST(LineSplitter, ReassemblesLinesSplitAcrossChunks) {
  const std::string stream = "{\"a\":1}\r\n{\"b\":\n\n2}\n{\"c\":3}";
  for (size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    LineSplitter splitter;
    std::vector<std::string> lines;
    for (size_t i = 0; i < stream.size(); i += chunk) {
      splitter.feed(std::string_view(stream).substr(i, chunk), [&](std::string_view l) { lines.emplace_back(l); });
    }
    ASSERT_EQ(lines.size(), 3U) << "chunk size " << chunk;
    EXPECT_EQ(lines[0], "{\"a\":1}");
    EXPECT_EQ(lines[1], "{\"b\":");
    EXPECT_EQ(lines[2], "2}");
    EXPECT_EQ(splitter.rest(), "{\"c\":3}");
  }
}

}  // namespace
}  // namespace launch
