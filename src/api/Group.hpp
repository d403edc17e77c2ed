// Group: the API group and version of the launch.dev kinds.
#pragma once

#include <string_view>

namespace launch::api {

inline constexpr std::string_view kGroup = "launch.dev";
inline constexpr std::string_view kVersion = "v1alpha1";
inline constexpr std::string_view kApiVersion = "launch.dev/v1alpha1";

}  // namespace launch::api
