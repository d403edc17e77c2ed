// Unit tests: LaunchJob JSON mapping (round trips, errors named by field path), validation and update rules.
#include <gtest/gtest.h>

#include "ApiBuilders.hpp"
#include "ApiFixtures.hpp"
#include "api/LaunchJob.hpp"

namespace launch::api {
namespace {

using testing::at;
using testing::fullJobJson;
using testing::makeLaunchJob;

TEST(LaunchJob, ReadsEveryField) {
  auto job = LaunchJob::fromJson(fullJobJson());
  ASSERT_TRUE(job.ok()) << job.error().message;
  EXPECT_EQ(job->metadata.name, "train");
  EXPECT_EQ(job->metadata.namespace_, "ml");
  EXPECT_EQ(job->metadata.generation, 3);
  EXPECT_EQ(job->metadata.creationTimestamp, at(0));
  EXPECT_EQ(job->metadata.deletionTimestamp, at(3600));
  EXPECT_TRUE(job->metadata.hasFinalizer("launch.dev/cleanup"));
  EXPECT_EQ(job->metadata.annotations.at("app.kubernetes.io/note"), "x");
  EXPECT_EQ(job->spec.queue, "gpu");
  EXPECT_EQ(job->spec.priority, Priority::High);
  const auto* git = std::get_if<GitSource>(&job->spec.source);
  ASSERT_NE(git, nullptr);
  EXPECT_EQ(git->url, "https://github.com/acme/train.git");
  EXPECT_EQ(git->ref, "main");
  EXPECT_EQ(git->subdirectory, "models/resnet");
  EXPECT_EQ(git->dockerfile, "Dockerfile.gpu");
  ASSERT_TRUE(git->credentialsSecretRef.has_value());
  EXPECT_EQ(git->credentialsSecretRef->name, "git-creds");
  EXPECT_EQ(job->spec.entryPoint, (std::vector<std::string>{"python", "train.py"}));
  EXPECT_EQ(job->spec.env, (std::vector<EnvVar>{{"A", "1"}, {"B", ""}}));
  EXPECT_EQ(job->spec.templateValues["gpus"], 2);
  EXPECT_TRUE(job->spec.overrides["spec"]["template"].is_null());
  EXPECT_EQ(job->spec.startTimeoutSeconds, 300);
  EXPECT_EQ(job->status.phase, JobPhase::Running);
  EXPECT_EQ(job->status.agent, "research-agent");
  EXPECT_EQ(job->status.completionTime, at(1800) + std::chrono::milliseconds(250));
  ASSERT_EQ(job->status.conditions.size(), 1U);
  EXPECT_EQ(job->status.conditions[0].status, ConditionStatus::True);
  EXPECT_EQ(job->status.conditions[0].observedGeneration, 3);
}

TEST(LaunchJob, JsonRoundTripKeepsEveryField) {
  const Json json = fullJobJson();
  auto job = LaunchJob::fromJson(json);
  ASSERT_TRUE(job.ok()) << job.error().message;
  EXPECT_EQ(job->toJson(), json);
  auto again = LaunchJob::fromJson(job->toJson());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, *job);
}

TEST(LaunchJob, ValueRoundTripForEachSourceKind) {
  for (const auto& job : {makeLaunchJob("a").image("busybox:1.36").obj(),
                          makeLaunchJob("b").git("git@github.com:acme/train.git", "v2").created(5).obj(),
                          makeLaunchJob("c").archive("s3://bucket/ctx.tar.gz").cancel().env("X", "y").obj()}) {
    auto back = LaunchJob::fromJson(job.toJson());
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, job) << job.toJson().dump();
  }
}

