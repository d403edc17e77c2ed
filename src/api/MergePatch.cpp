// MergePatch: RFC 7386 JSON merge patch.
#include "api/MergePatch.hpp"

namespace launch::api {

nlohmann::json applyMergePatch(const nlohmann::json& target, const nlohmann::json& patch) {
  if (!patch.is_object()) return patch;
  nlohmann::json result = target.is_object() ? target : nlohmann::json::object();
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      result.erase(key);
      continue;
    }
    const auto existing = result.find(key);
    result[key] = applyMergePatch(existing == result.end() ? nlohmann::json() : *existing, value);
  }
  return result;
}

}  // namespace launch::api
