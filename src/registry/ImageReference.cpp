// ImageReference: parsing and formatting of image references after Docker's reference grammar.
#include "registry/ImageReference.hpp"

#include <algorithm>
#include <cctype>

namespace launch::registry {
namespace {

constexpr std::size_t kMaxNameLength = 255;  // Docker's limit on registry/repository
constexpr std::size_t kMaxTagLength = 128;

bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool isAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isHex(char c) { return isDigit(c) || (c >= 'a' && c <= 'f'); }

Error invalid(std::string_view text, const std::string& why) {
  return makeError(ErrorCode::Invalid, "invalid image reference \"" + std::string(text) + "\": " + why);
}

// One path component: lower-case letters and digits, joined by '.', '_', "__" or runs of '-'.
bool isValidComponent(std::string_view component) {
  std::size_t i = 0;
  while (true) {
    const std::size_t runStart = i;
    while (i < component.size() && isLowerAlnum(component[i])) ++i;
    if (i == runStart) return false;  // empty, or a separator at the start or twice in a row
    if (i == component.size()) return true;
    const std::size_t separatorStart = i;
    while (i < component.size() && (component[i] == '.' || component[i] == '_' || component[i] == '-')) ++i;
    const std::string_view separator = component.substr(separatorStart, i - separatorStart);
    const bool dashes = std::all_of(separator.begin(), separator.end(), [](char c) { return c == '-'; });
    if (!(separator == "." || separator == "_" || separator == "__" || dashes)) return false;
    if (i == component.size()) return false;  // ends with a separator
    if (!isLowerAlnum(component[i])) return false;
  }
}

// A DNS label: letters, digits and '-', neither first nor last.
bool isValidHostLabel(std::string_view label) {
  if (label.empty() || label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) { return isAlnum(c) || c == '-'; });
}

std::string checkRegistry(std::string_view registry) {
  std::string_view host = registry;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos) return "the registry host \"" + std::string(registry) + "\" lacks its ']'";
    const std::string_view address = host.substr(1, close - 1);
    const bool ipv6 = !address.empty() && std::all_of(address.begin(), address.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
    });
    if (!ipv6) return "\"" + std::string(address) + "\" is not an IPv6 address";
    const std::string_view rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "unexpected text after the IPv6 address of the registry";
      port = rest.substr(1);
      if (port.empty()) return "the registry port is empty";
    }
  } else {
    const std::size_t colon = host.find(':');
    if (colon != std::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
      if (port.empty()) return "the registry port is empty";
    }
    std::size_t start = 0;
    while (true) {
      const std::size_t dot = host.find('.', start);
      const std::string_view label = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
      if (!isValidHostLabel(label)) {
        return "the registry host \"" + std::string(host) + "\" is not a valid host name";
      }
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), isDigit) || std::stoi(std::string(port)) > 65535) {
      return "the registry port \"" + std::string(port) + "\" is not a port number";
    }
  }
  return {};
}

std::string checkRepository(std::string_view repository) {
  if (repository.empty()) return "the repository name is empty";
  if (std::any_of(repository.begin(), repository.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return "the repository name must be lowercase";
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = repository.find('/', start);
    const std::string_view component =
        repository.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (!isValidComponent(component)) {
      return "the repository path component \"" + std::string(component) +
             "\" may hold only lower-case letters, digits and single '.', '_', \"__\" or '-' runs between them";
    }
    if (slash == std::string_view::npos) return {};
    start = slash + 1;
  }
}

std::string checkTag(std::string_view tag) {
  if (tag.empty()) return "the tag after ':' is empty";
  if (tag.size() > kMaxTagLength) return "the tag is longer than 128 characters";
  if (!(isAlnum(tag.front()) || tag.front() == '_') ||
      !std::all_of(tag.begin(), tag.end(), [](char c) { return isAlnum(c) || c == '_' || c == '.' || c == '-'; })) {
    return "the tag \"" + std::string(tag) +
           "\" may hold only letters, digits, '_', '.' and '-', and may not start with '.' or '-'";
  }
  return {};
}

std::string checkDigest(std::string_view digest) {
  const std::size_t colon = digest.find(':');
  if (colon == std::string_view::npos) return "the digest after '@' must look like sha256:<64 hex digits>";
  const std::string_view algorithm = digest.substr(0, colon);
  const std::string_view hex = digest.substr(colon + 1);
  std::size_t expected = 0;
  if (algorithm == "sha256") {
    expected = 64;
  } else if (algorithm == "sha512") {
    expected = 128;
  } else {
    return "the digest algorithm \"" + std::string(algorithm) + "\" is not supported (use sha256)";
  }
  if (hex.size() != expected || !std::all_of(hex.begin(), hex.end(), isHex)) {
    return "the " + std::string(algorithm) + " digest must be " + std::to_string(expected) + " lower-case hex digits";
  }
  return {};
}

}  // namespace

Result<ImageReference> ImageReference::parse(std::string_view text) {
  if (text.empty()) return invalid(text, "it is empty");
  if (std::any_of(text.begin(), text.end(), [](char c) {
        return std::isspace(static_cast<unsigned char>(c)) != 0 || std::iscntrl(static_cast<unsigned char>(c)) != 0;
      })) {
    return invalid(text, "it contains white space or control characters");
  }
  if (text.find("://") != std::string_view::npos) {
    return invalid(text, "leave out the scheme (write host/repository, not https://host/repository)");
  }

  ImageReference reference;
  std::string_view rest = text;
  const std::size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    reference.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (const std::string why = checkDigest(reference.digest); !why.empty()) return invalid(text, why);
  }
  const std::size_t lastSlash = rest.rfind('/');
  const std::size_t colon = rest.find(':', lastSlash == std::string_view::npos ? 0 : lastSlash + 1);
  if (colon != std::string_view::npos) {
    reference.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (const std::string why = checkTag(reference.tag); !why.empty()) return invalid(text, why);
  }
  if (rest.empty()) return invalid(text, "the repository name is empty");
  if (rest.size() > kMaxNameLength) return invalid(text, "the name is longer than 255 characters");

  const std::size_t firstSlash = rest.find('/');
  const std::string_view first = rest.substr(0, firstSlash);
  if (firstSlash != std::string_view::npos && (first.find('.') != std::string_view::npos ||
                                               first.find(':') != std::string_view::npos || first == "localhost")) {
    reference.registry = std::string(first);
    reference.repository = std::string(rest.substr(firstSlash + 1));
    if (const std::string why = checkRegistry(reference.registry); !why.empty()) return invalid(text, why);
  } else {
    reference.registry = std::string(kDockerHubRegistry);
    reference.repository = std::string(rest);
  }
  if (reference.registry == "index.docker.io") reference.registry = std::string(kDockerHubRegistry);
  if (const std::string why = checkRepository(reference.repository); !why.empty()) return invalid(text, why);
  if (reference.registry == kDockerHubRegistry && reference.repository.find('/') == std::string::npos) {
    reference.repository = "library/" + reference.repository;
  }
  if (reference.tag.empty() && reference.digest.empty()) reference.tag = "latest";
  return reference;
}

std::string ImageReference::name() const { return registry + "/" + repository; }

std::string ImageReference::toString() const {
  std::string out = name();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

std::string ImageReference::apiHost() const {
  return registry == kDockerHubRegistry ? std::string(kDockerHubApiHost) : registry;
}

}  // namespace launch::registry
