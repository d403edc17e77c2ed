// Formatting and parsing of the SigV4 date and of ISO 8601 timestamps, in UTC without the C library's locale.
#include "cloud/AwsTimestamp.hpp"

#include <cstdio>

namespace launch::cloud {

namespace {

// Reads exactly `digits` decimal digits at `pos`, advancing it; nullopt if any is missing.
std::optional<int> readNumber(std::string_view text, size_t& pos, size_t digits) {
  if (pos + digits > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = 0; i < digits; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += digits;
  return value;
}

bool expect(std::string_view text, size_t& pos, char wanted) {
  if (pos >= text.size() || text[pos] != wanted) return false;
  ++pos;
  return true;
}

}  // namespace

std::string formatAmzDate(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto seconds = floor<std::chrono::seconds>(time);
  const auto days = floor<std::chrono::days>(seconds);
  const year_month_day date{days};
  const hh_mm_ss clock{seconds - days};
  char out[32];
  std::snprintf(out, sizeof(out), "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return out;
}

std::optional<std::chrono::system_clock::time_point> parseIso8601(std::string_view text) {
  using namespace std::chrono;
  size_t pos = 0;
  const auto year = readNumber(text, pos, 4);
  if (!year || !expect(text, pos, '-')) return std::nullopt;
  const auto month = readNumber(text, pos, 2);
  if (!month || !expect(text, pos, '-')) return std::nullopt;
  const auto day = readNumber(text, pos, 2);
  if (!day || pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) return std::nullopt;
  ++pos;
  const auto hour = readNumber(text, pos, 2);
  if (!hour || !expect(text, pos, ':')) return std::nullopt;
  const auto minute = readNumber(text, pos, 2);
  if (!minute || !expect(text, pos, ':')) return std::nullopt;
  const auto second = readNumber(text, pos, 2);
  if (!second) return std::nullopt;

  const year_month_day date{std::chrono::year{*year}, std::chrono::month{static_cast<unsigned>(*month)},
                            std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;

  // Fractional seconds: kept to the millisecond, which is all AWS sends.
  milliseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const size_t start = pos;
    int64_t scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction += milliseconds{(text[pos] - '0') * scale};
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }

  minutes offset{0};
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    const auto offsetHours = readNumber(text, pos, 2);
    if (!offsetHours) return std::nullopt;
    expect(text, pos, ':');
    const auto offsetMinutes = readNumber(text, pos, 2);
    if (!offsetMinutes) return std::nullopt;
    offset = minutes{sign * (*offsetHours * 60 + *offsetMinutes)};
  } else {
    return std::nullopt;  // a timestamp without a zone is ambiguous
  }
  if (pos != text.size()) return std::nullopt;

  const auto time = sys_days{date} + hours{*hour} + minutes{*minute} + seconds{*second} + fraction - offset;
  return time_point_cast<system_clock::duration>(time);
}

}  // namespace launch::cloud
