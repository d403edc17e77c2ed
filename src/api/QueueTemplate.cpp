// QueueTemplate: placeholder scanning, checked substitution and overrides.
#include "api/QueueTemplate.hpp"

#include <set>

#include "api/MergePatch.hpp"

namespace launch::api {
namespace {

// A piece of a string value: literal text, or a placeholder's variable name.
struct Segment {
  bool placeholder = false;
  std::string text;
};

bool nameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool nameChar(char c) { return nameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

// Splits a string into text and {{name}} placeholders.
std::vector<Segment> split(const std::string& text) {
  std::vector<Segment> segments;
  std::string literal;
  size_t pos = 0;
  while (pos < text.size()) {
    if (text.compare(pos, 2, "{{") == 0) {
      size_t cursor = pos + 2;
      while (cursor < text.size() && text[cursor] == ' ') ++cursor;
      const size_t nameBegin = cursor;
      if (cursor < text.size() && nameStart(text[cursor])) {
        while (cursor < text.size() && nameChar(text[cursor])) ++cursor;
        const size_t nameEnd = cursor;
        while (cursor < text.size() && text[cursor] == ' ') ++cursor;
        if (text.compare(cursor, 2, "}}") == 0) {
          if (!literal.empty()) segments.push_back({false, std::move(literal)});
          literal.clear();
          segments.push_back({true, text.substr(nameBegin, nameEnd - nameBegin)});
          pos = cursor + 2;
          continue;
        }
      }
    }
    literal += text[pos++];
  }
  if (!literal.empty()) segments.push_back({false, std::move(literal)});
  return segments;
}

void collect(const Json& value, const std::string& path, std::vector<Placeholder>& found) {
  if (value.is_string()) {
    for (const auto& segment : split(value.get_ref<const std::string&>())) {
      if (segment.placeholder) found.push_back({path, segment.text});
    }
  } else if (value.is_object()) {
    for (const auto& [key, member] : value.items()) collect(member, childPath(path, key), found);
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) collect(value[i], indexPath(path, i), found);
  }
}

// A value as it appears inside a longer string.
std::string asText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) return formatNumber(value.get<double>());
  return value.dump();
}

// The typed value a whole-string placeholder becomes: integers as JSON integers even when given as 2.0.
Json typed(const TemplateVariable& variable, const Json& value) {
  if (variable.type == VariableType::Integer && value.is_number_float()) {
    return static_cast<int64_t>(value.get<double>());
  }
  return value;
}

class Filler {
 public:
  Filler(const std::map<std::string, Json>& values, Problems& problems) : values_(values), problems_(problems) {}

  Json fill(const Json& value, const std::string& path) {
    if (value.is_object()) {
      Json result = Json::object();
      for (const auto& [key, member] : value.items()) result[key] = fill(member, childPath(path, key));
      return result;
    }
    if (value.is_array()) {
      Json result = Json::array();
      for (size_t i = 0; i < value.size(); ++i) result.push_back(fill(value[i], indexPath(path, i)));
      return result;
    }
    if (!value.is_string()) return value;
    const auto segments = split(value.get_ref<const std::string&>());
    if (segments.size() == 1 && segments[0].placeholder) {
      const Json* found = lookup(segments[0].text, path);
      return found != nullptr ? *found : value;
    }
    std::string text;
    for (const auto& segment : segments) {
      if (!segment.placeholder) {
        text += segment.text;
        continue;
      }
      const Json* found = lookup(segment.text, path);
      text += found != nullptr ? asText(*found) : "{{" + segment.text + "}}";
    }
    return text;
  }

 private:
  const Json* lookup(const std::string& name, const std::string& path) {
    const auto found = values_.find(name);
    if (found != values_.end()) return &found->second;
    problems_.add(path, "the queue config uses {{" + name + "}} but spec.templateVariables does not declare " + name +
                            "; declare it in the LaunchQueue or fix the placeholder");
    return nullptr;
  }

  const std::map<std::string, Json>& values_;
  Problems& problems_;
};

}  // namespace

std::vector<Placeholder> findPlaceholders(const Json& config, std::string_view path) {
  std::vector<Placeholder> found;
  collect(config, std::string(path), found);
  return found;
}

Result<Json> fillTemplate(const Json& config, const std::map<std::string, TemplateVariable>& variables,
                          const Json& jobValues) {
  Problems problems;
  const std::string valuesPath = "spec.templateValues";
  if (!jobValues.is_null() && !jobValues.is_object()) {
    problems.add(valuesPath, "expected an object of variable names to values, got " + describeValue(jobValues));
    return problems.status().error();
  }

  std::string declared;
  for (const auto& [name, variable] : variables) declared += (declared.empty() ? "" : ", ") + name;

  std::map<std::string, Json> resolved;
  if (jobValues.is_object()) {
    for (const auto& [name, value] : jobValues.items()) {
      const std::string path = childPath(valuesPath, name);
      const auto variable = variables.find(name);
      if (variable == variables.end()) {
        problems.add(path, "the queue has no template variable " + name + "; " +
                               (declared.empty() ? "it declares none" : "it declares " + declared) +
                               "; remove the value or fix its name");
        continue;
      }
      if (auto problem = templateValueProblem(variable->second, value)) {
        problems.add(path, *problem + " (the queue's variable " + name + ")");
        continue;
      }
      resolved[name] = typed(variable->second, value);
    }
  }
  for (const auto& [name, variable] : variables) {
    if (jobValues.is_object() && jobValues.contains(name)) continue;
    if (!variable.defaultValue) {
      problems.add(childPath(valuesPath, name), "required: the queue's variable " + name + " has no default; set a " +
                                                    std::string(toString(variable.type)) + " value");
      continue;
    }
    resolved[name] = typed(variable, *variable.defaultValue);
  }

  Filler filler(resolved, problems);
  Json filled = filler.fill(config, "spec.config");
  return problems.result(std::move(filled));
}

Result<Json> applyOverrides(const Json& filled, const Json& overrides) {
  if (overrides.is_null()) return filled;
  if (!overrides.is_object()) {
    return makeError(ErrorCode::Invalid, "spec.overrides: expected an object to merge over the queue config, got " +
                                             describeValue(overrides));
  }
  return applyMergePatch(filled, overrides);
}

}  // namespace launch::api
