// Unit tests of the job index: summaries read from LaunchJob JSON, updates and deletes, and visits by namespace.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "queue/JobIndex.hpp"

namespace launch::queue {
namespace {

using Json = nlohmann::json;

Json job(const std::string& ns, const std::string& name, const std::string& queue, const Json& status = {},
         const Json& extraMetadata = Json::object()) {
  Json metadata = {{"namespace", ns}, {"name", name}, {"resourceVersion", "7"}};
  metadata.update(extraMetadata);
  Json object = {{"metadata", metadata}, {"spec", {{"queue", queue}}}};
  if (!status.is_null()) object["status"] = status;
  return object;
}

struct SummaryCase {
  std::string name;
  Json object;
  JobSummary expected;
  bool active;
};

class Summaries : public ::testing::TestWithParam<SummaryCase> {};

TEST_P(Summaries, ReadTheFieldsDispatchAndCountsNeed) {
  const JobSummary summary = JobSummary::of(GetParam().object);
  EXPECT_EQ(summary, GetParam().expected);
  EXPECT_EQ(summary.active(), GetParam().active);
}

INSTANTIATE_TEST_SUITE_P(
    JobIndex, Summaries,
    ::testing::Values(
        SummaryCase{"New", job("ml", "a", "gpu"), {"a", "gpu", "", "", "7", false, false}, false},
        SummaryCase{"Queued", job("ml", "a", "gpu", {{"phase", "Queued"}}), {"a", "gpu", "Queued", "", "7"}, false},
        SummaryCase{"Claimed",
                    job("ml", "a", "gpu", {{"phase", "Running"}, {"agent", "x"}}),
                    {"a", "gpu", "Running", "x", "7"},
                    true},
        SummaryCase{"Building",
                    job("ml", "a", "gpu", {{"phase", "Building"}, {"agent", "x"}}),
                    {"a", "gpu", "Building", "x", "7"},
                    true},
        SummaryCase{"Finished",
                    job("ml", "a", "gpu", {{"phase", "Succeeded"}, {"agent", "x"}}),
                    {"a", "gpu", "Succeeded", "x", "7"},
                    false},
        SummaryCase{"Deleting",
                    job("ml", "a", "gpu", {}, {{"deletionTimestamp", "2026-12-02T00:00:00Z"}}),
                    {"a", "gpu", "", "", "7", true, false},
                    false},
        SummaryCase{"Cancelled",
                    Json{{"metadata", {{"name", "a"}}}, {"spec", {{"queue", "q"}, {"cancel", true}}}},
                    {"a", "q", "", "", "", false, true},
                    false},
        SummaryCase{"MistypedFieldsReadAsEmpty",
                    Json{{"metadata", {{"name", 3}}}, {"spec", "nope"}, {"status", {{"phase", 1}, {"agent", false}}}},
                    {},
                    false},
        SummaryCase{"NotAnObject", Json::array(), {}, false}),
    [](const auto& info) { return info.param.name; });

std::vector<std::string> visit(const JobIndex& index, const std::string& ns) {
  std::vector<std::string> seen;
  index.forEachIn(ns, [&](const JobSummary& s) { seen.push_back(s.name + ":" + s.phase); });
  std::sort(seen.begin(), seen.end());  // the index keeps no order
  return seen;
}

TEST(JobIndex, KeepsTheNewestSummaryOfEachJobByNamespace) {
  JobIndex index;
  index.upsert(job("ml", "b", "gpu"));
  index.upsert(job("ml", "a", "gpu"));
  index.upsert(job("other", "a", "cpu"));
  EXPECT_EQ(index.size(), 3U);
  EXPECT_EQ(visit(index, "ml"), (std::vector<std::string>{"a:", "b:"}));
  index.upsert(job("ml", "a", "gpu", {{"phase", "Queued"}}));
  EXPECT_EQ(visit(index, "ml"), (std::vector<std::string>{"a:Queued", "b:"}));
  EXPECT_EQ(visit(index, "other"), (std::vector<std::string>{"a:"}));
  index.erase(job("ml", "a", "gpu"));
  EXPECT_EQ(visit(index, "ml"), (std::vector<std::string>{"b:"}));
  index.erase(job("other", "a", "cpu"));
  EXPECT_TRUE(visit(index, "other").empty());
  index.erase(job("nowhere", "z", "q"));  // unknown: nothing happens
  EXPECT_EQ(index.size(), 1U);
}

TEST(JobIndex, ErasesFromAnyPlaceAndKeepsUpdatingTheRest) {
  JobIndex index;
  for (const char* name : {"a", "b", "c", "d"}) index.upsert(job("ml", name, "gpu"));
  index.erase(job("ml", "b", "gpu"));  // from the middle: the last one takes its place
  index.upsert(job("ml", "d", "gpu", {{"phase", "Queued"}}));
  index.upsert(job("ml", "c", "gpu", {{"phase", "Queued"}}));
  EXPECT_EQ(visit(index, "ml"), (std::vector<std::string>{"a:", "c:Queued", "d:Queued"}));
  index.erase(job("ml", "d", "gpu"));  // the last one
  index.erase(job("ml", "b", "gpu"));  // gone already: nothing happens
  index.upsert(job("ml", "b", "gpu", {{"phase", "Queued"}}));
  index.upsert(job("ml", "a", "gpu", {{"phase", "Running"}, {"agent", "x"}}));
  EXPECT_EQ(visit(index, "ml"), (std::vector<std::string>{"a:Running", "b:Queued", "c:Queued"}));
  EXPECT_EQ(index.size(), 3U);
}

TEST(JobIndex, ForgetsJobsOnceTheyFinish) {
  JobIndex index;
  index.upsert(job("ml", "a", "gpu", {{"phase", "Running"}, {"agent", "x"}}));
  index.upsert(job("ml", "b", "gpu", {{"phase", "Queued"}}));
  index.upsert(job("ml", "old", "gpu", {{"phase", "Failed"}, {"agent", "x"}}));  // history from the first list
  EXPECT_EQ(visit(index, "ml"), (std::vector<std::string>{"a:Running", "b:Queued"}));
  for (const char* phase : {"Succeeded", "Failed", "Cancelled"}) {
    index.upsert(job("ml", "a", "gpu", {{"phase", "Running"}, {"agent", "x"}}));
    index.upsert(job("ml", "a", "gpu", {{"phase", phase}, {"agent", "x"}}));
    EXPECT_EQ(visit(index, "ml"), (std::vector<std::string>{"b:Queued"})) << phase;
  }
  index.upsert(job("ml", "b", "gpu", {{"phase", "Cancelled"}}));
  EXPECT_TRUE(visit(index, "ml").empty());
  EXPECT_EQ(index.size(), 0U);
}

}  // namespace
}  // namespace launch::queue
