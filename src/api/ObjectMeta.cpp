// ObjectMeta: JSON mapping of the metadata fields the launch.dev controllers use.
#include "api/ObjectMeta.hpp"

#include <algorithm>

#include "api/Group.hpp"

namespace launch::api {

bool ObjectMeta::hasFinalizer(std::string_view finalizer) const {
  return std::find(finalizers.begin(), finalizers.end(), finalizer) != finalizers.end();
}

bool isObjectName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  // Each dot-separated label starts and ends with a letter or digit.
  size_t start = 0;
  while (start <= name.size()) {
    const size_t end = std::min(name.find('.', start), name.size());
    const std::string_view label = name.substr(start, end - start);
    if (label.empty() || !alnum(label.front()) || !alnum(label.back())) return false;
    if (!std::all_of(label.begin(), label.end(), [&](char c) { return alnum(c) || c == '-'; })) return false;
    start = end + 1;
  }
  return true;
}

ObjectMeta readObjectMeta(const FieldReader& field) {
  ObjectMeta meta;
  meta.name = field["name"].string();
  meta.namespace_ = field["namespace"].string();
  meta.uid = field["uid"].string();
  meta.resourceVersion = field["resourceVersion"].string();
  meta.generation = field["generation"].integer(0);
  meta.creationTimestamp = field["creationTimestamp"].timestamp();
  meta.labels = field["labels"].stringMap();
  meta.annotations = field["annotations"].stringMap();
  meta.finalizers = field["finalizers"].strings();
  meta.deletionTimestamp = field["deletionTimestamp"].timestamp();
  return meta;
}

Json toJson(const ObjectMeta& meta) {
  Json json = Json::object();
  if (!meta.name.empty()) json["name"] = meta.name;
  if (!meta.namespace_.empty()) json["namespace"] = meta.namespace_;
  if (!meta.uid.empty()) json["uid"] = meta.uid;
  if (!meta.resourceVersion.empty()) json["resourceVersion"] = meta.resourceVersion;
  if (meta.generation != 0) json["generation"] = meta.generation;
  if (meta.creationTimestamp) json["creationTimestamp"] = formatTimestamp(*meta.creationTimestamp);
  if (!meta.labels.empty()) json["labels"] = meta.labels;
  if (!meta.annotations.empty()) json["annotations"] = meta.annotations;
  if (!meta.finalizers.empty()) json["finalizers"] = meta.finalizers;
  if (meta.deletionTimestamp) json["deletionTimestamp"] = formatTimestamp(*meta.deletionTimestamp);
  return json;
}

bool readEnvelope(const Json& json, const FieldReader& root, Problems& problems, std::string_view kind) {
  if (!json.is_object()) {
    problems.add("", "a " + std::string(kind) + " is a JSON object, got " + describeValue(json));
    return false;
  }
  const auto apiVersion = root["apiVersion"].string();
  if (!apiVersion.empty() && apiVersion != kApiVersion) {
    root["apiVersion"].fail("expected " + std::string(kApiVersion) + ", got '" + apiVersion + "'");
  }
  const auto actualKind = root["kind"].string();
  if (!actualKind.empty() && actualKind != kind) {
    root["kind"].fail("expected " + std::string(kind) + ", got '" + actualKind + "'");
  }
  return true;
}

}  // namespace launch::api
