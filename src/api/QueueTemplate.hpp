// QueueTemplate: filling a queue config's {{name}} placeholders from a job's template values, then merging the
// job's overrides over the result.
//
// The rule, in order:
//  1. Placeholders are written {{name}} (spaces inside the braces allowed) and are only recognised inside string
//     values of the queue config, never in keys. Text that does not form a placeholder is left alone.
//  2. Each job value is checked against its variable: type (string, integer or number; an integer variable
//     takes 2 or 2.0, not "2"), enum, minimum and maximum. A value for a name the queue does not declare is
//     refused; a declared variable with no job value takes its default, and without a default it is refused.
//  3. A placeholder that is the whole string becomes the typed JSON value ("{{gpus}}" -> 2); inside a longer
//     string it becomes text ("node-{{pool}}" -> "node-a100", numbers as written: 2, 0.5). Substituted text is
//     not scanned again, so a value can never inject a placeholder.
//  4. The job's overrides are then merged over the filled config as a JSON merge patch (RFC 7386): objects merge
//     key by key, anything else (arrays included) replaces, null deletes. Overrides are not templated.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/FieldReader.hpp"
#include "api/TemplateVariable.hpp"
#include "util/Result.hpp"

namespace launch::api {

struct Placeholder {
  std::string path;  // where the string is, e.g. spec.config.spec.template.spec.nodeSelector.pool
  std::string name;
  bool operator==(const Placeholder&) const = default;
};

// Every placeholder in the string values of `config`, in document order; `path` names `config` itself.
std::vector<Placeholder> findPlaceholders(const Json& config, std::string_view path = "spec.config");

// `config` with its placeholders replaced by the job's values (checked) or the variables' defaults. Errors name
// the job's field (spec.templateValues.<name>) or the queue's (spec.config...), and say what to change.
Result<Json> fillTemplate(const Json& config, const std::map<std::string, TemplateVariable>& variables,
                          const Json& jobValues);

// The filled config with `overrides` merged over it (RFC 7386). Overrides must be an object (or null / absent).
Result<Json> applyOverrides(const Json& filled, const Json& overrides);

}  // namespace launch::api