TEST(LaunchJob, DefaultsApplyWhenFieldsAreAbsent) {
  auto job = LaunchJob::fromJson({{"spec", {{"queue", "q"}, {"source", {{"image", "busybox"}}}}}});
  ASSERT_TRUE(job.ok()) << job.error().message;
  EXPECT_EQ(job->spec.priority, Priority::Medium);
  EXPECT_FALSE(job->spec.cancel);
  EXPECT_EQ(job->spec.overrides, Json::object());
  EXPECT_FALSE(job->status.phase.has_value());
  // toJson leaves status out while it is empty, so a create sends none.
  EXPECT_FALSE(job->toJson().contains("status"));
}

struct BadJson {
  const char* name;
  Json spec;
  std::vector<std::string> errorParts;
};

// Names the case in gtest output instead of dumping its bytes.
void PrintTo(const BadJson& c, std::ostream* os) { *os << c.name; }

class LaunchJobFromJson : public ::testing::TestWithParam<BadJson> {};

TEST_P(LaunchJobFromJson, NamesTheFieldPath) {
  const auto& c = GetParam();
  auto job = LaunchJob::fromJson({{"apiVersion", "launch.dev/v1alpha1"}, {"kind", "LaunchJob"}, {"spec", c.spec}});
  ASSERT_FALSE(job.ok()) << "accepted " << c.spec.dump();
  EXPECT_EQ(job.error().code, ErrorCode::Invalid);
  for (const auto& part : c.errorParts) {
    EXPECT_NE(job.error().message.find(part), std::string::npos) << job.error().message << "\nlacks: " << part;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, LaunchJobFromJson,
    ::testing::Values(
        BadJson{"UnknownPriority",
                {{"queue", "q"}, {"priority", "urgent"}, {"source", {{"image", "x"}}}},
                {"spec.priority: 'urgent' is not one of critical, high, medium, low"}},
        BadJson{"PriorityNotAString",
                {{"queue", "q"}, {"priority", 1}, {"source", {{"image", "x"}}}},
                {"spec.priority: expected one of critical, high, medium, low, got 1"}},
        BadJson{"TwoSources",
                {{"queue", "q"}, {"source", {{"image", "x"}, {"git", {{"url", "https://g/r"}}}}}},
                {"spec.source: set exactly one of spec.source.image, spec.source.git and spec.source.archive",
                 "(spec.source.image and spec.source.git are set)"}},
        BadJson{"NoSourceKind",
                {{"queue", "q"}, {"source", Json::object()}},
                {"spec.source: set exactly one", "(none is set)"}},
        BadJson{"MissingQueueAndSource", Json::object(), {"spec.queue: required", "spec.source: required"}},
        BadJson{"GitWithoutUrl",
                {{"queue", "q"}, {"source", {{"git", {{"ref", "main"}}}}}},
                {"spec.source.git.url: required"}},
        BadJson{"ArgsNotStrings",
                {{"queue", "q"}, {"source", {{"image", "x"}}}, {"args", {"--n", 3}}},
                {"spec.args[1]: expected a string, got 3"}},
        BadJson{"EnvNotAList",
                {{"queue", "q"}, {"source", {{"image", "x"}}}, {"env", {{"A", "1"}}}},
                {"spec.env: expected a list"}},
        BadJson{"EnvWithoutName",
                {{"queue", "q"}, {"source", {{"image", "x"}}}, {"env", {{{"value", "1"}}}}},
                {"spec.env[0].name: required"}},
        BadJson{"OverridesNotAnObject",
                {{"queue", "q"}, {"source", {{"image", "x"}}}, {"overrides", "x"}},
                {"spec.overrides: expected an object, got 'x'"}},
        BadJson{"CancelNotABool",
                {{"queue", "q"}, {"source", {{"image", "x"}}}, {"cancel", "yes"}},
                {"spec.cancel: expected true or false"}},
        BadJson{"TimeoutTooLarge",
                {{"queue", "q"}, {"source", {{"image", "x"}}}, {"startTimeoutSeconds", 1LL << 40}},
                {"spec.startTimeoutSeconds: 1099511627776 does not fit a 32-bit integer"}},
        BadJson{"TimeoutFraction",
                {{"queue", "q"}, {"source", {{"image", "x"}}}, {"startTimeoutSeconds", 1.5}},
                {"spec.startTimeoutSeconds: expected an integer, got 1.5"}},
        BadJson{"EveryProblemAtOnce",
                {{"queue", 5}, {"priority", "urgent"}, {"source", {{"image", "x"}}}, {"entryPoint", "python"}},
                {"spec.queue: expected a string", "spec.priority:", "spec.entryPoint: expected a list"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(LaunchJob, RefusesAnotherKindAndBadStatus) {
  Json json = fullJobJson();
  json["kind"] = "LaunchQueue";
  json["status"]["phase"] = "Pending";
  json["status"]["startTime"] = "yesterday";
  json["status"]["conditions"][0]["status"] = "Maybe";
  auto job = LaunchJob::fromJson(json);
  ASSERT_FALSE(job.ok());
  const std::string& message = job.error().message;
  EXPECT_NE(message.find("kind: expected LaunchJob, got 'LaunchQueue'"), std::string::npos) << message;
  EXPECT_NE(message.find("status.phase: 'Pending' is not one of Queued, Building, Running, Succeeded, Failed, "
                         "Cancelled"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("status.startTime: 'yesterday' is not an RFC 3339 time"), std::string::npos) << message;
  EXPECT_NE(message.find("status.conditions[0].status: 'Maybe' is not one of True, False, Unknown"), std::string::npos)
      << message;
  EXPECT_FALSE(LaunchJob::fromJson(Json::array()).ok());
  EXPECT_FALSE(LaunchJob::fromJson(Json("job")).ok());
}

struct ValidateCase {
  const char* name;
  LaunchJob job;
  std::string errorPart;  // empty: valid
};

// Names the case in gtest output instead of dumping its bytes.
void PrintTo(const ValidateCase& c, std::ostream* os) { *os << c.name; }

class ValidateLaunchJob : public ::testing::TestWithParam<ValidateCase> {};

TEST_P(ValidateLaunchJob, AcceptsOrNamesTheFieldAndFix) {
  const auto& c = GetParam();
  const Status status = validate(c.job);
  if (c.errorPart.empty()) {
    EXPECT_TRUE(status.ok()) << status.error().message;
    return;
  }
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::Invalid);
  EXPECT_NE(status.error().message.find(c.errorPart), std::string::npos) << status.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ValidateLaunchJob,
    ::testing::Values(
        ValidateCase{"ImageJob", makeLaunchJob("a").obj(), ""},
        ValidateCase{"GitJob", makeLaunchJob("a").git("https://github.com/acme/x.git", "main").obj(), ""},
        ValidateCase{"SshGitJob", makeLaunchJob("a").git("git@github.com:acme/x.git").obj(), ""},
        ValidateCase{"ArchiveJob", makeLaunchJob("a").archive("gs://bucket/ctx.tar.gz").obj(), ""},
        ValidateCase{"QueueNameUpperCase", makeLaunchJob("a").queue("GPU").obj(),
                     "spec.queue: 'GPU' is not a LaunchQueue name"},
        ValidateCase{"QueueEmpty", makeLaunchJob("a").queue("").obj(), "spec.queue: '' is not a LaunchQueue name"},
        ValidateCase{"ImageWithSpace", makeLaunchJob("a").image("bad image").obj(),
                     "spec.source.image: 'bad image' is not an image reference"},
        ValidateCase{"GitFileUrl", makeLaunchJob("a").git("file:///etc").obj(),
                     "spec.source.git.url: 'file:///etc' is not a git URL; use https://"},
        ValidateCase{"ArchiveFtp", makeLaunchJob("a").archive("ftp://x/y.tgz").obj(),
                     "spec.source.archive.url: 'ftp://x/y.tgz' is not a supported URL"},
        ValidateCase{"EnvNameWithDigitFirst", makeLaunchJob("a").env("1A", "x").obj(),
                     "spec.env[0].name: '1A' is not a variable name"},
        ValidateCase{"EnvTwice", makeLaunchJob("a").env("A", "1").env("A", "2").obj(),
                     "spec.env[1].name: 'A' is set twice"},
        ValidateCase{"TemplateValueObject", makeLaunchJob("a").templateValues({{"gpus", {{"n", 1}}}}).obj(),
                     "spec.templateValues.gpus: expected a string or a number"},
        ValidateCase{"TemplateValueBool", makeLaunchJob("a").templateValues({{"flag", true}}).obj(),
                     "spec.templateValues.flag: expected a string or a number, got true"},
        ValidateCase{"StartTimeoutZero", makeLaunchJob("a").startTimeoutSeconds(0).obj(),
                     "spec.startTimeoutSeconds: 0 is below 1"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ValidateLaunchJob, SubdirectoryStaysInsideTheRepository) {
  for (const char* bad : {"/abs", "..", "../up", "a/../../b", "a/.."}) {
    auto job = makeLaunchJob("a").git("https://g/r").obj();
    std::get<GitSource>(job.spec.source).subdirectory = bad;
    const Status status = validate(job);
    ASSERT_FALSE(status.ok()) << bad;
    EXPECT_NE(status.error().message.find("spec.source.git.subdirectory"), std::string::npos) << bad;
  }
  auto job = makeLaunchJob("a").git("https://g/r").obj();
  std::get<GitSource>(job.spec.source).subdirectory = "models/..resnet";
  EXPECT_TRUE(validate(job).ok());
}

TEST(ValidateLaunchJob, ArchiveChecksumIsHex) {
  auto job = makeLaunchJob("a").archive("https://x/ctx.tgz").obj();
  std::get<ArchiveSource>(job.spec.source).sha256 = std::string(64, 'a');
  EXPECT_TRUE(validate(job).ok());
  std::get<ArchiveSource>(job.spec.source).sha256 = std::string(64, 'A');
  EXPECT_FALSE(validate(job).ok());
  std::get<ArchiveSource>(job.spec.source).sha256 = "abc";
  EXPECT_FALSE(validate(job).ok());
}

TEST(ValidateLaunchJobUpdate, QueueIsImmutableAndCancelIsFinal) {
  const auto before = makeLaunchJob("a").queue("gpu").obj();
  EXPECT_TRUE(validateUpdate(before, makeLaunchJob("a").queue("gpu").priority(Priority::Low).obj()).ok());
  const Status moved = validateUpdate(before, makeLaunchJob("a").queue("cpu").obj());
  ASSERT_FALSE(moved.ok());
  EXPECT_NE(moved.error().message.find("spec.queue: is immutable ('gpu' cannot become 'cpu')"), std::string::npos)
      << moved.error().message;
  const auto cancelled = makeLaunchJob("a").queue("gpu").cancel().obj();
  EXPECT_TRUE(validateUpdate(before, cancelled).ok());
  const Status resumed = validateUpdate(cancelled, before);
  ASSERT_FALSE(resumed.ok());
  EXPECT_NE(resumed.error().message.find("spec.cancel: a cancelled LaunchJob cannot be resumed"), std::string::npos);
}

TEST(JobPhase, OnlyTheLastThreePhasesAreFinished) {
  EXPECT_FALSE(isFinished(JobPhase::Queued));
  EXPECT_FALSE(isFinished(JobPhase::Building));
  EXPECT_FALSE(isFinished(JobPhase::Running));
  EXPECT_TRUE(isFinished(JobPhase::Succeeded));
  EXPECT_TRUE(isFinished(JobPhase::Failed));
  EXPECT_TRUE(isFinished(JobPhase::Cancelled));
}

}  // namespace
}  // namespace launch::api
