// Unit tests: conditions (metav1.Condition): the lastTransitionTime rule and lookups.
#include <gtest/gtest.h>

#include "ApiBuilders.hpp"
#include "api/Condition.hpp"

namespace launch::api {
namespace {

using testing::at;

Condition ready(ConditionStatus status, Timestamp when, std::string reason, std::string message = {}) {
  return {"Ready", status, 1, when, std::move(reason), std::move(message)};
}

TEST(SetCondition, AddsANewType) {
  std::vector<Condition> conditions;
  EXPECT_TRUE(setCondition(conditions, ready(ConditionStatus::True, at(0), "Valid")));
  ASSERT_EQ(conditions.size(), 1U);
  EXPECT_TRUE(isConditionTrue(conditions, "Ready"));
  EXPECT_FALSE(isConditionTrue(conditions, "Stalled"));
  EXPECT_EQ(findCondition(conditions, "Stalled"), nullptr);
}

TEST(SetCondition, KeepsTheTransitionTimeWhileTheStatusHolds) {
  std::vector<Condition> conditions{ready(ConditionStatus::True, at(0), "Valid")};
  EXPECT_FALSE(setCondition(conditions, ready(ConditionStatus::True, at(60), "Valid")));  // nothing new
  EXPECT_EQ(conditions[0].lastTransitionTime, at(0));
  EXPECT_TRUE(setCondition(conditions, ready(ConditionStatus::True, at(90), "Valid", "3 jobs pending")));
  EXPECT_EQ(conditions[0].lastTransitionTime, at(0));
  EXPECT_EQ(conditions[0].message, "3 jobs pending");
}

TEST(SetCondition, MovesTheTransitionTimeWhenTheStatusFlips) {
  std::vector<Condition> conditions{ready(ConditionStatus::True, at(0), "Valid")};
  EXPECT_TRUE(setCondition(conditions, ready(ConditionStatus::False, at(120), "BadTemplate", "{{x}} undeclared")));
  ASSERT_EQ(conditions.size(), 1U);
  EXPECT_EQ(conditions[0].status, ConditionStatus::False);
  EXPECT_EQ(conditions[0].lastTransitionTime, at(120));
  EXPECT_EQ(conditions[0].reason, "BadTemplate");
}

TEST(Condition, JsonRoundTrip) {
  const Condition condition = ready(ConditionStatus::Unknown, at(5), "Starting", "waiting for caches");
  Problems problems;
  const Json json = toJson(condition);
  EXPECT_EQ(json["status"], "Unknown");
  EXPECT_EQ(json["lastTransitionTime"], "2024-05-01T10:00:05Z");
  EXPECT_EQ(readCondition(FieldReader(json, problems)), condition);
  EXPECT_TRUE(problems.empty());
}

}  // namespace
}  // namespace launch::api
