// MergePatch: JSON merge patch (RFC 7386), the rule by which a job's overrides change its queue's config.
#pragma once

#include <nlohmann/json.hpp>

namespace launch::api {

// RFC 7386 section 2: a patch that is an object is merged key by key into the target (a target that is not an
// object counts as {}); a null member deletes that key; any other member value, arrays included, is merged
// recursively by the same rule, which for a non-object simply replaces. A patch that is not an object replaces
// the whole target.
nlohmann::json applyMergePatch(const nlohmann::json& target, const nlohmann::json& patch);

}  // namespace launch::api
