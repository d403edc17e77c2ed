// Unit tests: RFC 3339 timestamps as the API writes them.
#include <gtest/gtest.h>

#include "ApiBuilders.hpp"
#include "api/Timestamp.hpp"

namespace launch::api {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using testing::at;

struct ParseCase {
  const char* text;
  std::optional<Timestamp> expected;
};

// Names the case in gtest output instead of dumping its bytes.
void PrintTo(const ParseCase& c, std::ostream* os) { *os << c.text; }

class ParseTimestamp : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseTimestamp, ParsesOrRefuses) {
  EXPECT_EQ(parseTimestamp(GetParam().text), GetParam().expected) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseTimestamp,
    ::testing::Values(ParseCase{"2024-05-01T10:00:00Z", at(0)}, ParseCase{"2024-05-01t10:00:00z", at(0)},
                      ParseCase{"2024-05-01T10:00:00.5Z", at(0) + milliseconds(500)},
                      ParseCase{"2024-05-01T10:00:00.000001Z", at(0) + microseconds(1)},
                      ParseCase{"2024-05-01T12:00:00+02:00", at(0)}, ParseCase{"2024-05-01T09:30:00-00:30", at(0)},
                      ParseCase{"2024-02-29T00:00:00Z", std::chrono::sys_days{std::chrono::year{2024} / 2 / 29}},
                      ParseCase{"2023-02-29T00:00:00Z", std::nullopt}, ParseCase{"2024-05-01T10:00:00", std::nullopt},
                      ParseCase{"2024-05-01 10:00Z", std::nullopt}, ParseCase{"2024-13-01T10:00:00Z", std::nullopt},
                      ParseCase{"2024-05-01T25:00:00Z", std::nullopt}, ParseCase{"2024-05-01T10:00:00.Z", std::nullopt},
                      ParseCase{"2024-05-01T10:00:00Zjunk", std::nullopt}, ParseCase{"", std::nullopt},
                      ParseCase{"yesterday", std::nullopt}));

TEST(FormatTimestamp, WritesWholeSecondsLikeKubernetes) {
  EXPECT_EQ(formatTimestamp(at(0)), "2024-05-01T10:00:00Z");
  EXPECT_EQ(formatTimestamp(at(86399)), "2024-05-02T09:59:59Z");
  EXPECT_EQ(formatTimestamp(at(0) + microseconds(250000)), "2024-05-01T10:00:00.250000Z");
  EXPECT_EQ(formatTimestamp(std::chrono::system_clock::from_time_t(0)), "1970-01-01T00:00:00Z");
}

TEST(FormatTimestamp, RoundTripsThroughParse) {
  for (const auto time : {at(0), at(12345) + microseconds(42), at(-100000000)}) {
    EXPECT_EQ(parseTimestamp(formatTimestamp(time)), time) << formatTimestamp(time);
  }
}

}  // namespace
}  // namespace launch::api
