// ObjectMeta: the metadata fields of an API object that a controller reads and writes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/FieldReader.hpp"
#include "api/Timestamp.hpp"

namespace launch::api {

struct ObjectMeta {
  std::string name;
  std::string namespace_;
  std::string uid;
  std::string resourceVersion;  // opaque: compare for equality only
  int64_t generation = 0;
  std::optional<Timestamp> creationTimestamp;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> finalizers;
  std::optional<Timestamp> deletionTimestamp;

  bool hasFinalizer(std::string_view finalizer) const;
  bool operator==(const ObjectMeta&) const = default;
};

// A DNS-1123 subdomain (lower-case letters, digits, '-' and '.', at most 253 characters): the rule for the names
// of most Kubernetes objects, LaunchQueues included.
bool isObjectName(std::string_view name);

ObjectMeta readObjectMeta(const FieldReader& field);
// The envelope of a launch.dev object: false (with the problem added) when `json` is not an object; otherwise
// checks apiVersion and kind when they are set (a problem for each that is wrong) and returns true.
bool readEnvelope(const Json& json, const FieldReader& root, Problems& problems, std::string_view kind);
// Only the fields that are set, so the JSON can be sent in a create or a patch.
Json toJson(const ObjectMeta& meta);

}  // namespace launch::api
