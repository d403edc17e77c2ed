// Condition: one observation of an object's state (metav1.Condition), and the rules for updating a list of them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/FieldReader.hpp"
#include "api/Timestamp.hpp"

namespace launch::api {

enum class ConditionStatus { True, False, Unknown };
std::string_view toString(ConditionStatus status);

struct Condition {
  std::string type;  // CamelCase, e.g. Ready
  ConditionStatus status = ConditionStatus::Unknown;
  int64_t observedGeneration = 0;
  Timestamp lastTransitionTime{};  // when status last changed
  std::string reason;              // CamelCase, machine-readable
  std::string message;             // for people; may be empty

  bool operator==(const Condition&) const = default;
};

Condition readCondition(const FieldReader& field);
Json toJson(const Condition& condition);
std::vector<Condition> readConditions(const FieldReader& field);
Json toJson(const std::vector<Condition>& conditions);

const Condition* findCondition(const std::vector<Condition>& conditions, std::string_view type);
bool isConditionTrue(const std::vector<Condition>& conditions, std::string_view type);

// Adds or updates the condition of the same type. The stored lastTransitionTime moves only when the status
// changes, as metav1 requires; reason, message and observedGeneration always follow `condition`. Returns whether
// anything changed, so a caller can skip a status write that would change nothing.
bool setCondition(std::vector<Condition>& conditions, Condition condition);

}  // namespace launch::api
