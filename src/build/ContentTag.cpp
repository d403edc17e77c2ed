// ContentTag: the length-prefixed encoding of the tag's inputs and its sha256.
#include "build/ContentTag.hpp"

#include <string_view>

#include "util/Crypto.hpp"

namespace launch::build {
namespace {

void appendField(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(" ").append(std::to_string(value.size())).append("\n").append(value).append("\n");
}

}  // namespace

std::string contentTag(const ContentTagInputs& inputs) {
  std::string text = "launch.dev/content-tag v1\n";
  appendField(text, "identity", inputs.identity);
  appendField(text, "context", inputs.contextPath);
  appendField(text, "dockerfile", inputs.dockerfile);
  appendField(text, "platform", inputs.platform);
  for (const auto& [name, value] : inputs.buildArgs) {  // a std::map: sorted, so the order is fixed
    appendField(text, "arg", name);
    appendField(text, "value", value);
  }
  return sha256Hex(text);
}

}  // namespace launch::build
