// ContentTag: the image tag of a build, a sha256 over everything that decides the image (the source's
// identity and context, the Dockerfile, the build args, the platform), so equal inputs name the same
// image and a build whose image already exists can be skipped.
#pragma once

#include <map>
#include <string>

namespace launch::build {

struct ContentTagInputs {
  std::string identity;     // CheckedOutSource::identity: "git:<commit>" or "sha256:<archive digest>"
  std::string contextPath;  // the build context inside the source ("" for its root)
  std::string dockerfile;   // the Dockerfile's text
  std::map<std::string, std::string> buildArgs;
  std::string platform;  // "" for the engine's own
};

// 64 lower-case hex digits (a valid Docker tag). Each field is length-prefixed, so no two different
// inputs hash the same text ("a"+"bc" and "ab"+"c" differ).
std::string contentTag(const ContentTagInputs& inputs);

}  // namespace launch::build
