// Timestamp: RFC 3339 parsing and formatting without the C library's locale- and timezone-bound functions.
#include "api/Timestamp.hpp"

#include <cstdio>

namespace launch::api {
namespace {

// Reads exactly `width` digits at `pos` and advances; nullopt when they are not all digits.
std::optional<int> digits(std::string_view text, size_t& pos, size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = 0; i < width; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += width;
  return value;
}

bool expect(std::string_view text, size_t& pos, char wanted) {
  if (pos >= text.size()) return false;
  const char c = text[pos];
  const bool matches = c == wanted || (wanted == 'T' && (c == 't' || c == ' ')) || (wanted == 'Z' && c == 'z');
  if (matches) ++pos;
  return matches;
}

}  // namespace

std::optional<Timestamp> parseTimestamp(std::string_view text) {
  using namespace std::chrono;
  size_t pos = 0;
  const auto year = digits(text, pos, 4);
  if (!year || !expect(text, pos, '-')) return std::nullopt;
  const auto month = digits(text, pos, 2);
  if (!month || !expect(text, pos, '-')) return std::nullopt;
  const auto day = digits(text, pos, 2);
  if (!day || !expect(text, pos, 'T')) return std::nullopt;
  const auto hour = digits(text, pos, 2);
  if (!hour || !expect(text, pos, ':')) return std::nullopt;
  const auto minute = digits(text, pos, 2);
  if (!minute || !expect(text, pos, ':')) return std::nullopt;
  const auto second = digits(text, pos, 2);
  if (!second) return std::nullopt;
  const year_month_day date{std::chrono::year{*year}, std::chrono::month{static_cast<unsigned>(*month)},
                            std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;

  nanoseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const size_t start = pos;
    int64_t value = 0;
    int64_t scale = 1'000'000'000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (scale > 1) {
        scale /= 10;
        value += (text[pos] - '0') * scale;
      }
      ++pos;
    }
    if (pos == start) return std::nullopt;
    fraction = nanoseconds{value};
  }

  minutes offset{0};
  if (expect(text, pos, 'Z')) {
    // UTC
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    const auto offsetHours = digits(text, pos, 2);
    if (!offsetHours || !expect(text, pos, ':')) return std::nullopt;
    const auto offsetMinutes = digits(text, pos, 2);
    if (!offsetMinutes || *offsetHours > 23 || *offsetMinutes > 59) return std::nullopt;
    offset = minutes{sign * (*offsetHours * 60 + *offsetMinutes)};
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;

  const auto local = sys_days{date} + hours{*hour} + minutes{*minute} + seconds{*second} + fraction;
  return time_point_cast<system_clock::duration>(local - offset);
}

std::string formatTimestamp(Timestamp time) {
  using namespace std::chrono;
  const auto micros = time_point_cast<microseconds>(time);
  const auto day = floor<days>(micros);
  const year_month_day date{day};
  const hh_mm_ss clock{micros - day};
  char buffer[48];
  const int year = static_cast<int>(date.year());
  const auto month = static_cast<unsigned>(date.month());
  const auto dayOfMonth = static_cast<unsigned>(date.day());
  const auto hour = static_cast<int>(clock.hours().count());
  const auto minute = static_cast<int>(clock.minutes().count());
  const auto second = static_cast<int>(clock.seconds().count());
  const auto sub = static_cast<long>(clock.subseconds().count());
  if (sub == 0) {
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02dZ", year, month, dayOfMonth, hour, minute,
                  second);
  } else {
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.%06ldZ", year, month, dayOfMonth, hour, minute,
                  second, sub);
  }
  return buffer;
}

}  // namespace launch::api
