// SourceCheckout: git through the git CLI (shallow fetch of the ref), archives over http(s) or through the
// s3:// and gs:// fetchers, unpacked with libarchive.
#include "build/SourceCheckout.hpp"

#include <array>
#include <fstream>
#include <map>
#include <vector>

#include "http/Url.hpp"
#include "util/Base64.hpp"
#include "util/Crypto.hpp"
#include "util/Subprocess.hpp"
#include "util/TarArchive.hpp"

namespace launch::build {
namespace {

namespace fs = std::filesystem;

}  // namespace

bool gitFailureIsPermanent(std::string_view stderrText) {
  static constexpr std::array<std::string_view, 8> kPermanent{"not found",
                                                              "does not exist",
                                                              "not exported",
                                                              "access denied",
                                                              "Authentication failed",
                                                              "could not read Username",
                                                              "does not appear to be a git repository",
                                                              "Permission denied"};
  for (const auto marker : kPermanent) {
    if (stderrText.find(marker) != std::string_view::npos) return true;
  }
  return false;
}

namespace {

Result<std::string> git(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                        const std::string& what) {
  std::vector<std::string> argv{"git"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto run = runProcess(argv, env, std::chrono::minutes(10));
  if (!run) return makeError(run.error().code, what + ": " + run.error().message);
  if (run->exitCode != 0) {
    std::string detail = run->stderrText.substr(0, 500);
    while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
    // A repository that is not there, or not for these credentials, stays so: fail rather than retry.
    if (gitFailureIsPermanent(detail)) {
      return makeError(ErrorCode::Invalid, what + " failed: " + detail +
                                               "; check spec.source.git.url (and credentialsSecretRef for a private "
                                               "repository)");
    }
    return makeError(ErrorCode::Unavailable, what + " failed: " + detail);
  }
  return run->stdoutText;
}

Status resetDirectory(const fs::path& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) return makeError(ErrorCode::Unavailable, "cannot create " + dir.string() + ": " + ec.message());
  return {};
}

}  // namespace

bool staysInside(const std::string& relative) {
  if (relative.empty() || relative.front() == '/') return relative.empty();
  int depth = 0;
  for (const auto& part : fs::path(relative)) {
    const std::string p = part.string();
    if (p == "..") {
      if (--depth < 0) return false;
    } else if (p != "." && !p.empty()) {
      ++depth;
    }
  }
  return true;
}

Result<CheckedOutSource> SourceCheckout::fetch(const api::JobSource& source, const fs::path& dir,
                                               const std::optional<GitCredentials>& credentials) {
  if (const auto* g = std::get_if<api::GitSource>(&source)) return fetchGit(*g, dir, credentials);
  if (const auto* a = std::get_if<api::ArchiveSource>(&source)) return fetchArchive(*a, dir);
  return makeError(ErrorCode::Invalid, "spec.source.image: an image job has no source to fetch");
}

Result<CheckedOutSource> SourceCheckout::fetchGit(const api::GitSource& source, const fs::path& dir,
                                                  const std::optional<GitCredentials>& credentials) {
  if (!staysInside(source.subdirectory)) {
    return makeError(ErrorCode::Invalid, "spec.source.git.subdirectory: '" + source.subdirectory +
                                             "' leaves the repository; give a path inside it");
  }
  if (Status reset = resetDirectory(dir); !reset.ok()) return reset.error();
  std::map<std::string, std::string> env{{"GIT_TERMINAL_PROMPT", "0"}, {"GIT_ASKPASS", "true"}};
  if (credentials) {
    // An extra header set through the environment (git 2.31+), so the secret is not in the process list.
    env["GIT_CONFIG_COUNT"] = "1";
    env["GIT_CONFIG_KEY_0"] = "http.extraHeader";
    env["GIT_CONFIG_VALUE_0"] =
        "Authorization: Basic " + base64Encode(credentials->username + ":" + credentials->password);
  }
  const std::string d = dir.string();
  const std::string where =
      "git fetch of " + http::redactedForMessages(source.url) + (source.ref.empty() ? "" : " at " + source.ref);
  if (auto init = git({"init", "-q", d}, env, "git init"); !init) return init.error();
  if (auto remote = git({"-C", d, "remote", "add", "origin", source.url}, env, "git remote"); !remote) {
    return remote.error();
  }
  const std::string ref = source.ref.empty() ? "HEAD" : source.ref;
  auto shallow = git({"-C", d, "fetch", "-q", "--depth", "1", "origin", ref}, env, where);
  if (!shallow) {
    // A commit the server will not serve by itself: fetch everything and look for it.
    auto full = git({"-C", d, "fetch", "-q", "origin"}, env, where);
    if (!full) return full.error();
    auto resolved = git({"-C", d, "rev-parse", "--verify", "-q", ref + "^{commit}"}, env, where);
    if (!resolved) {
      return makeError(ErrorCode::Invalid, "spec.source.git.ref: '" + ref + "' is not a branch, tag or commit of " +
                                               http::redactedForMessages(source.url));
    }
    if (auto co = git({"-C", d, "checkout", "-q", ref}, env, "git checkout"); !co) return co.error();
  } else if (auto co = git({"-C", d, "checkout", "-q", "FETCH_HEAD"}, env, "git checkout"); !co) {
    return co.error();
  }
  auto commit = git({"-C", d, "rev-parse", "HEAD"}, env, "git rev-parse");
  if (!commit) return commit.error();
  std::string sha = *commit;
  while (!sha.empty() && (sha.back() == '\n' || sha.back() == '\r')) sha.pop_back();
  CheckedOutSource out{dir, source.subdirectory.empty() ? dir : dir / source.subdirectory, "git:" + sha};
  if (!fs::is_directory(out.context)) {
    return makeError(ErrorCode::Invalid, "spec.source.git.subdirectory: '" + source.subdirectory +
                                             "' is not a directory of " + http::redactedForMessages(source.url) +
                                             " at " + sha);
  }
  return out;
}

Result<std::string> SourceCheckout::download(const std::string& url) {
  if (url.starts_with("s3://")) {
    if (!fetchers_.s3) {
      return makeError(ErrorCode::Invalid,
                       "spec.source.archive.url: s3:// archives need AWS credentials for the operator (the AWS "
                       "default chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, a web identity token or "
                       "an instance role) and an AWS region, and this agent has none; configure them, or serve '" +
                           http::redactedForMessages(url) + "' over https");
    }
    return fetchers_.s3->download(url);
  }
  if (url.starts_with("gs://")) {
    if (!fetchers_.gcs) {
      return makeError(ErrorCode::Invalid,
                       "spec.source.archive.url: gs:// archives need Google credentials for the operator "
                       "(application default credentials: GOOGLE_APPLICATION_CREDENTIALS, or the metadata server "
                       "through Workload Identity) and this agent has none; configure them, or serve '" +
                           http::redactedForMessages(url) + "' over https");
    }
    return fetchers_.gcs->download(url);
  }
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    return makeError(ErrorCode::Invalid, "spec.source.archive.url: '" + http::redactedForMessages(url) +
                                             "' is not supported; use https://, http://, s3:// or gs://");
  }
  http::HttpRequest request;
  request.url = url;
  request.timeout = std::chrono::minutes(10);
  auto response = http_.send(request);
  if (!response)
    return makeError(response.error().code,
                     "download of " + http::redactedForMessages(url) + ": " + response.error().message);
  if (response->status != 200) {
    return makeError(
        response->status == 404 ? ErrorCode::Invalid : ErrorCode::Unavailable,
        "download of " + http::redactedForMessages(url) + " answered HTTP " + std::to_string(response->status));
  }
  return std::move(response->body);
}

