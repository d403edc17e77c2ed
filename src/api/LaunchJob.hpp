// LaunchJob: one item on a LaunchQueue, from an image, a git repository or an archive (launch.dev/v1alpha1).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "api/Condition.hpp"
#include "api/EnumNames.hpp"
#include "api/ObjectMeta.hpp"
#include "api/Priority.hpp"
#include "api/SecretRef.hpp"
#include "util/Result.hpp"

namespace launch::api {

enum class JobPhase { Queued, Building, Running, Succeeded, Failed, Cancelled };
std::span<const EnumName<JobPhase>> jobPhaseNames();
std::string_view toString(JobPhase phase);
// Succeeded, Failed and Cancelled: nothing more happens to the job.
bool isFinished(JobPhase phase);

// An image that runs as is, without a build.
struct ImageSource {
  std::string image;
  bool operator==(const ImageSource&) const = default;
};

struct GitSource {
  std::string url;           // https://, http://, ssh://, git:// or git@host:path
  std::string ref;           // branch, tag or commit; empty: the default branch
  std::string subdirectory;  // the build context inside the repository; empty: its root
  std::string dockerfile;    // relative to the context; empty: the context's Dockerfile, or a generated one
  std::optional<SecretRef> credentialsSecretRef;
  bool operator==(const GitSource&) const = default;
};

// A tar.gz of the build context.
struct ArchiveSource {
  std::string url;     // https://, http://, s3:// or gs://
  std::string sha256;  // hex; empty: not checked
  bool operator==(const ArchiveSource&) const = default;
};

// Exactly one source, as the CRD requires.
using JobSource = std::variant<ImageSource, GitSource, ArchiveSource>;

struct EnvVar {
  std::string name;
  std::string value;
  bool operator==(const EnvVar&) const = default;
};

struct LaunchJobSpec {
  std::string queue;  // a LaunchQueue in the job's namespace; immutable
  Priority priority = Priority::Medium;
  JobSource source;
  std::vector<std::string> entryPoint;  // empty: the image's entry point
  std::vector<std::string> args;        // empty: the image's arguments
  std::vector<EnvVar> env;
  Json templateValues = Json::object();  // variable name -> string or number
  Json overrides = Json::object();       // merged over the filled queue config (RFC 7386)
  bool cancel = false;
  std::optional<int32_t> startTimeoutSeconds;

  bool operator==(const LaunchJobSpec&) const = default;
};

struct LaunchJobStatus {
  std::optional<JobPhase> phase;  // absent until the operator first sees the job
  std::string agent;
  std::string image;
  std::string backendRef;
  std::optional<Timestamp> startTime;
  std::optional<Timestamp> completionTime;
  std::vector<Condition> conditions;
  std::string message;
  int64_t observedGeneration = 0;

  bool operator==(const LaunchJobStatus&) const = default;
};

struct LaunchJob {
  static constexpr std::string_view kKind = "LaunchJob";
  static constexpr std::string_view kPlural = "launchjobs";

  ObjectMeta metadata;
  LaunchJobSpec spec;
  LaunchJobStatus status;

  // Types, enums, required fields and exactly one source, with every problem named by its field path
  // ("spec.priority: 'urgent' is not one of critical, high, medium, low"); unknown fields are ignored.
  static Result<LaunchJob> fromJson(const Json& json);
  Json toJson() const;
  bool operator==(const LaunchJob&) const = default;
};

LaunchJobSpec readLaunchJobSpec(const FieldReader& field);
Json toJson(const LaunchJobSpec& spec);
Json toJson(const LaunchJobStatus& status);

// Everything the CRD enforces (limits, patterns, CEL rules) plus: env names unique, template values are strings
// or numbers. Checks against the queue (template values, overrides) are resolveJobConfig's. Errors name the
// field and the fix.
Status validate(const LaunchJob& job);

// The ownerReferences of an object made for this LaunchJob (a Job, a Secret): it is their controller, and
// garbage collection removes them with it.
Json ownerReferencesTo(const LaunchJob& job);
// The rules for a change of an existing job: spec.queue is immutable and a cancel cannot be undone.
Status validateUpdate(const LaunchJob& before, const LaunchJob& after);

}  // namespace launch::api
