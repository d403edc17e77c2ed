// YamlToJson: YAML text (CRDs, samples, config files) as JSON values, with YAML 1.2 core-schema scalar types.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "util/Result.hpp"

namespace launch::api {

// Plain scalars resolve as YAML 1.2's core schema: null/~/empty -> null, true/false -> booleans, decimal, 0x and
// 0o integers, decimal and .inf/.nan floats; everything else, and every quoted scalar, is a string. Explicit
// !!str, !!int, !!float, !!bool and !!null tags are honoured. Mapping keys must be scalars.

// Every document of a stream ("---"-separated), empty documents skipped.
Result<std::vector<nlohmann::json>> yamlDocumentsToJson(std::string_view text);
// Exactly one document.
Result<nlohmann::json> yamlToJson(std::string_view text);

}  // namespace launch::api
