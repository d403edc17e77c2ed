// LaunchJob: JSON mapping and validation.
#include "api/LaunchJob.hpp"

#include <array>
#include <set>

#include "api/Group.hpp"

namespace launch::api {
namespace {

constexpr std::array<EnumName<JobPhase>, 6> kPhaseNames{{
    {JobPhase::Queued, "Queued"},
    {JobPhase::Building, "Building"},
    {JobPhase::Running, "Running"},
    {JobPhase::Succeeded, "Succeeded"},
    {JobPhase::Failed, "Failed"},
    {JobPhase::Cancelled, "Cancelled"},
}};

JobSource readSource(const FieldReader& field) {
  const FieldReader image = field["image"];
  const FieldReader git = field["git"];
  const FieldReader archive = field["archive"];
  std::string found;
  for (const auto* reader : {&image, &git, &archive}) {
    if (reader->present()) found += std::string(found.empty() ? "" : " and ") + reader->path();
  }
  const int count =
      static_cast<int>(image.present()) + static_cast<int>(git.present()) + static_cast<int>(archive.present());
  if (count != 1) {
    field.fail("set exactly one of spec.source.image, spec.source.git and spec.source.archive" +
               (count == 0 ? std::string(" (none is set)") : " (" + found + " are set)"));
  }
  if (git.present()) {
    GitSource source;
    if (git["url"].require("set the repository URL, e.g. https://github.com/acme/train.git")) {
      source.url = git["url"].string();
    }
    source.ref = git["ref"].string();
    source.subdirectory = git["subdirectory"].string();
    source.dockerfile = git["dockerfile"].string();
    if (git["credentialsSecretRef"].present()) source.credentialsSecretRef = readSecretRef(git["credentialsSecretRef"]);
    return source;
  }
  if (archive.present()) {
    ArchiveSource source;
    if (archive["url"].require("set the archive URL (https://, http://, s3:// or gs://)")) {
      source.url = archive["url"].string();
    }
    source.sha256 = archive["sha256"].string();
    return source;
  }
  return ImageSource{image.string()};
}

Json toJson(const JobSource& source) {
  if (const auto* image = std::get_if<ImageSource>(&source)) return {{"image", image->image}};
  if (const auto* git = std::get_if<GitSource>(&source)) {
    Json json = {{"url", git->url}};
    if (!git->ref.empty()) json["ref"] = git->ref;
    if (!git->subdirectory.empty()) json["subdirectory"] = git->subdirectory;
    if (!git->dockerfile.empty()) json["dockerfile"] = git->dockerfile;
    if (git->credentialsSecretRef) json["credentialsSecretRef"] = toJson(*git->credentialsSecretRef);
    return {{"git", json}};
  }
  const auto& archive = std::get<ArchiveSource>(source);
  Json json = {{"url", archive.url}};
  if (!archive.sha256.empty()) json["sha256"] = archive.sha256;
  return {{"archive", json}};
}

bool startsWithAny(std::string_view text, std::initializer_list<std::string_view> prefixes) {
  for (auto prefix : prefixes) {
    if (text.substr(0, prefix.size()) == prefix && text.size() > prefix.size()) return true;
  }
  return false;
}

bool hasSpace(std::string_view text) { return text.find_first_of(" \t\r\n") != std::string_view::npos; }

bool isEnvName(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!letter(name.front())) return false;
  for (const char c : name) {
    if (!letter(c) && !(c >= '0' && c <= '9') && c != '.' && c != '-') return false;
  }
  return true;
}

void validateSource(const JobSource& source, Problems& problems) {
  if (const auto* image = std::get_if<ImageSource>(&source)) {
    if (image->image.empty() || hasSpace(image->image)) {
      problems.add("spec.source.image",
                   "'" + image->image + "' is not an image reference; write it like ghcr.io/acme/train:1.4");
    }
    return;
  }
  if (const auto* git = std::get_if<GitSource>(&source)) {
    if (!startsWithAny(git->url, {"https://", "http://", "ssh://", "git@"}) || hasSpace(git->url)) {
      problems.add("spec.source.git.url",
                   "'" + git->url + "' is not a git URL; use https://, http://, ssh:// or git@host:path");
    }
    const std::string& dir = git->subdirectory;
    if (!dir.empty() &&
        (dir.front() == '/' || dir == ".." || dir.rfind("../", 0) == 0 || dir.find("/../") != std::string::npos ||
         (dir.size() >= 3 && dir.compare(dir.size() - 3, 3, "/..") == 0))) {
      problems.add("spec.source.git.subdirectory", "'" + dir +
                                                       "' is not a relative path inside the repository; drop "
                                                       "the leading '/' and any '..'");
    }
    return;
  }
  const auto& archive = std::get<ArchiveSource>(source);
  if (!startsWithAny(archive.url, {"https://", "http://", "s3://", "gs://"}) || hasSpace(archive.url)) {
    problems.add("spec.source.archive.url",
                 "'" + archive.url + "' is not a supported URL; use https://, http://, s3:// or gs://");
  }
  const bool hex = archive.sha256.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!archive.sha256.empty() && (archive.sha256.size() != 64 || !hex)) {
    problems.add("spec.source.archive.sha256",
                 "not 64 lower-case hex digits; give the archive's SHA-256 or leave it out");
  }
}

}  // namespace

