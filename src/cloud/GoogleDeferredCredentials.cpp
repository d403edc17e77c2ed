// GoogleDeferredCredentials: finds Application Default Credentials on first use, then asks that source.
#include "cloud/GoogleDeferredCredentials.hpp"

#include "cloud/GoogleDefaultCredentials.hpp"

namespace launch::cloud {

GoogleDeferredCredentials::GoogleDeferredCredentials(http::HttpClient& http, const Clock& clock)
    : http_(http), clock_(clock) {}

Result<AccessToken> GoogleDeferredCredentials::token() {
  GoogleTokenSource* source = nullptr;
  {
    const std::lock_guard lock(mutex_);
    if (!source_) {
      auto found = GoogleDefaultCredentials::find(environment_, http_, clock_);
      if (!found) return found.error();
      source_ = std::move(found).value();
    }
    source = source_.get();
  }
  return source->token();  // the source lives as long as this object and is never replaced once found
}

std::string GoogleDeferredCredentials::describe() const {
  const std::lock_guard lock(mutex_);
  return source_ ? source_->describe() : "Google Application Default Credentials (not looked up yet)";
}

}  // namespace launch::cloud
