// TemplateVariable: JSON mapping and the checks of values against a variable's type and limits.
#include "api/TemplateVariable.hpp"

#include <array>
#include <cmath>

namespace launch::api {
namespace {

constexpr std::array<EnumName<VariableType>, 3> kTypeNames{{
    {VariableType::String, "string"},
    {VariableType::Integer, "integer"},
    {VariableType::Number, "number"},
}};

bool isIntegral(const Json& value) {
  if (value.is_number_integer()) return true;
  if (!value.is_number_float()) return false;
  const double number = value.get<double>();
  return std::isfinite(number) && std::floor(number) == number;
}

bool isVariableName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!letter(name.front())) return false;
  for (const char c : name) {
    if (!letter(c) && !(c >= '0' && c <= '9') && c != '-' && c != '.') return false;
  }
  return true;
}

}  // namespace

std::span<const EnumName<VariableType>> variableTypeNames() { return kTypeNames; }
std::string_view toString(VariableType type) { return enumName(variableTypeNames(), type); }

std::string formatNumber(double number) {
  if (std::isfinite(number) && std::floor(number) == number && std::fabs(number) < 1e15) {
    return std::to_string(static_cast<int64_t>(number));
  }
  return Json(number).dump();
}

TemplateVariable readTemplateVariable(const FieldReader& field) {
  TemplateVariable variable;
  if (field["type"].require("set string, integer or number")) {
    variable.type = field["type"].enumeration(variableTypeNames(), VariableType::String);
  }
  for (const auto& item : field["enum"].items()) variable.enumValues.push_back(item.json());
  variable.minimum = field["minimum"].optionalNumber();
  variable.maximum = field["maximum"].optionalNumber();
  if (field["default"].present()) variable.defaultValue = field["default"].json();
  variable.description = field["description"].string();
  return variable;
}

Json toJson(const TemplateVariable& variable) {
  Json json = {{"type", std::string(toString(variable.type))}};
  if (!variable.enumValues.empty()) json["enum"] = variable.enumValues;
  if (variable.minimum) json["minimum"] = *variable.minimum;
  if (variable.maximum) json["maximum"] = *variable.maximum;
  if (variable.defaultValue) json["default"] = *variable.defaultValue;
  if (!variable.description.empty()) json["description"] = variable.description;
  return json;
}

std::optional<std::string> templateValueProblem(const TemplateVariable& variable, const Json& value) {
  switch (variable.type) {
    case VariableType::String:
      if (!value.is_string()) return "expected a string, got " + describeValue(value);
      break;
    case VariableType::Integer:
      if (!isIntegral(value)) return "expected an integer, got " + describeValue(value);
      break;
    case VariableType::Number:
      if (!value.is_number()) return "expected a number, got " + describeValue(value);
      break;
  }
  if (!variable.enumValues.empty()) {
    bool allowed = false;
    std::string list;
    for (const auto& option : variable.enumValues) {
      allowed = allowed || option == value;
      if (!list.empty()) list += ", ";
      list += describeValue(option);
    }
    if (!allowed) return describeValue(value) + " is not one of " + list;
  }
  if (value.is_number()) {
    const double number = value.get<double>();
    if (variable.minimum && number < *variable.minimum) {
      return describeValue(value) + " is below the minimum " + formatNumber(*variable.minimum);
    }
    if (variable.maximum && number > *variable.maximum) {
      return describeValue(value) + " is above the maximum " + formatNumber(*variable.maximum);
    }
  }
  return std::nullopt;
}

void checkTemplateVariable(std::string_view name, const TemplateVariable& variable, std::string_view path,
                           Problems& problems) {
  if (!isVariableName(name)) {
    problems.add(path,
                 "a template variable name starts with a letter or '_' and holds only letters, digits, '_', '-' and "
                 "'.' (at most 63 characters); rename it");
  }
  if (variable.type == VariableType::String && (variable.minimum || variable.maximum)) {
    problems.add(path, "minimum and maximum apply to integer and number variables only; use enum for strings");
  }
  if (variable.minimum && variable.maximum && *variable.minimum > *variable.maximum) {
    problems.add(path, "minimum " + formatNumber(*variable.minimum) + " is greater than maximum " +
                           formatNumber(*variable.maximum) + "; swap them");
  }
  TemplateVariable limitsOnly = variable;  // an enum value is checked against type and limits, not the enum
  limitsOnly.enumValues.clear();
  for (size_t i = 0; i < variable.enumValues.size(); ++i) {
    if (auto problem = templateValueProblem(limitsOnly, variable.enumValues[i])) {
      problems.add(indexPath(childPath(path, "enum"), i), *problem + "; every enum value must fit the variable");
    }
  }
  if (variable.defaultValue) {
    if (auto problem = templateValueProblem(variable, *variable.defaultValue)) {
      problems.add(childPath(path, "default"), *problem + "; the default must fit the variable");
    }
  }
}

}  // namespace launch::api
