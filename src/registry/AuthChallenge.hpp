// AuthChallenge: the challenges of a WWW-Authenticate header (RFC 7235), e.g. a registry's
// Bearer realm="https://auth.example/token",service="registry",scope="repository:app:pull".
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace launch::registry {

struct AuthChallenge {
  std::string scheme;                             // lower case: "bearer", "basic"
  std::map<std::string, std::string> parameters;  // names in lower case, values unquoted

  // The parameter's value, or "" when absent.
  std::string parameter(const std::string& name) const;

  // Every challenge in one header value; malformed parts are skipped rather than failing the rest.
  static std::vector<AuthChallenge> parse(std::string_view header);
};

}  // namespace launch::registry
