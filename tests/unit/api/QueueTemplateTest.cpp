// Unit tests: queue config templates (placeholders, checked values, defaults, typed substitution), overrides, and
// a job's resolved config and start timeout.
#include <gtest/gtest.h>

#include "ApiBuilders.hpp"
#include "api/JobConfig.hpp"
#include "api/QueueTemplate.hpp"

namespace launch::api {
namespace {

using testing::makeLaunchJob;
using testing::makeLaunchQueue;

TemplateVariable integer(std::optional<double> min, std::optional<double> max, std::optional<Json> def = {}) {
  TemplateVariable v;
  v.type = VariableType::Integer;
  v.minimum = min;
  v.maximum = max;
  v.defaultValue = std::move(def);
  return v;
}

TemplateVariable number(std::optional<double> min, std::optional<double> max, std::optional<Json> def = {}) {
  TemplateVariable v = integer(min, max, std::move(def));
  v.type = VariableType::Number;
  return v;
}

TemplateVariable text(std::vector<Json> options = {}, std::optional<Json> def = {}) {
  TemplateVariable v;
  v.type = VariableType::String;
  v.enumValues = std::move(options);
  v.defaultValue = std::move(def);
  return v;
}

// The variables every fill case below uses.
const std::map<std::string, TemplateVariable>& variables() {
  static const std::map<std::string, TemplateVariable> vars = {
      {"gpus", integer(0, 8, 1)},
      {"lr", number(0, 1, 0.01)},
      {"pool", text({"a100", "h100"}, "a100")},
      {"tag", text()},  // required: no default
  };
  return vars;
}

struct FillCase {
  const char* name;
  Json config;
  Json values;
  Json expected;  // null when an error is expected
  std::vector<std::string> errorParts;
};

// Names the case in gtest output instead of dumping its bytes.
void PrintTo(const FillCase& c, std::ostream* os) { *os << c.name; }

class FillTemplate : public ::testing::TestWithParam<FillCase> {};

TEST_P(FillTemplate, SubstitutesOrRefuses) {
  const auto& c = GetParam();
  auto filled = fillTemplate(c.config, variables(), c.values);
  if (!c.expected.is_null()) {
    ASSERT_TRUE(filled.ok()) << filled.error().message;
    EXPECT_EQ(*filled, c.expected);
    return;
  }
  ASSERT_FALSE(filled.ok()) << "expected an error, got " << filled->dump();
  EXPECT_EQ(filled.error().code, ErrorCode::Invalid);
  for (const auto& part : c.errorParts) {
    EXPECT_NE(filled.error().message.find(part), std::string::npos) << filled.error().message << "\nlacks: " << part;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FillTemplate,
    ::testing::Values(
        FillCase{"WholeStringBecomesTypedValue",
                 {{"limits", {{"gpu", "{{gpus}}"}}}, {"lr", "{{lr}}"}, {"image", "{{tag}}"}},
                 {{"gpus", 2}, {"tag", "v1"}},
                 {{"limits", {{"gpu", 2}}}, {"lr", 0.01}, {"image", "v1"}},
                 {}},
        FillCase{"InsideLongerStringBecomesText",
                 {{"name", "train-{{gpus}}x-{{pool}}-lr{{lr}}"}, {"tag", "{{tag}}"}},
                 {{"gpus", 4}, {"lr", 0.5}, {"tag", "x"}},
                 {{"name", "train-4x-a100-lr0.5"}, {"tag", "x"}},
                 {}},
        FillCase{"SpacesInsideBracesAllowed",
                 {{"a", "{{ gpus }}"}, {"b", "n{{ pool}}"}},
                 {{"tag", "x"}},
                 {{"a", 1}, {"b", "na100"}},
                 {}},
        FillCase{"PlaceholdersInArraysAndNestedObjects",
                 {{"args", {"--gpus", "{{gpus}}", {{"deep", {"{{pool}}"}}}}}},
                 {{"tag", "x"}, {"pool", "h100"}},
                 {{"args", {"--gpus", 1, {{"deep", {"h100"}}}}}},
                 {}},
        FillCase{"KeysAreNotTemplatedAndNonPlaceholdersStay",
                 {{"{{gpus}}", "{{ not a placeholder }}"}, {"n", 3}, {"b", true}, {"x", "{{1bad}} {single}"}},
                 {{"tag", "x"}},
                 {{"{{gpus}}", "{{ not a placeholder }}"}, {"n", 3}, {"b", true}, {"x", "{{1bad}} {single}"}},
                 {}},
        FillCase{"ValuesAreNotScannedAgain",
                 {{"a", "{{tag}}"}, {"b", "x{{tag}}"}},
                 {{"tag", "{{gpus}}"}},
                 {{"a", "{{gpus}}"}, {"b", "x{{gpus}}"}},
                 {}},
        FillCase{"IntegralFloatCountsAsInteger", {{"a", "{{gpus}}"}}, {{"gpus", 3.0}, {"tag", "x"}}, {{"a", 3}}, {}},
        FillCase{"DefaultsUsedWhenAbsent",
                 {{"a", "{{gpus}}"}, {"b", "{{pool}}"}, {"c", "{{lr}}"}},
                 {{"tag", "x"}},
                 {{"a", 1}, {"b", "a100"}, {"c", 0.01}},
                 {}},
        FillCase{"AboveMaximum",
                 {{"a", "{{gpus}}"}},
                 {{"gpus", 9}, {"tag", "x"}},
                 nullptr,
                 {"spec.templateValues.gpus: 9 is above the maximum 8"}},
        FillCase{"BelowMinimum",
                 {{"a", "{{lr}}"}},
                 {{"lr", -0.5}, {"tag", "x"}},
                 nullptr,
                 {"spec.templateValues.lr: -0.5 is below the minimum 0"}},
        FillCase{"NotInEnum",
                 {{"a", "{{pool}}"}},
                 {{"pool", "v100"}, {"tag", "x"}},
                 nullptr,
                 {"spec.templateValues.pool: 'v100' is not one of 'a100', 'h100'"}},
        FillCase{"WrongTypeStringForInteger",
                 {{"a", "{{gpus}}"}},
                 {{"gpus", "2"}, {"tag", "x"}},
                 nullptr,
                 {"spec.templateValues.gpus: expected an integer, got '2'"}},
        FillCase{"FractionForInteger",
                 {{"a", "{{gpus}}"}},
                 {{"gpus", 1.5}, {"tag", "x"}},
                 nullptr,
                 {"spec.templateValues.gpus: expected an integer, got 1.5"}},
        FillCase{"NumberForString",
                 {{"a", "{{tag}}"}},
                 {{"tag", 5}},
                 nullptr,
                 {"spec.templateValues.tag: expected a string, got 5"}},
        FillCase{"UnknownVariable",
                 {{"a", "{{tag}}"}},
                 {{"tag", "x"}, {"gpu", 1}},
                 nullptr,
                 {"spec.templateValues.gpu: the queue has no template variable gpu", "gpus, lr, pool, tag"}},
        FillCase{"MissingWithoutDefault",
                 {{"a", "{{gpus}}"}},
                 Json::object(),
                 nullptr,
                 {"spec.templateValues.tag: required", "has no default; set a string value"}},
        FillCase{"UndeclaredPlaceholder",
                 {{"spec", {{"containers", {{{"image", "{{imag}}"}}}}}}},
                 {{"tag", "x"}},
                 nullptr,
                 {"spec.config.spec.containers[0].image", "{{imag}}", "does not declare imag"}},
        FillCase{"EveryProblemReported",
                 {{"a", "{{gpus}}"}},
                 {{"gpus", 100}, {"pool", "tpu"}},
                 nullptr,
                 {"spec.templateValues.gpus", "spec.templateValues.pool", "spec.templateValues.tag"}},
        FillCase{"ValuesMustBeAnObject",
                 {{"a", 1}},
                 Json::array({1}),
                 nullptr,
                 {"spec.templateValues: expected an object"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(FillTemplate, NoVariablesAndNoValuesLeavesTheConfigAlone) {
  const Json config = {{"spec", {{"backoffLimit", 0}}}};
  auto filled = fillTemplate(config, {}, Json());
  ASSERT_TRUE(filled.ok()) << filled.error().message;
  EXPECT_EQ(*filled, config);
}

TEST(FindPlaceholders, ListsEachPlaceWithItsPath) {
  const Json config = {{"a", {{"b", "{{x}}-{{y}}"}}}, {"list", {"{{z}}"}}, {"app.kubernetes.io/name", "{{w}}"}};
  const std::vector<Placeholder> expected = {{"spec.config.a.b", "x"},
                                             {"spec.config.a.b", "y"},
                                             {R"(spec.config["app.kubernetes.io/name"])", "w"},
                                             {"spec.config.list[0]", "z"}};
  EXPECT_EQ(findPlaceholders(config), expected);
}

struct OverrideCase {
  const char* name;
  Json filled;
  Json overrides;
  Json expected;  // null: an error
};

// Names the case in gtest output instead of dumping its bytes.
void PrintTo(const OverrideCase& c, std::ostream* os) { *os << c.name; }

class ApplyOverrides : public ::testing::TestWithParam<OverrideCase> {};

TEST_P(ApplyOverrides, MergesAsJsonMergePatch) {
  const auto& c = GetParam();
  auto merged = applyOverrides(c.filled, c.overrides);
  if (c.expected.is_null()) {
    ASSERT_FALSE(merged.ok());
    EXPECT_NE(merged.error().message.find("spec.overrides: expected an object"), std::string::npos)
        << merged.error().message;
    return;
  }
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ(*merged, c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ApplyOverrides,
    ::testing::Values(OverrideCase{"NestedObjectsMerge",
                                   {{"spec", {{"backoffLimit", 0}, {"activeDeadlineSeconds", 60}}}},
                                   {{"spec", {{"activeDeadlineSeconds", 120}}}},
                                   {{"spec", {{"backoffLimit", 0}, {"activeDeadlineSeconds", 120}}}}},
                      OverrideCase{"ArraysReplace",
                                   {{"containers", {{{"name", "a"}}, {{"name", "b"}}}}},
                                   {{"containers", {{{"name", "c"}}}}},
                                   {{"containers", {{{"name", "c"}}}}}},
                      OverrideCase{"NullDeletes",
                                   {{"spec", {{"nodeSelector", {{"pool", "a100"}}}, {"backoffLimit", 0}}}},
                                   {{"spec", {{"nodeSelector", nullptr}}}},
                                   {{"spec", {{"backoffLimit", 0}}}}},
                      OverrideCase{"AbsentOverridesChangeNothing", {{"a", 1}}, Json(), {{"a", 1}}},
                      OverrideCase{"EmptyOverridesChangeNothing", {{"a", 1}}, Json::object(), {{"a", 1}}},
                      OverrideCase{
                          "OverridesAreNotTemplated", {{"a", 1}}, {{"b", "{{gpus}}"}}, {{"a", 1}, {"b", "{{gpus}}"}}},
                      OverrideCase{"NonObjectRefused", {{"a", 1}}, Json::array({1}), nullptr},
                      OverrideCase{"StringRefused", {{"a", 1}}, "replace-everything", nullptr}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ResolveJobConfig, FillsTheTemplateThenMergesTheOverrides) {
  const auto queue = makeLaunchQueue("gpu")
                         .config({{"spec",
                                   {{"activeDeadlineSeconds", 3600},
                                    {"template", {{"spec", {{"nodeSelector", {{"pool", "{{pool}}"}}}}}}}}}})
                         .variable("pool", text({"a100", "h100"}, "a100"))
                         .obj();
  const auto job = makeLaunchJob("train")
                       .queue("gpu")
                       .templateValues({{"pool", "h100"}})
                       .overrides({{"spec", {{"activeDeadlineSeconds", 7200}}}})
                       .obj();
  auto config = resolveJobConfig(queue.spec, job.spec);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ((*config)["spec"]["activeDeadlineSeconds"], 7200);
  EXPECT_EQ((*config)["spec"]["template"]["spec"]["nodeSelector"]["pool"], "h100");

  // An override can replace a templated value: overrides come last.
  const auto overriding = makeLaunchJob("train2")
                              .templateValues({{"pool", "h100"}})
                              .overrides({{"spec", {{"template", {{"spec", {{"nodeSelector", nullptr}}}}}}}})
                              .obj();
  config = resolveJobConfig(queue.spec, overriding.spec);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_FALSE((*config)["spec"]["template"]["spec"].contains("nodeSelector"));

  const auto bad = makeLaunchJob("train3").templateValues({{"pool", "k80"}}).obj();
  config = resolveJobConfig(queue.spec, bad.spec);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("spec.templateValues.pool: 'k80' is not one of"), std::string::npos)
      << config.error().message;
}

TEST(StartTimeout, TheJobWinsOverTheQueue) {
  const auto queue = makeLaunchQueue("q").startTimeoutSeconds(600).obj();
  const auto plainQueue = makeLaunchQueue("q").obj();
  const auto job = makeLaunchJob("j").startTimeoutSeconds(30).obj();
  const auto plainJob = makeLaunchJob("j").obj();
  EXPECT_EQ(startTimeout(queue.spec, job.spec), std::chrono::seconds(30));
  EXPECT_EQ(startTimeout(queue.spec, plainJob.spec), std::chrono::seconds(600));
  EXPECT_EQ(startTimeout(plainQueue.spec, job.spec), std::chrono::seconds(30));
  EXPECT_EQ(startTimeout(plainQueue.spec, plainJob.spec), std::nullopt);
}

}  // namespace
}  // namespace launch::api
