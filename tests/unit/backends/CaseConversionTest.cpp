// Unit tests of config key conversion from snake_case to CamelCase and camelCase (table-driven).
#include <gtest/gtest.h>

#include <string>

#include "backends/CaseConversion.hpp"

namespace launch::backends {
namespace {

struct CamelCase {
  const char* key;
  KeyCase style;
  const char* expected;
};

class ToCamelCaseTest : public ::testing::TestWithParam<CamelCase> {};

TEST_P(ToCamelCaseTest, ConvertsTheKey) {
  EXPECT_EQ(toCamelCase(GetParam().key, GetParam().style), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Keys, ToCamelCaseTest,
                         ::testing::Values(CamelCase{"role_arn", KeyCase::UpperCamel, "RoleArn"},
                                           CamelCase{"s3_output_path", KeyCase::UpperCamel, "S3OutputPath"},
                                           CamelCase{"max_runtime_in_seconds", KeyCase::UpperCamel,
                                                     "MaxRuntimeInSeconds"},
                                           CamelCase{"RoleArn", KeyCase::UpperCamel, "RoleArn"},
                                           CamelCase{"roleArn", KeyCase::UpperCamel, "RoleArn"},
                                           CamelCase{"worker_pool_specs", KeyCase::LowerCamel, "workerPoolSpecs"},
                                           CamelCase{"boot_disk_size_gb", KeyCase::LowerCamel, "bootDiskSizeGb"},
                                           CamelCase{"machineSpec", KeyCase::LowerCamel, "machineSpec"},
                                           CamelCase{"MachineSpec", KeyCase::LowerCamel, "machineSpec"},
                                           CamelCase{"_leading__double_", KeyCase::UpperCamel, "LeadingDouble"},
                                           CamelCase{"", KeyCase::UpperCamel, ""}));

TEST(ConvertKeys, ConvertsNestedObjectsAndArraysButNotOpaqueMaps) {
  const Json config = Json::parse(R"({
    "role_arn": "arn:aws:iam::1:role/r",
    "resource_config": {"instance_type": "ml.m5.xlarge", "volume_size_in_gb": 30},
    "input_data_config": [{"channel_name": "train", "data_source": {"s3_data_source": {"s3_uri": "s3://b/k"}}}],
    "environment": {"MY_VAR": "x", "lower_case": "y"},
    "hyper_parameters": {"learning_rate": "0.1"}
  })");
  const KeyConversion conversion{
      KeyCase::UpperCamel, {"Environment", "HyperParameters"}, {{"VolumeSizeInGb", "VolumeSizeInGB"}}};
  auto converted = convertKeys(config, conversion, "spec.config");
  ASSERT_TRUE(converted.ok()) << converted.error().message;
  const Json expected = Json::parse(R"({
    "RoleArn": "arn:aws:iam::1:role/r",
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30},
    "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": "s3://b/k"}}}],
    "Environment": {"MY_VAR": "x", "lower_case": "y"},
    "HyperParameters": {"learning_rate": "0.1"}
  })");
  EXPECT_EQ(*converted, expected);
}

TEST(ConvertKeys, TwoSpellingsOfOneKeyAreAnErrorNamingBoth) {
  const Json config = Json::parse(R"({"resource_config": {"instance_type": "a", "InstanceType": "b"}})");
  auto converted = convertKeys(config, KeyConversion{}, "spec.config");
  ASSERT_FALSE(converted.ok());
  EXPECT_EQ(converted.error().code, ErrorCode::Invalid);
  EXPECT_NE(converted.error().message.find("spec.config.ResourceConfig"), std::string::npos)
      << converted.error().message;
  EXPECT_NE(converted.error().message.find("instance_type"), std::string::npos);
  EXPECT_NE(converted.error().message.find("InstanceType"), std::string::npos);
}

TEST(ConvertKeys, ScalarsPassThrough) {
  auto converted = convertKeys(Json(42), KeyConversion{}, "spec.config");
  ASSERT_TRUE(converted.ok());
  EXPECT_EQ(*converted, Json(42));
}

}  // namespace
}  // namespace launch::backends
