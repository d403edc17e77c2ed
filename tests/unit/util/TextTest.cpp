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

TEST(OneLine, CollapsesWhiteSpaceAndCutsLongText) {
  EXPECT_EQ(oneLine("  ClientError:\n\tAlgorithmError:  exit 1\r\n"), "ClientError: AlgorithmError: exit 1");
  EXPECT_EQ(oneLine(""), "");
  EXPECT_EQ(oneLine("abcdefghij", 8), "abcde...");
  EXPECT_EQ(oneLine("abcdefgh", 8), "abcdefgh");
  EXPECT_EQ(oneLine("abcdef", 2), "...");
}

TEST(Redact, ReplacesEveryOccurrenceOfTheSecret) {
  std::string text = "token=s3cr3t; again s3cr3ts3cr3t";
  redact(text, "s3cr3t");
  EXPECT_EQ(text, "token=<redacted>; again <redacted><redacted>");
  redact(text, "");  // nothing to hide: nothing changes
  EXPECT_EQ(text, "token=<redacted>; again <redacted><redacted>");
  std::string echo = "redacted";  // a secret inside the mark does not loop
  redact(echo, "redacted");
  EXPECT_EQ(echo, "<redacted>");
}

}  // namespace
}  // namespace launch