Result<CheckedOutSource> SourceCheckout::fetchArchive(const api::ArchiveSource& source, const fs::path& dir) {
  auto body = download(source.url);
  if (!body) return body.error();
  const std::string digest = sha256Hex(*body);
  if (!source.sha256.empty() && source.sha256 != digest) {
    return makeError(ErrorCode::Invalid, "spec.source.archive.sha256: the archive at " +
                                             http::redactedForMessages(source.url) + " has sha256 " + digest +
                                             ", not " + source.sha256);
  }
  auto entries = readTar(*body);
  if (!entries) {
    return makeError(ErrorCode::Invalid,
                     "spec.source.archive.url: " + http::redactedForMessages(source.url) +
                         " is not a tar, tar.gz or zip archive it can read: " + entries.error().message);
  }
  for (const auto& entry : *entries) {
    if (!staysInside(entry.path) || entry.path.empty()) {
      return makeError(ErrorCode::Invalid, "spec.source.archive.url: the archive's entry '" + entry.path +
                                               "' would be written outside its directory");
    }
  }
  if (Status reset = resetDirectory(dir); !reset.ok()) return reset.error();
  for (const auto& entry : *entries) {
    const fs::path target = dir / entry.path;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    out.write(entry.content.data(), static_cast<std::streamsize>(entry.content.size()));
    if (!out) return makeError(ErrorCode::Unavailable, "cannot write " + target.string());
    out.close();
    fs::permissions(target, static_cast<fs::perms>(entry.mode & 0777), ec);
  }
  return CheckedOutSource{dir, dir, "sha256:" + digest};
}

}  // namespace launch::build
