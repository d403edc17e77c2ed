// ImageReference: a container image name, [host[:port]/]repository[:tag][@digest], with Docker's defaults.
#pragma once

#include <string>
#include <string_view>

#include "util/Result.hpp"

namespace launch::registry {

// Docker Hub, as references name it; its API answers at kDockerHubApiHost.
inline constexpr std::string_view kDockerHubRegistry = "docker.io";
inline constexpr std::string_view kDockerHubApiHost = "registry-1.docker.io";

struct ImageReference {
  std::string registry;    // host[:port]; "docker.io" when the reference names none
  std::string repository;  // path in the registry; "library/<name>" for one-word Docker Hub names
  std::string tag;         // "latest" when neither a tag nor a digest is given; empty with a digest alone
  std::string digest;      // "sha256:<64 hex>" or empty

  // Parses a reference the way `docker pull` reads it: the first path component is a registry host when it
  // holds '.' or ':' or is "localhost"; "index.docker.io" is Docker Hub. Errors quote the input and say what
  // is wrong with it.
  static Result<ImageReference> parse(std::string_view text);

  // The full form: registry/repository[:tag][@digest], e.g. "docker.io/library/busybox:latest".
  std::string toString() const;
  // registry/repository, without tag or digest.
  std::string name() const;
  // What the manifest endpoint is asked for: the digest when there is one (it pins the content), else the tag.
  const std::string& manifestReference() const { return digest.empty() ? tag : digest; }
  // The host to send registry API calls to (Docker Hub's API does not answer at docker.io).
  std::string apiHost() const;

  bool operator==(const ImageReference&) const = default;
};

}  // namespace launch::registry
