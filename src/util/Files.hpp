// Reading and writing whole files as values.
#pragma once

#include <string>

#include "util/Result.hpp"

namespace launch {

Result<std::string> readFile(const std::string& path);
Status writeFile(const std::string& path, std::string_view content);

}  // namespace launch