std::span<const EnumName<JobPhase>> jobPhaseNames() { return kPhaseNames; }
std::string_view toString(JobPhase phase) { return enumName(jobPhaseNames(), phase); }
bool isFinished(JobPhase phase) {
  return phase == JobPhase::Succeeded || phase == JobPhase::Failed || phase == JobPhase::Cancelled;
}

LaunchJobSpec readLaunchJobSpec(const FieldReader& field) {
  LaunchJobSpec spec;
  if (field["queue"].require("name the LaunchQueue to run on")) spec.queue = field["queue"].string();
  spec.priority = field["priority"].enumeration(priorityNames(), Priority::Medium);
  if (field["source"].require("set one of image, git and archive")) spec.source = readSource(field["source"]);
  spec.entryPoint = field["entryPoint"].strings();
  spec.args = field["args"].strings();
  for (const auto& item : field["env"].items()) {
    EnvVar var;
    if (item["name"].require("name the variable")) var.name = item["name"].string();
    var.value = item["value"].string();
    spec.env.push_back(std::move(var));
  }
  spec.templateValues = field["templateValues"].object();
  spec.overrides = field["overrides"].object();
  spec.cancel = field["cancel"].boolean(false);
  spec.startTimeoutSeconds = field["startTimeoutSeconds"].optionalInt32();
  return spec;
}

Json toJson(const LaunchJobSpec& spec) {
  Json json = {{"queue", spec.queue},
               {"priority", std::string(toString(spec.priority))},
               {"source", toJson(spec.source)},
               {"cancel", spec.cancel}};
  if (!spec.entryPoint.empty()) json["entryPoint"] = spec.entryPoint;
  if (!spec.args.empty()) json["args"] = spec.args;
  if (!spec.env.empty()) {
    Json env = Json::array();
    for (const auto& var : spec.env) env.push_back({{"name", var.name}, {"value", var.value}});
    json["env"] = std::move(env);
  }
  if (!spec.templateValues.empty()) json["templateValues"] = spec.templateValues;
  if (!spec.overrides.empty()) json["overrides"] = spec.overrides;
  if (spec.startTimeoutSeconds) json["startTimeoutSeconds"] = *spec.startTimeoutSeconds;
  return json;
}

Json toJson(const LaunchJobStatus& status) {
  Json json = Json::object();
  if (status.phase) json["phase"] = std::string(toString(*status.phase));
  if (!status.agent.empty()) json["agent"] = status.agent;
  if (!status.image.empty()) json["image"] = status.image;
  if (!status.backendRef.empty()) json["backendRef"] = status.backendRef;
  if (status.startTime) json["startTime"] = formatTimestamp(*status.startTime);
  if (status.completionTime) json["completionTime"] = formatTimestamp(*status.completionTime);
  if (!status.conditions.empty()) json["conditions"] = toJson(status.conditions);
  if (!status.message.empty()) json["message"] = status.message;
  if (status.observedGeneration != 0) json["observedGeneration"] = status.observedGeneration;
  return json;
}

