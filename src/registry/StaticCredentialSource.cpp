// StaticCredentialSource: a description that names the user but never the password.
#include "registry/StaticCredentialSource.hpp"

namespace launch::registry {

std::string StaticCredentialSource::describe() const {
  if (credentials_.anonymous()) return "anonymous access";
  if (!credentials_.identityToken.empty()) return "an identity token from " + origin_;
  return "user \"" + credentials_.username + "\" from " + origin_;
}

}  // namespace launch::registry
