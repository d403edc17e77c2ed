// Unit tests: YAML to JSON with core-schema scalars, multi-document streams and refusals.
#include <gtest/gtest.h>

#include <cmath>

#include "api/YamlToJson.hpp"

namespace launch::api {
namespace {

using Json = nlohmann::json;

struct ScalarCase {
  const char* yaml;  // the value of key "v"
  Json expected;
};

// Names the case in gtest output instead of dumping its bytes.
void PrintTo(const ScalarCase& c, std::ostream* os) { *os << c.yaml; }

class YamlScalar : public ::testing::TestWithParam<ScalarCase> {};

TEST_P(YamlScalar, ResolvesLikeTheCoreSchema) {
  const auto& c = GetParam();
  auto json = yamlToJson(std::string("v: ") + c.yaml);
  ASSERT_TRUE(json.ok()) << json.error().message;
  EXPECT_EQ((*json)["v"], c.expected) << c.yaml;
  EXPECT_EQ((*json)["v"].type(), c.expected.type()) << c.yaml << " -> " << json->dump();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, YamlScalar,
    ::testing::Values(ScalarCase{"42", 42}, ScalarCase{"-7", -7}, ScalarCase{"+3", 3}, ScalarCase{"0x1F", 31},
                      ScalarCase{"0o17", 15}, ScalarCase{"1.5", 1.5}, ScalarCase{"-2.5e3", -2500.0},
                      ScalarCase{".5", 0.5}, ScalarCase{"1.", 1.0}, ScalarCase{"true", true},
                      ScalarCase{"False", false}, ScalarCase{"null", nullptr}, ScalarCase{"~", nullptr},
                      ScalarCase{"", nullptr}, ScalarCase{"\"42\"", "42"}, ScalarCase{"'true'", "true"},
                      ScalarCase{"!!str 42", "42"}, ScalarCase{"!!float 1", 1.0}, ScalarCase{"yes", "yes"},
                      ScalarCase{"on", "on"}, ScalarCase{"1.2.3", "1.2.3"}, ScalarCase{"0x", "0x"},
                      ScalarCase{"v1.23.2", "v1.23.2"}, ScalarCase{"\"True\"", "True"},
                      ScalarCase{"9223372036854775807", 9223372036854775807LL},
                      ScalarCase{"-9223372036854775808", std::numeric_limits<int64_t>::min()},
                      ScalarCase{"18446744073709551615", 18446744073709551615ULL}, ScalarCase{"'{{gpus}}'", "{{gpus}}"},
                      ScalarCase{"hello world", "hello world"}));

TEST(YamlToJson, ConvertsNestedStructures) {
  auto json = yamlToJson(R"(
spec:
  queues: [a, b]
  nested:
    - name: x
      value: "1"
    - {name: y, value: 2}
  empty: {}
  none: []
  anchor: &base {k: v}
  alias: *base
  block: |
    line one
    line two
)");
  ASSERT_TRUE(json.ok()) << json.error().message;
  const Json expected = Json::parse(R"({"spec": {"queues": ["a", "b"],
      "nested": [{"name": "x", "value": "1"}, {"name": "y", "value": 2}], "empty": {}, "none": [],
      "anchor": {"k": "v"}, "alias": {"k": "v"}, "block": "line one\nline two\n"}})");
  EXPECT_EQ(*json, expected);
}

TEST(YamlToJson, ReadsEveryDocumentOfAStream) {
  auto documents = yamlDocumentsToJson("---\na: 1\n---\n---\nb: 2\n");
  ASSERT_TRUE(documents.ok()) << documents.error().message;
  ASSERT_EQ(documents->size(), 2U);
  EXPECT_EQ((*documents)[0], (Json{{"a", 1}}));
  EXPECT_EQ((*documents)[1], (Json{{"b", 2}}));
  auto single = yamlToJson("a: 1\n---\nb: 2\n");
  ASSERT_FALSE(single.ok());
  EXPECT_NE(single.error().message.find("expected one YAML document, found 2"), std::string::npos);
}

TEST(YamlToJson, SpecialFloats) {
  auto json = yamlToJson("a: .inf\nb: -.Inf\nc: .nan\n");
  ASSERT_TRUE(json.ok()) << json.error().message;
  EXPECT_TRUE(std::isinf((*json)["a"].get<double>()));
  EXPECT_LT((*json)["b"].get<double>(), 0);
  EXPECT_TRUE(std::isnan((*json)["c"].get<double>()));
}

TEST(YamlToJson, RefusesBrokenInputWithItsPosition) {
  for (const char* text :
       {"a: [1, 2\n", "a: b: c\n", "a: 1\n  b: 2\n", "? [a, b]\n: complex key\n", "a: !!int abc\n"}) {
    auto json = yamlToJson(text);
    ASSERT_FALSE(json.ok()) << text;
    EXPECT_EQ(json.error().code, ErrorCode::Invalid);
    EXPECT_NE(json.error().message.find("YAML"), std::string::npos) << json.error().message;
  }
}

TEST(YamlToJson, RefusesAliasBombsAndDeepNesting) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char name = 'b'; name <= 'i'; ++name) {
    const char previous = static_cast<char>(name - 1);
    bomb += std::string(1, name) + ": &" + name + " [*" + previous + ", *" + previous + ", *" + previous + ", *" +
            previous + ", *" + previous + ", *" + previous + ", *" + previous + ", *" + previous + ", *" + previous +
            ", *" + previous + "]\n";
  }
  auto exploded = yamlToJson(bomb);
  ASSERT_FALSE(exploded.ok());
  EXPECT_NE(exploded.error().message.find("expands to more than"), std::string::npos) << exploded.error().message;

  const std::string deep = std::string(300, '[') + std::string(300, ']');
  auto nested = yamlToJson(deep);
  ASSERT_FALSE(nested.ok());
}

}  // namespace
}  // namespace launch::api
