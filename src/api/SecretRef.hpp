// SecretRef and SecretKeyRef: references to a Secret (or one key of it) in the object's own namespace.
#pragma once

#include <string>

#include "api/FieldReader.hpp"

namespace launch::api {

// A whole Secret whose keys the user follows by convention (e.g. a kubernetes.io/dockerconfigjson Secret).
struct SecretRef {
  std::string name;
  bool operator==(const SecretRef&) const = default;
};

// One key of a Secret.
struct SecretKeyRef {
  std::string name;
  std::string key;
  bool operator==(const SecretKeyRef&) const = default;
};

SecretRef readSecretRef(const FieldReader& field);
Json toJson(const SecretRef& ref);
SecretKeyRef readSecretKeyRef(const FieldReader& field, std::string_view defaultKey);
Json toJson(const SecretKeyRef& ref);

}  // namespace launch::api
