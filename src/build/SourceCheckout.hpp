// SourceCheckout: fetches a job's git or archive source into a directory and names its identity (the
// commit, or the archive's sha256), which content-addressed image tags are built from.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "api/LaunchJob.hpp"
#include "build/ArchiveFetcher.hpp"
#include "http/HttpClient.hpp"
#include "util/Result.hpp"

namespace launch::build {

struct GitCredentials {
  std::string username;  // "x-access-token" or any non-empty name for token-only hosts
  std::string password;  // password or token
};

struct CheckedOutSource {
  std::filesystem::path root;     // the checkout
  std::filesystem::path context;  // root/subdirectory: where the job's files are
  std::string identity;           // "git:<commit>" or "sha256:<archive digest>"
};

class SourceCheckout {
 public:
  // http(s) archives are downloaded with `http`; s3:// and gs:// ones with the fetcher for their scheme in
  // `fetchers` (makeArchiveFetchers), which is refused, naming what to configure, when it is null.
  explicit SourceCheckout(http::HttpClient& http, ArchiveFetchers fetchers = {})
      : http_(http), fetchers_(std::move(fetchers)) {}

  // Fetches into `dir` (made empty first). Git runs with prompts off and its credentials passed through
  // the environment, never the command line; archives are checked against their sha256 when one is given
  // and must not write outside `dir`.
  Result<CheckedOutSource> fetch(const api::JobSource& source, const std::filesystem::path& dir,
                                 const std::optional<GitCredentials>& credentials = std::nullopt);

 private:
  Result<CheckedOutSource> fetchGit(const api::GitSource& git, const std::filesystem::path& dir,
                                    const std::optional<GitCredentials>& credentials);
  Result<CheckedOutSource> fetchArchive(const api::ArchiveSource& archive, const std::filesystem::path& dir);
  Result<std::string> download(const std::string& url);

  http::HttpClient& http_;
  ArchiveFetchers fetchers_;
};

// True when git's error output says the failure will not go away by itself: the repository is not there or
// the credentials are refused (not a network failure).
bool gitFailureIsPermanent(std::string_view stderrText);

// True when a relative path stays inside its root ("a/b", not "../x", "/etc" or "a/../../x").
bool staysInside(const std::string& relative);

}  // namespace launch::build
