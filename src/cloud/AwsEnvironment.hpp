// AwsEnvironment: the environment variables the AWS credential sources read, behind an interface so tests
// hand in a map instead of changing the process environment.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>

namespace launch::cloud {

class AwsEnvironment {
 public:
  virtual ~AwsEnvironment() = default;
  // The variable's value; nullopt when unset. An empty value counts as unset, as the AWS SDKs treat it.
  virtual std::optional<std::string> get(const std::string& name) const = 0;
};

// The real process environment.
class AwsProcessEnvironment final : public AwsEnvironment {
 public:
  std::optional<std::string> get(const std::string& name) const override;
};

// A fixed set of variables.
class AwsMapEnvironment final : public AwsEnvironment {
 public:
  AwsMapEnvironment() = default;
  explicit AwsMapEnvironment(std::map<std::string, std::string> variables) : variables_(std::move(variables)) {}
  std::optional<std::string> get(const std::string& name) const override;
  void set(const std::string& name, std::string value) { variables_[name] = std::move(value); }
  void unset(const std::string& name) { variables_.erase(name); }

 private:
  std::map<std::string, std::string> variables_;
};

}  // namespace launch::cloud
