// Timestamp: the API's points in time (metav1.Time) and their RFC 3339 text form.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace launch::api {

using Timestamp = std::chrono::system_clock::time_point;

// Parses RFC 3339 ("2024-05-01T10:00:00Z", "2024-05-01T12:00:00.25+02:00"); nullopt when the text is not one.
std::optional<Timestamp> parseTimestamp(std::string_view text);

// UTC with a 'Z'; whole seconds as Kubernetes writes them, microseconds only when the time has them.
std::string formatTimestamp(Timestamp time);

}  // namespace launch::api
