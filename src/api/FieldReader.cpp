// FieldReader: typed, path-aware reads of JSON fields that collect problems instead of throwing.
#include "api/FieldReader.hpp"

#include <algorithm>
#include <limits>

namespace launch::api {
namespace {

bool isIdentifier(std::string_view key) {
  if (key.empty()) return false;
  const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!letter(key.front())) return false;
  return std::all_of(key.begin(), key.end(), [&](char c) { return letter(c) || (c >= '0' && c <= '9') || c == '-'; });
}

const Json& nullJson() {
  static const Json null;
  return null;
}

}  // namespace

std::string childPath(std::string_view parent, std::string_view key) {
  std::string path(parent);
  if (isIdentifier(key)) {
    if (!path.empty()) path += '.';
    path += key;
  } else {
    path += "[" + Json(std::string(key)).dump() + "]";
  }
  return path;
}

std::string indexPath(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

std::string describeValue(const Json& value) {
  constexpr size_t kMaxLength = 64;
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (value.is_string()) text = "'" + value.get_ref<const std::string&>() + "'";
  if (text.size() > kMaxLength) text = text.substr(0, kMaxLength) + "...";
  return text;
}

void Problems::add(std::string_view path, std::string_view message) {
  std::string line = path.empty() ? std::string(message) : std::string(path) + ": " + std::string(message);
  if (std::find(list_.begin(), list_.end(), line) == list_.end()) list_.push_back(std::move(line));
}

Status Problems::status() const {
  if (list_.empty()) return {};
  std::string message;
  for (const auto& problem : list_) {
    if (!message.empty()) message += "; ";
    message += problem;
  }
  return makeError(ErrorCode::Invalid, message);
}

FieldReader::FieldReader(const Json& value, Problems& problems, std::string path)
    : value_(&value), problems_(&problems), path_(std::move(path)) {}

const Json& FieldReader::json() const { return value_ != nullptr ? *value_ : nullJson(); }

void FieldReader::fail(std::string_view message) const { problems_->add(path_, message); }

bool FieldReader::require(std::string_view fix) const {
  if (present()) return true;
  fail("required; " + std::string(fix));
  return false;
}

bool FieldReader::expectType(bool matches, std::string_view expected) const {
  if (!matches) fail("expected " + std::string(expected) + ", got " + describeValue(*value_));
  return matches;
}

FieldReader FieldReader::operator[](std::string_view key) const {
  const std::string path = childPath(path_, key);
  if (!present() || !expectType(value_->is_object(), "an object")) return {nullptr, problems_, path};
  const auto found = value_->find(key);
  return {found == value_->end() ? nullptr : &*found, problems_, path};
}

std::vector<FieldReader> FieldReader::items() const {
  std::vector<FieldReader> items;
  if (!present() || !expectType(value_->is_array(), "a list")) return items;
  items.reserve(value_->size());
  for (size_t i = 0; i < value_->size(); ++i)
    items.push_back(FieldReader(&(*value_)[i], problems_, indexPath(path_, i)));
  return items;
}

std::vector<std::pair<std::string, FieldReader>> FieldReader::members() const {
  std::vector<std::pair<std::string, FieldReader>> members;
  if (!present() || !expectType(value_->is_object(), "an object")) return members;
  for (const auto& [key, value] : value_->items()) {
    members.emplace_back(key, FieldReader(&value, problems_, childPath(path_, key)));
  }
  return members;
}

std::string FieldReader::string(std::string fallback) const {
  if (!present() || !expectType(value_->is_string(), "a string")) return fallback;
  return value_->get<std::string>();
}

std::optional<int64_t> FieldReader::optionalInteger() const {
  if (!present()) return std::nullopt;
  if (value_->is_number_integer()) {
    if (value_->is_number_unsigned() && value_->get<uint64_t>() > uint64_t{std::numeric_limits<int64_t>::max()}) {
      fail("the number " + describeValue(*value_) + " is too large");
      return std::nullopt;
    }
    return value_->get<int64_t>();
  }
  // 3.0 is an integer in JSON's number model; 3.5 is not.
  if (value_->is_number_float()) {
    const double number = value_->get<double>();
    if (number == static_cast<double>(static_cast<int64_t>(number)) && number >= -9.0e18 && number <= 9.0e18) {
      return static_cast<int64_t>(number);
    }
  }
  expectType(false, "an integer");
  return std::nullopt;
}

int64_t FieldReader::integer(int64_t fallback) const { return optionalInteger().value_or(fallback); }

std::optional<int32_t> FieldReader::optionalInt32() const {
  const auto value = optionalInteger();
  if (!value) return std::nullopt;
  if (*value < std::numeric_limits<int32_t>::min() || *value > std::numeric_limits<int32_t>::max()) {
    fail(std::to_string(*value) + " does not fit a 32-bit integer");
    return std::nullopt;
  }
  return static_cast<int32_t>(*value);
}

int32_t FieldReader::int32(int32_t fallback) const { return optionalInt32().value_or(fallback); }

std::optional<double> FieldReader::optionalNumber() const {
  if (!present() || !expectType(value_->is_number(), "a number")) return std::nullopt;
  return value_->get<double>();
}

bool FieldReader::boolean(bool fallback) const {
  if (!present() || !expectType(value_->is_boolean(), "true or false")) return fallback;
  return value_->get<bool>();
}

std::vector<std::string> FieldReader::strings() const {
  std::vector<std::string> values;
  for (const auto& item : items()) {
    if (item.present() && item.expectType(item.value_->is_string(), "a string")) values.push_back(item.string());
  }
  return values;
}

std::map<std::string, std::string> FieldReader::stringMap() const {
  std::map<std::string, std::string> values;
  for (const auto& [key, item] : members()) {
    if (item.present() && item.expectType(item.value_->is_string(), "a string")) values[key] = item.string();
  }
  return values;
}

std::optional<Timestamp> FieldReader::timestamp() const {
  if (!present() || !expectType(value_->is_string(), "an RFC 3339 time")) return std::nullopt;
  auto time = parseTimestamp(value_->get_ref<const std::string&>());
  if (!time) fail(describeValue(*value_) + " is not an RFC 3339 time; write it like 2024-05-01T10:00:00Z");
  return time;
}

Json FieldReader::object() const {
  if (!present() || !expectType(value_->is_object(), "an object")) return Json::object();
  return *value_;
}

}  // namespace launch::api
