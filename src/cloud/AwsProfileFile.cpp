// An INI parser with the AWS shared-file rules: comments, [profile x] sections, continuation lines.
#include "cloud/AwsProfileFile.hpp"

#include <optional>

#include "util/Files.hpp"
#include "util/Text.hpp"

namespace launch::cloud {

namespace {

// The file's blanks: any ASCII white space.
bool isBlank(char c) { return kAsciiWhitespace.find(c) != std::string_view::npos; }

std::string_view trimBlanks(std::string_view text) { return trim(text, kAsciiWhitespace); }

// A value's trailing comment starts with '#' or ';' after white space: "key = value # note".
std::string_view stripTrailingComment(std::string_view value) {
  for (size_t i = 1; i < value.size(); ++i) {
    if ((value[i] == '#' || value[i] == ';') && isBlank(value[i - 1])) return trimBlanks(value.substr(0, i));
  }
  return value;
}

// The profile a section header names, or nullopt for sections that hold no profile.
std::optional<std::string> profileNameOf(std::string_view section, AwsProfileFile::Kind kind) {
  if (kind == AwsProfileFile::Kind::Credentials) return std::string(section);
  if (section == "default") return std::string("default");
  constexpr std::string_view kPrefix = "profile";
  if (section.size() > kPrefix.size() && section.substr(0, kPrefix.size()) == kPrefix &&
      isBlank(section[kPrefix.size()])) {
    const std::string_view name = trimBlanks(section.substr(kPrefix.size()));
    if (!name.empty()) return std::string(name);
  }
  return std::nullopt;
}

}  // namespace

Result<AwsProfileFile> AwsProfileFile::parse(std::string_view text, Kind kind, const std::string& path) {
  AwsProfileFile file;
  file.path_ = path;
  AwsProfile* current = nullptr;  // nullptr before the first section and inside sections that are no profile
  bool inSection = false;
  std::string* lastValue = nullptr;  // the property an indented line continues
  size_t lineNumber = 0;
  auto fail = [&](const std::string& what) -> Error {
    return makeError(ErrorCode::Invalid, path + " line " + std::to_string(lineNumber) + ": " + what);
  };

  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++lineNumber;

    const std::string_view line = trimBlanks(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;

    if (line.front() == '[') {
      const size_t close = line.find(']');
      if (close == std::string_view::npos) return fail("section header has no closing ']'");
      const std::string_view rest = trimBlanks(line.substr(close + 1));
      if (!rest.empty() && rest.front() != '#' && rest.front() != ';') {
        return fail("unexpected text after the section header's ']'");
      }
      const std::string_view section = trimBlanks(line.substr(1, close - 1));
      if (section.empty()) return fail("section header has no name");
      const auto name = profileNameOf(section, kind);
      current = name ? &file.profiles_[*name] : nullptr;
      inSection = true;
      lastValue = nullptr;
      continue;
    }

    // An indented line continues the previous property ("s3 =\n  max_concurrent_requests = 10").
    if (isBlank(raw.front()) && lastValue != nullptr) {
      *lastValue += '\n';
      *lastValue += line;
      continue;
    }

    const size_t equals = line.find('=');
    if (equals == std::string_view::npos) return fail("expected \"key = value\", found no '='");
    const std::string key = toLower(trimBlanks(line.substr(0, equals)));
    if (key.empty()) return fail("property has no name before '='");
    if (!inSection) return fail("property \"" + key + "\" comes before any [section]");
    const std::string_view value = stripTrailingComment(trimBlanks(line.substr(equals + 1)));
    if (current == nullptr) {
      lastValue = nullptr;
      continue;
    }
    std::string& slot = (*current)[key];
    slot = std::string(value);
    lastValue = &slot;
  }
  return file;
}

Result<AwsProfileFile> AwsProfileFile::load(const std::string& path, Kind kind) {
  auto text = readFile(path);
  if (!text) return text.error();
  return parse(*text, kind, path);
}

const AwsProfile* AwsProfileFile::profile(const std::string& name) const {
  const auto it = profiles_.find(name);
  return it == profiles_.end() ? nullptr : &it->second;
}

std::vector<std::string> AwsProfileFile::profileNames() const {
  std::vector<std::string> names;
  names.reserve(profiles_.size());
  for (const auto& [name, profile] : profiles_) names.push_back(name);
  return names;
}

}  // namespace launch::cloud
