// SecretRef and SecretKeyRef: JSON mapping.
#include "api/SecretRef.hpp"

namespace launch::api {

SecretRef readSecretRef(const FieldReader& field) {
  SecretRef ref;
  if (field["name"].require("set the name of a Secret in this namespace")) ref.name = field["name"].string();
  return ref;
}

Json toJson(const SecretRef& ref) { return {{"name", ref.name}}; }

SecretKeyRef readSecretKeyRef(const FieldReader& field, std::string_view defaultKey) {
  SecretKeyRef ref;
  if (field["name"].require("set the name of a Secret in this namespace")) ref.name = field["name"].string();
  ref.key = field["key"].string(std::string(defaultKey));
  return ref;
}

Json toJson(const SecretKeyRef& ref) { return {{"name", ref.name}, {"key", ref.key}}; }

}  // namespace launch::api
