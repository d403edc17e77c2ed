// KanikoContext: how a job's source reaches the Kaniko pod: a git:// context kaniko clones itself, or the
// checked-out directory packed as a tar.gz for the build context store.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "api/LaunchJob.hpp"
#include "util/Result.hpp"

namespace launch::build {

struct KanikoGitContext {
  std::string context;     // git://host/path##<commit>, or git://host/path#refs/...#<commit>
  std::string subPath;     // the source's subdirectory, for --context-sub-path
  bool plainHttp = false;  // served over http://: kaniko needs GIT_PULL_METHOD=http
};

// The git:// context for a git source kaniko can clone (an http or https URL without embedded credentials),
// pinned to the commit the checkout found (identity "git:<commit>"), so the image matches its content tag.
// nullopt for sources kaniko cannot clone (ssh://, git://, host:path), which need an uploaded context.
std::optional<KanikoGitContext> kanikoGitContext(const api::GitSource& git, const std::string& identity);

// The context directory as a tar.gz (makeBuildContext: sorted entries, fixed times, no .git, no symlinks), with
// `dockerfile` written at `dockerfilePath` (over the source's own file, if any). Fails when the files add up to
// more than maxBytes or the Dockerfile path leaves the context.
Result<std::string> archiveBuildContext(const std::filesystem::path& context, const std::string& dockerfilePath,
                                        const std::string& dockerfile, std::size_t maxBytes = std::size_t{1} << 30);

// True when context/dockerfilePath holds exactly `dockerfile` (the source's own Dockerfile, not a generated one).
bool sourceHasDockerfile(const std::filesystem::path& context, const std::string& dockerfilePath,
                         const std::string& dockerfile);

}  // namespace launch::build
