// BuildContext: walks the context directory into tar entries, leaving out what its .dockerignore says.
#include "build/BuildContext.hpp"

#include <map>

#include "build/DockerIgnore.hpp"
#include "util/Files.hpp"

namespace launch::build {

Result<std::string> makeBuildContext(const std::filesystem::path& dir, const std::vector<TarEntry>& extra,
                                     const BuildContextOptions& options) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    return makeError(ErrorCode::Invalid, "the build context " + dir.string() + " is not a directory");
  }
  DockerIgnore ignore;
  if (fs::is_regular_file(dir / ".dockerignore", error)) {
    auto text = readFile((dir / ".dockerignore").string());
    if (!text) return text.error();
    auto parsed = DockerIgnore::parse(*text);
    if (!parsed) return makeError(ErrorCode::Invalid, "the build context's " + parsed.error().message);
    ignore = std::move(parsed).value();
  }
  std::map<std::string, TarEntry> entries;  // sorted by path
  std::size_t total = 0;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, error);
  if (error)
    return makeError(ErrorCode::Internal, "cannot read the build context " + dir.string() + ": " + error.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (error) break;
    const fs::directory_entry& entry = *it;
    const std::string relative = fs::relative(entry.path(), dir).generic_string();
    if (entry.is_symlink(error)) continue;
    if (entry.is_directory(error)) {
      // Nothing under an excluded directory can come back unless some pattern re-includes.
      if (relative == ".git" || (!ignore.hasExceptions() && ignore.excludes(relative))) it.disable_recursion_pending();
      continue;
    }
    if (!entry.is_regular_file(error)) continue;
    if (relative != ".dockerignore" && ignore.excludes(relative)) continue;  // docker sends .dockerignore itself
    total += static_cast<std::size_t>(entry.file_size(error));
    if (total > options.maxBytes) {
      return makeError(ErrorCode::Invalid, "the build context is larger than " +
                                               std::to_string(options.maxBytes >> 20) +
                                               " MiB; make spec.source.git.subdirectory point at less, or leave "
                                               "data out of the repository");
    }
    auto content = readFile(entry.path().string());
    if (!content) return content.error();
    const auto permissions = fs::status(entry.path(), error).permissions();
    const bool executable = (permissions & fs::perms::owner_exec) != fs::perms::none;
    entries[relative] = TarEntry{relative, std::move(content).value(), executable ? 0755 : 0644};
  }
  if (error)
    return makeError(ErrorCode::Internal, "cannot read the build context " + dir.string() + ": " + error.message());
  for (const auto& e : extra) entries[e.path] = e;
  std::vector<TarEntry> ordered;
  ordered.reserve(entries.size());
  for (auto& [path, entry] : entries) ordered.push_back(std::move(entry));
  return writeTar(ordered, options.compression);
}

}  // namespace launch::build
