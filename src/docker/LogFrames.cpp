// Demultiplexing of Docker's framed stdout/stderr log stream.
#include "docker/LogFrames.hpp"

#include <cstdint>

namespace launch::docker {
namespace {

bool looksFramed(std::string_view raw) {
  return raw.size() >= 8 && (raw[0] == 0 || raw[0] == 1 || raw[0] == 2) && raw[1] == 0 && raw[2] == 0 && raw[3] == 0;
}

}  // namespace

ContainerOutput demultiplexLogs(std::string_view raw) {
  ContainerOutput out;
  if (!raw.empty() && !looksFramed(raw)) {
    out.stdoutText.assign(raw);
    return out;
  }
  size_t pos = 0;
  while (pos + 8 <= raw.size()) {
    const auto streamId = static_cast<unsigned char>(raw[pos]);
    const uint32_t length = (static_cast<uint32_t>(static_cast<unsigned char>(raw[pos + 4])) << 24) |
                            (static_cast<uint32_t>(static_cast<unsigned char>(raw[pos + 5])) << 16) |
                            (static_cast<uint32_t>(static_cast<unsigned char>(raw[pos + 6])) << 8) |
                            static_cast<uint32_t>(static_cast<unsigned char>(raw[pos + 7]));
    pos += 8;
    const std::string_view payload = raw.substr(pos, length);
    (streamId == 2 ? out.stderrText : out.stdoutText).append(payload);
    pos += payload.size();
  }
  return out;
}

}  // namespace launch::docker