Result<LaunchJob> LaunchJob::fromJson(const Json& json) {
  Problems problems;
  const FieldReader root(json, problems);
  if (!readEnvelope(json, root, problems, kKind)) return problems.status().error();

  LaunchJob job;
  job.metadata = readObjectMeta(root["metadata"]);
  if (root["spec"].require("a LaunchJob needs spec.queue and spec.source")) job.spec = readLaunchJobSpec(root["spec"]);
  const FieldReader status = root["status"];
  job.status.phase = status["phase"].optionalEnumeration(jobPhaseNames());
  job.status.agent = status["agent"].string();
  job.status.image = status["image"].string();
  job.status.backendRef = status["backendRef"].string();
  job.status.startTime = status["startTime"].timestamp();
  job.status.completionTime = status["completionTime"].timestamp();
  job.status.conditions = readConditions(status["conditions"]);
  job.status.message = status["message"].string();
  job.status.observedGeneration = status["observedGeneration"].integer(0);
  return problems.result(std::move(job));
}

Json LaunchJob::toJson() const {
  Json json = {{"apiVersion", std::string(kApiVersion)},
               {"kind", std::string(kKind)},
               {"metadata", api::toJson(metadata)},
               {"spec", api::toJson(spec)}};
  if (status != LaunchJobStatus{}) json["status"] = api::toJson(status);
  return json;
}

Status validate(const LaunchJob& job) {
  Problems problems;
  const LaunchJobSpec& spec = job.spec;
  if (!isObjectName(spec.queue)) {
    problems.add("spec.queue", "'" + spec.queue +
                                   "' is not a LaunchQueue name (lower-case letters, digits, '-' and '.'); name a "
                                   "LaunchQueue in this namespace");
  }
  validateSource(spec.source, problems);
  std::set<std::string> names;
  for (size_t i = 0; i < spec.env.size(); ++i) {
    const std::string path = indexPath("spec.env", i);
    const std::string& name = spec.env[i].name;
    if (!isEnvName(name)) {
      problems.add(path + ".name", "'" + name +
                                       "' is not a variable name; use letters, digits, '_', '.' and '-', not "
                                       "starting with a digit");
    }
    if (!names.insert(name).second) problems.add(path + ".name", "'" + name + "' is set twice; keep one");
  }
  if (spec.templateValues.size() > 64) problems.add("spec.templateValues", "at most 64 values");
  for (const auto& [name, value] : spec.templateValues.items()) {
    if (!value.is_string() && !value.is_number()) {
      problems.add(childPath("spec.templateValues", name),
                   "expected a string or a number, got " + describeValue(value) + "; template values are scalars");
    }
  }
  if (spec.startTimeoutSeconds && *spec.startTimeoutSeconds < 1) {
    problems.add("spec.startTimeoutSeconds",
                 std::to_string(*spec.startTimeoutSeconds) + " is below 1; give seconds, or leave it out");
  }
  return problems.status();
}

Status validateUpdate(const LaunchJob& before, const LaunchJob& after) {
  Problems problems;
  if (before.spec.queue != after.spec.queue) {
    problems.add("spec.queue", "is immutable ('" + before.spec.queue + "' cannot become '" + after.spec.queue +
                                   "'); create a new LaunchJob to run on another queue");
  }
  if (before.spec.cancel && !after.spec.cancel) {
    problems.add("spec.cancel", "a cancelled LaunchJob cannot be resumed; create a new one");
  }
  return problems.status();
}

Json ownerReferencesTo(const LaunchJob& job) {
  return Json::array({{{"apiVersion", std::string(kApiVersion)},
                       {"kind", std::string(LaunchJob::kKind)},
                       {"name", job.metadata.name},
                       {"uid", job.metadata.uid},
                       {"controller", true},
                       {"blockOwnerDeletion", true}}});
}

}  // namespace launch::api
