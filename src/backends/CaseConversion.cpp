// Conversion of config keys from snake_case to the CamelCase or camelCase of a cloud API.
#include "backends/CaseConversion.hpp"

#include <utility>

namespace launch::backends {

namespace {

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

Result<Json> convert(const Json& value, const KeyConversion& conversion, const std::string& path) {
  if (value.is_array()) {
    Json out = Json::array();
    for (std::size_t i = 0; i < value.size(); ++i) {
      auto item = convert(value[i], conversion, path + "[" + std::to_string(i) + "]");
      if (!item) return item.error();
      out.push_back(std::move(*item));
    }
    return out;
  }
  if (!value.is_object()) return value;

  Json out = Json::object();
  std::map<std::string, std::string> originals;  // converted name -> the key it came from
  for (const auto& [key, member] : value.items()) {
    std::string name = toCamelCase(key, conversion.style);
    if (const auto rename = conversion.renames.find(name); rename != conversion.renames.end()) name = rename->second;
    const auto [previous, inserted] = originals.emplace(name, key);
    if (!inserted) {
      std::string message = path;
      message += " sets both \"";
      message += previous->second;
      message += "\" and \"";
      message += key;
      message += "\", which both mean ";
      message += name;
      message += "; keep one of them";
      return makeError(ErrorCode::Invalid, std::move(message));
    }
    std::string memberPath = path;
    if (!memberPath.empty()) memberPath += '.';
    memberPath += name;
    if (conversion.opaqueKeys.count(name) != 0) {
      out[name] = member;
      continue;
    }
    auto converted = convert(member, conversion, memberPath);
    if (!converted) return converted.error();
    out[name] = std::move(*converted);
  }
  return out;
}

}  // namespace

std::string toCamelCase(std::string_view key, KeyCase style) {
  std::string out;
  out.reserve(key.size());
  bool capitalizeNext = false;
  for (const char c : key) {
    if (c == '_') {
      capitalizeNext = !out.empty();
      continue;
    }
    out.push_back(capitalizeNext ? upper(c) : c);
    capitalizeNext = false;
  }
  if (!out.empty()) out[0] = style == KeyCase::UpperCamel ? upper(out[0]) : lower(out[0]);
  return out;
}

Result<Json> convertKeys(const Json& value, const KeyConversion& conversion, const std::string& path) {
  return convert(value, conversion, path);
}

}  // namespace launch::backends
