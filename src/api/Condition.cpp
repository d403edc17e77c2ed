// Condition: JSON mapping of metav1.Condition and the update rule that keeps lastTransitionTime honest.
#include "api/Condition.hpp"

#include <algorithm>
#include <array>

#include "api/EnumNames.hpp"

namespace launch::api {
namespace {

constexpr std::array<EnumName<ConditionStatus>, 3> kStatusNames{{
    {ConditionStatus::True, "True"},
    {ConditionStatus::False, "False"},
    {ConditionStatus::Unknown, "Unknown"},
}};

}  // namespace

std::string_view toString(ConditionStatus status) {
  return enumName(std::span<const EnumName<ConditionStatus>>(kStatusNames), status);
}

Condition readCondition(const FieldReader& field) {
  Condition condition;
  if (field["type"].require("set the condition type, e.g. Ready")) condition.type = field["type"].string();
  if (field["status"].require("set True, False or Unknown")) {
    condition.status =
        field["status"].enumeration(std::span<const EnumName<ConditionStatus>>(kStatusNames), ConditionStatus::Unknown);
  }
  condition.observedGeneration = field["observedGeneration"].integer(0);
  if (field["lastTransitionTime"].require("set when the status last changed, e.g. 2024-05-01T10:00:00Z")) {
    condition.lastTransitionTime = field["lastTransitionTime"].timestamp().value_or(Timestamp{});
  }
  if (field["reason"].require("set a CamelCase reason")) condition.reason = field["reason"].string();
  condition.message = field["message"].string();
  return condition;
}

Json toJson(const Condition& condition) {
  Json json = {{"type", condition.type},
               {"status", std::string(toString(condition.status))},
               {"lastTransitionTime", formatTimestamp(condition.lastTransitionTime)},
               {"reason", condition.reason},
               {"message", condition.message}};
  if (condition.observedGeneration != 0) json["observedGeneration"] = condition.observedGeneration;
  return json;
}

std::vector<Condition> readConditions(const FieldReader& field) {
  std::vector<Condition> conditions;
  for (const auto& item : field.items()) conditions.push_back(readCondition(item));
  return conditions;
}

Json toJson(const std::vector<Condition>& conditions) {
  Json json = Json::array();
  for (const auto& condition : conditions) json.push_back(toJson(condition));
  return json;
}

const Condition* findCondition(const std::vector<Condition>& conditions, std::string_view type) {
  const auto found = std::find_if(conditions.begin(), conditions.end(), [&](const auto& c) { return c.type == type; });
  return found == conditions.end() ? nullptr : &*found;
}

bool isConditionTrue(const std::vector<Condition>& conditions, std::string_view type) {
  const Condition* condition = findCondition(conditions, type);
  return condition != nullptr && condition->status == ConditionStatus::True;
}

bool setCondition(std::vector<Condition>& conditions, Condition condition) {
  const auto found =
      std::find_if(conditions.begin(), conditions.end(), [&](const auto& c) { return c.type == condition.type; });
  if (found == conditions.end()) {
    conditions.push_back(std::move(condition));
    return true;
  }
  if (found->status == condition.status) condition.lastTransitionTime = found->lastTransitionTime;
  if (*found == condition) return false;
  *found = std::move(condition);
  return true;
}

}  // namespace launch::api
