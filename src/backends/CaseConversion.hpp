// CaseConversion: the keys of a resource config rewritten in the case a cloud API expects (snake_case to CamelCase).
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/Result.hpp"

namespace launch::backends {

using Json = nlohmann::json;

enum class KeyCase {
  UpperCamel,  // AWS: RoleArn, ResourceConfig
  LowerCamel,  // Google (proto3 JSON): workerPoolSpecs, machineSpec
};

// "role_arn" -> "RoleArn" (UpperCamel) or "roleArn" (LowerCamel). The letter after each '_' is upper-cased and the
// others are kept, so a key already in camel case only has the case of its first letter set.
std::string toCamelCase(std::string_view key, KeyCase style);

struct KeyConversion {
  KeyCase style = KeyCase::UpperCamel;
  // Keys (as converted) whose object values are the user's own maps (Environment, HyperParameters, labels): the
  // key itself is converted, the keys inside are kept as written.
  std::set<std::string> opaqueKeys;
  // Converted names corrected where the API does not follow the word rule ("VolumeSizeInGb" -> "VolumeSizeInGB").
  std::map<std::string, std::string> renames;
};

// Converts every object key, recursively and through arrays. Two keys of one object that convert to the same name
// ("role_arn" and "RoleArn") are an Invalid error naming both, with `path` (e.g. "spec.config") as their parent.
Result<Json> convertKeys(const Json& value, const KeyConversion& conversion, const std::string& path);

}  // namespace launch::backends
