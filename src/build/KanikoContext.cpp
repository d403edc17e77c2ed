// KanikoContext: git:// contexts from git sources, and tar.gz contexts from checked-out directories.
#include "build/KanikoContext.hpp"

#include <algorithm>
#include <cctype>

#include "build/BuildContext.hpp"
#include "build/SourceCheckout.hpp"
#include "util/Files.hpp"
#include "util/TarArchive.hpp"

namespace launch::build {
namespace {

bool isCommit(std::string_view text) {
  if (text.size() != 40 && text.size() != 64) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

std::optional<KanikoGitContext> kanikoGitContext(const api::GitSource& git, const std::string& identity) {
  KanikoGitContext out;
  std::string_view url = git.url;
  if (url.starts_with("https://")) {
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
    out.plainHttp = true;
  } else {
    return std::nullopt;
  }
  const std::size_t slash = url.find('/');
  const std::string_view authority = url.substr(0, slash);
  // Credentials in the URL would end up in the Job's spec; '#' would end kaniko's repository part.
  if (authority.empty() || authority.find('@') != std::string_view::npos || url.find('#') != std::string_view::npos ||
      url.find('?') != std::string_view::npos) {
    return std::nullopt;
  }
  constexpr std::string_view kGit = "git:";
  const std::string commit = identity.starts_with(kGit) ? identity.substr(kGit.size()) : std::string();
  if (!isCommit(commit)) return std::nullopt;
  // "##<commit>": kaniko clones every branch, then checks the commit out. A ref outside refs/heads and
  // refs/tags (refs/pull/1/head) is fetched by name first.
  out.context = "git://" + std::string(url);
  if (git.ref.starts_with("refs/") && !git.ref.starts_with("refs/heads/") && !git.ref.starts_with("refs/tags/")) {
    out.context += "#" + git.ref + "#" + commit;
  } else {
    out.context += "##" + commit;
  }
  out.subPath = git.subdirectory;
  while (!out.subPath.empty() && out.subPath.back() == '/') out.subPath.pop_back();
  return out;
}

Result<std::string> archiveBuildContext(const std::filesystem::path& context, const std::string& dockerfilePath,
                                        const std::string& dockerfile, std::size_t maxBytes) {
  namespace fs = std::filesystem;
  const std::string dockerfileEntry = fs::path(dockerfilePath).lexically_normal().generic_string();
  if (dockerfileEntry.empty() || dockerfileEntry == "." || !staysInside(dockerfileEntry)) {
    return makeError(ErrorCode::Invalid, "the Dockerfile path '" + dockerfilePath + "' is not inside the context");
  }
  // The same tree the Docker builder sends, so both builders build the same thing from one source.
  return makeBuildContext(context, {TarEntry{dockerfileEntry, dockerfile, 0644}},
                          BuildContextOptions{maxBytes, TarCompression::Gzip});
}

bool sourceHasDockerfile(const std::filesystem::path& context, const std::string& dockerfilePath,
                         const std::string& dockerfile) {
  auto content = readFile((context / dockerfilePath).string());
  return content.ok() && *content == dockerfile;
}

}  // namespace launch::build
