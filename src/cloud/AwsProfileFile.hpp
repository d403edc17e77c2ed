// AwsProfileFile: the shared AWS credentials and config files (~/.aws/credentials, ~/.aws/config), parsed into
// named profiles of key/value pairs.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/Result.hpp"

namespace launch::cloud {

// One profile's settings; keys in lower case ("aws_access_key_id"), values trimmed.
using AwsProfile = std::map<std::string, std::string>;

class AwsProfileFile {
 public:
  // The two files name their sections differently: the credentials file uses [name], the config file
  // [default] and [profile name] (its other sections, such as [sso-session x], hold no profiles).
  enum class Kind { Credentials, Config };

  // Errors name the file and the line number, never the line's text: it may hold a secret.
  static Result<AwsProfileFile> parse(std::string_view text, Kind kind, const std::string& path);
  // NotFound when the file does not exist.
  static Result<AwsProfileFile> load(const std::string& path, Kind kind);

  // nullptr when the file has no such profile.
  const AwsProfile* profile(const std::string& name) const;
  std::vector<std::string> profileNames() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::map<std::string, AwsProfile> profiles_;
};

}  // namespace launch::cloud
