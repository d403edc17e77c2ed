// FieldReader: reads one JSON value at a named field path and records every problem with that path, so
// fromJson can report all mistakes of an object at once ("spec.priority: 'urgent' is not one of ...").
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "api/EnumNames.hpp"
#include "api/Timestamp.hpp"
#include "util/Result.hpp"

namespace launch::api {

using Json = nlohmann::json;

// "spec" + "priority" -> "spec.priority"; keys that are not identifiers are quoted: labels["app.kubernetes.io/name"].
std::string childPath(std::string_view parent, std::string_view key);
// "spec.env" + 2 -> "spec.env[2]".
std::string indexPath(std::string_view parent, size_t index);
// A short rendering of a value for messages: strings quoted, long values cut.
std::string describeValue(const Json& value);

// The problems found in one object, in the order found.
class Problems {
 public:
  void add(std::string_view path, std::string_view message);
  bool empty() const { return list_.empty(); }
  const std::vector<std::string>& list() const { return list_; }
  // ok when there are none; otherwise an Invalid error whose message joins them with "; ".
  Status status() const;
  // The value when there are no problems, the Invalid error otherwise.
  template <typename T>
  Result<T> result(T value) const {
    if (!empty()) return status().error();
    return value;
  }

 private:
  std::vector<std::string> list_;
};

class FieldReader {
 public:
  // The root of a document; `path` names it in messages (empty for a whole object).
  FieldReader(const Json& value, Problems& problems, std::string path = {});

  const std::string& path() const { return path_; }
  // True when the field exists and is not null (the API treats null as absent).
  bool present() const { return value_ != nullptr && !value_->is_null(); }
  // The raw value (null when absent).
  const Json& json() const;
  void fail(std::string_view message) const;
  // Records "<path>: required; <fix>" when absent; returns whether present.
  bool require(std::string_view fix) const;

  // A member; absent when this field is absent. Records a problem when this field is not an object.
  FieldReader operator[](std::string_view key) const;
  // Elements of an array (none when absent); records a problem when this field is not an array.
  std::vector<FieldReader> items() const;
  // Members of an object, by key (none when absent); records a problem when this field is not an object.
  std::vector<std::pair<std::string, FieldReader>> members() const;

  // Typed reads: absent gives the fallback; a value of the wrong type records a problem and gives the fallback.
  std::string string(std::string fallback = {}) const;
  int64_t integer(int64_t fallback) const;
  std::optional<int64_t> optionalInteger() const;
  // The API's int32 fields: a value outside the 32-bit range is a problem.
  std::optional<int32_t> optionalInt32() const;
  int32_t int32(int32_t fallback) const;
  std::optional<double> optionalNumber() const;
  bool boolean(bool fallback) const;
  std::vector<std::string> strings() const;
  std::map<std::string, std::string> stringMap() const;
  std::optional<Timestamp> timestamp() const;
  // An object (any content); absent gives an empty object.
  Json object() const;

  template <typename E>
  std::optional<E> optionalEnumeration(std::span<const EnumName<E>> names) const {
    if (!present()) return std::nullopt;
    if (!value_->is_string()) {
      fail("expected one of " + enumList(names) + ", got " + describeValue(*value_));
      return std::nullopt;
    }
    const auto& text = value_->get_ref<const std::string&>();
    auto value = enumValue(names, text);
    if (!value) fail("'" + text + "' is not one of " + enumList(names));
    return value;
  }
  template <typename E>
  E enumeration(std::span<const EnumName<E>> names, E fallback) const {
    return optionalEnumeration(names).value_or(fallback);
  }

 private:
  FieldReader(const Json* value, Problems* problems, std::string path)
      : value_(value), problems_(problems), path_(std::move(path)) {}
  bool expectType(bool matches, std::string_view expected) const;

  const Json* value_;
  Problems* problems_;
  std::string path_;
};

}  // namespace launch::api
