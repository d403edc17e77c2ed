// Priority: names and ranks.
#include "api/Priority.hpp"

#include <array>

namespace launch::api {
namespace {

constexpr std::array<EnumName<Priority>, 4> kNames{{
    {Priority::Critical, "critical"},
    {Priority::High, "high"},
    {Priority::Medium, "medium"},
    {Priority::Low, "low"},
}};

}  // namespace

std::span<const EnumName<Priority>> priorityNames() { return kNames; }
std::string_view toString(Priority priority) { return enumName(priorityNames(), priority); }
std::optional<Priority> parsePriority(std::string_view text) { return enumValue(priorityNames(), text); }

int priorityRank(Priority priority) {
  switch (priority) {
    case Priority::Critical:
      return 0;
    case Priority::High:
      return 1;
    case Priority::Medium:
      return 2;
    case Priority::Low:
      return 3;
  }
  return 3;
}

}  // namespace launch::api
