// Unit tests: JSON merge patch against every example of RFC 7386 (appendix A and section 3).
#include <gtest/gtest.h>

#include "api/MergePatch.hpp"

namespace launch::api {
namespace {

using Json = nlohmann::json;

struct MergeCase {
  const char* original;
  const char* patch;
  const char* result;
};

// Names the case in gtest output instead of dumping its bytes.
void PrintTo(const MergeCase& c, std::ostream* os) { *os << c.original << " + " << c.patch; }

class Rfc7386AppendixA : public ::testing::TestWithParam<MergeCase> {};

TEST_P(Rfc7386AppendixA, GivesTheRfcResult) {
  const auto& c = GetParam();
  EXPECT_EQ(applyMergePatch(Json::parse(c.original), Json::parse(c.patch)), Json::parse(c.result))
      << "original " << c.original << " patch " << c.patch;
}

INSTANTIATE_TEST_SUITE_P(AllExamples, Rfc7386AppendixA,
                         ::testing::Values(MergeCase{R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
                                           MergeCase{R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
                                           MergeCase{R"({"a":"b"})", R"({"a":null})", R"({})"},
                                           MergeCase{R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
                                           MergeCase{R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
                                           MergeCase{R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
                                           MergeCase{R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})",
                                                     R"({"a":{"b":"d"}})"},
                                           MergeCase{R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
                                           MergeCase{R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
                                           MergeCase{R"({"a":"b"})", R"(["c"])", R"(["c"])"},
                                           MergeCase{R"({"a":"foo"})", R"(null)", R"(null)"},
                                           MergeCase{R"({"a":"foo"})", R"("bar")", R"("bar")"},
                                           MergeCase{R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
                                           MergeCase{R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
                                           MergeCase{R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"}));

TEST(MergePatch, AppliesTheRfcSection3Example) {
  const Json target = Json::parse(R"({
    "title": "Goodbye!",
    "author": {"givenName": "John", "familyName": "Doe"},
    "tags": ["example", "sample"],
    "content": "This will be unchanged"})");
  const Json patch = Json::parse(R"({
    "title": "Hello!",
    "phoneNumber": "+01-123-456-7890",
    "author": {"familyName": null},
    "tags": ["example"]})");
  const Json expected = Json::parse(R"({
    "title": "Hello!",
    "author": {"givenName": "John"},
    "tags": ["example"],
    "content": "This will be unchanged",
    "phoneNumber": "+01-123-456-7890"})");
  EXPECT_EQ(applyMergePatch(target, patch), expected);
}

TEST(MergePatch, LeavesItsInputsAlone) {
  const Json target = {{"a", {{"b", 1}}}};
  const Json patch = {{"a", {{"b", nullptr}}}};
  (void)applyMergePatch(target, patch);
  EXPECT_EQ(target, (Json{{"a", {{"b", 1}}}}));
  EXPECT_EQ(patch, (Json{{"a", {{"b", nullptr}}}}));
}

}  // namespace
}  // namespace launch::api
