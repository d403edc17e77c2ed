// Priority: how urgent a LaunchJob is on a queue with prioritization on (critical runs first).
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "api/EnumNames.hpp"

namespace launch::api {

enum class Priority { Critical, High, Medium, Low };

std::span<const EnumName<Priority>> priorityNames();
std::string_view toString(Priority priority);
std::optional<Priority> parsePriority(std::string_view text);

// 0 for critical up to 3 for low, as W&B numbers them: a lower rank runs first.
int priorityRank(Priority priority);

}  // namespace launch::api
