// AwsTimestamp: the two time formats AWS uses, the compact SigV4 date and ISO 8601 expirations.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace launch::cloud {

// "20150830T123600Z" (UTC), the X-Amz-Date form.
std::string formatAmzDate(std::chrono::system_clock::time_point time);

// "2015-08-30T12:36:00Z", "2015-08-30T12:36:00.123Z" or "2015-08-30T12:36:00+02:00"; nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parseIso8601(std::string_view text);

}  // namespace launch::cloud
