// YamlToJson: yaml-cpp nodes to nlohmann JSON with core-schema scalar resolution, bounded against deep nesting
// and alias bombs.
#include "api/YamlToJson.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <string>

namespace launch::api {
namespace {

using Json = nlohmann::json;

constexpr int kMaxDepth = 200;
constexpr size_t kMaxNodes = 1'000'000;  // aliases can make a small text expand without limit

bool isOneOf(const std::string& text, std::initializer_list<const char*> options) {
  for (const char* option : options) {
    if (text == option) return true;
  }
  return false;
}

std::optional<Json> parseInteger(const std::string& text) {
  std::string_view digits = text;
  int base = 10;
  bool negative = false;
  if (digits.substr(0, 2) == "0x") {
    base = 16;
    digits.remove_prefix(2);
  } else if (digits.substr(0, 2) == "0o") {
    base = 8;
    digits.remove_prefix(2);
  } else if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return std::nullopt;
  for (const char c : digits) {
    const bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                               : (c >= '0' && c < static_cast<char>('0' + std::min(base, 10)));
    if (!ok) return std::nullopt;
  }
  uint64_t magnitude = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (error == std::errc::result_out_of_range) return Json(std::strtod(text.c_str(), nullptr));
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  if (!negative) {
    if (magnitude <= uint64_t{std::numeric_limits<int64_t>::max()}) return Json(static_cast<int64_t>(magnitude));
    return Json(magnitude);
  }
  if (magnitude <= uint64_t{std::numeric_limits<int64_t>::max()} + 1) {
    return Json(static_cast<int64_t>(0 - magnitude));
  }
  return Json(-static_cast<double>(magnitude));
}

std::optional<Json> parseFloat(const std::string& text) {
  if (isOneOf(text, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})) {
    return Json(std::numeric_limits<double>::infinity());
  }
  if (isOneOf(text, {"-.inf", "-.Inf", "-.INF"})) return Json(-std::numeric_limits<double>::infinity());
  if (isOneOf(text, {".nan", ".NaN", ".NAN"})) return Json(std::numeric_limits<double>::quiet_NaN());
  // [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
  size_t pos = 0;
  const auto digitsFrom = [&](size_t from) {
    size_t at = from;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
    return at - from;
  };
  if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) ++pos;
  const size_t whole = digitsFrom(pos);
  pos += whole;
  size_t fraction = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    fraction = digitsFrom(pos);
    pos += fraction;
  }
  if (whole == 0 && fraction == 0) return std::nullopt;
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) ++pos;
    const size_t exponent = digitsFrom(pos);
    if (exponent == 0) return std::nullopt;
    pos += exponent;
  }
  if (pos != text.size()) return std::nullopt;
  return Json(std::strtod(text.c_str(), nullptr));
}

// A plain (unquoted, untagged) scalar by the core schema.
Json resolvePlain(const std::string& text) {
  if (isOneOf(text, {"", "~", "null", "Null", "NULL"})) return nullptr;
  if (isOneOf(text, {"true", "True", "TRUE"})) return true;
  if (isOneOf(text, {"false", "False", "FALSE"})) return false;
  if (auto integer = parseInteger(text)) return *integer;
  if (auto number = parseFloat(text)) return *number;
  return text;
}

class Converter {
 public:
  Result<Json> convert(const YAML::Node& node, int depth) {
    if (++nodes_ > kMaxNodes) return fail(node, "the document expands to more than 1,000,000 values (aliases?)");
    if (depth > kMaxDepth) return fail(node, "nested deeper than 200 levels");
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return Json(nullptr);
      case YAML::NodeType::Scalar:
        return scalar(node);
      case YAML::NodeType::Sequence: {
        Json array = Json::array();
        for (const auto& item : node) {
          auto value = convert(item, depth + 1);
          if (!value) return value;
          array.push_back(std::move(value).value());
        }
        return array;
      }
      case YAML::NodeType::Map: {
        Json object = Json::object();
        for (const auto& entry : node) {
          if (!entry.first.IsScalar()) return fail(entry.first, "a mapping key must be a scalar");
          auto value = convert(entry.second, depth + 1);
          if (!value) return value;
          object[entry.first.Scalar()] = std::move(value).value();
        }
        return object;
      }
    }
    return Json(nullptr);
  }

 private:
  static Result<Json> scalar(const YAML::Node& node) {
    const std::string& text = node.Scalar();
    const std::string& tag = node.Tag();
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return Json(text);
    if (tag == "tag:yaml.org,2002:null") return Json(nullptr);
    if (tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float") {
      Json value = resolvePlain(text);
      const bool fits = (tag == "tag:yaml.org,2002:bool" && value.is_boolean()) ||
                        (tag == "tag:yaml.org,2002:int" && value.is_number_integer()) ||
                        (tag == "tag:yaml.org,2002:float" && value.is_number());
      if (!fits) return fail(node, "'" + text + "' does not match its tag " + tag);
      if (tag == "tag:yaml.org,2002:float") return Json(value.get<double>());
      return value;
    }
    return resolvePlain(text);
  }

  static Error fail(const YAML::Node& node, const std::string& message) {
    const YAML::Mark mark = node.Mark();
    std::string where;
    if (!mark.is_null()) {
      where = "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1) + ": ";
    }
    return makeError(ErrorCode::Invalid, "YAML " + where + message);
  }

  size_t nodes_ = 0;
};

}  // namespace

Result<std::vector<nlohmann::json>> yamlDocumentsToJson(std::string_view text) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return makeError(ErrorCode::Invalid, "YAML line " + std::to_string(e.mark.line + 1) + ", column " +
                                             std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  std::vector<nlohmann::json> values;
  for (const auto& document : documents) {
    Converter converter;
    auto value = converter.convert(document, 0);
    if (!value) return value.error();
    if (!value->is_null()) values.push_back(std::move(value).value());
  }
  return values;
}

Result<nlohmann::json> yamlToJson(std::string_view text) {
  auto documents = yamlDocumentsToJson(text);
  if (!documents) return documents.error();
  if (documents->size() != 1) {
    return makeError(ErrorCode::Invalid,
                     "expected one YAML document, found " + std::to_string(documents->size()) + "; split the file");
  }
  return std::move(documents->front());
}

}  // namespace launch::api
