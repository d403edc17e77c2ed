// GoogleEnvironment: environment variables behind an interface, so tests leave the process's alone.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>

namespace launch::cloud {

class GoogleEnvironment {
 public:
  virtual ~GoogleEnvironment() = default;
  // The variable's value; nullopt when it is unset. An empty value counts as unset.
  virtual std::optional<std::string> get(const std::string& name) const = 0;
};

// The process's own environment.
class GoogleProcessEnvironment final : public GoogleEnvironment {
 public:
  std::optional<std::string> get(const std::string& name) const override;
};

// A fixed set of variables, for tests and for callers that take credentials settings from elsewhere.
class GoogleMapEnvironment final : public GoogleEnvironment {
 public:
  GoogleMapEnvironment() = default;
  explicit GoogleMapEnvironment(std::map<std::string, std::string> variables) : variables_(std::move(variables)) {}
  void set(const std::string& name, std::string value) { variables_[name] = std::move(value); }
  std::optional<std::string> get(const std::string& name) const override;

 private:
  std::map<std::string, std::string> variables_;
};

}  // namespace launch::cloud
