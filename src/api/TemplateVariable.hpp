// TemplateVariable: a named, typed value of a queue config template, with its limits and default.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/EnumNames.hpp"
#include "api/FieldReader.hpp"

namespace launch::api {

enum class VariableType { String, Integer, Number };
std::span<const EnumName<VariableType>> variableTypeNames();
std::string_view toString(VariableType type);

struct TemplateVariable {
  VariableType type = VariableType::String;
  std::vector<Json> enumValues;   // allowed values; empty means any value of the type
  std::optional<double> minimum;  // integer and number variables only
  std::optional<double> maximum;
  std::optional<Json> defaultValue;  // absent: every job must give a value
  std::string description;

  bool operator==(const TemplateVariable&) const = default;
};

TemplateVariable readTemplateVariable(const FieldReader& field);
Json toJson(const TemplateVariable& variable);

// Why `value` does not fit the variable (its type, enum, minimum and maximum), or nullopt when it fits.
// The reason names no field; the caller prefixes the path.
std::optional<std::string> templateValueProblem(const TemplateVariable& variable, const Json& value);

// The variable's own mistakes (a name that is not an identifier, limits on a string, minimum above maximum,
// enum values or a default that do not fit), each recorded under `path`.
void checkTemplateVariable(std::string_view name, const TemplateVariable& variable, std::string_view path,
                           Problems& problems);

// A number as people write it: 8 rather than 8.0.
std::string formatNumber(double number);

}  // namespace launch::api
