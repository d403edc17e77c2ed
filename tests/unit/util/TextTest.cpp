// Unit tests of the text helpers: trimming with each blank set, and ASCII case folding.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "util/Text.hpp"

namespace launch {
namespace {

struct TrimCase {
  std::string_view text;
  std::string_view blanks;
  std::string_view expected;
};

class Trim : public ::testing::TestWithParam<TrimCase> {};

TEST_P(Trim, RemovesTheBlanksAtBothEndsOnly) {
  const TrimCase& c = GetParam();
  EXPECT_EQ(trim(c.text, c.blanks), c.expected);
}

INSTANTIATE_TEST_SUITE_P(Cases, Trim,
                         ::testing::Values(TrimCase{"  a b\t", kSpaceAndTab, "a b"}, TrimCase{"a", kSpaceAndTab, "a"},
                                           TrimCase{"", kSpaceAndTab, ""}, TrimCase{" \t ", kSpaceAndTab, ""},
                                           TrimCase{"\r\nkey\r\n", kSpaceAndTab, "\r\nkey\r\n"},
                                           TrimCase{"\r\n key \v\f", kAsciiWhitespace, "key"},
                                           TrimCase{"\rline\r", " \t\r", "line"}));

TEST(CaseFolding, FoldsAsciiLettersOnly) {
  EXPECT_EQ(toLower("Content-Type: X9_\xC3\x89"), "content-type: x9_\xC3\x89");
  EXPECT_TRUE(equalsIgnoringCase("Transfer-Encoding", "transfer-ENCODING"));
  EXPECT_FALSE(equalsIgnoringCase("chunked", "chunke"));
  EXPECT_FALSE(equalsIgnoringCase("a[", "A{"));  // '[' and '{' differ by the case bit but are not letters
  EXPECT_TRUE(equalsIgnoringCase("", ""));
}

}  // namespace
}  // namespace launch
