// Docker's multiplexed log stream: 8-byte frame headers (stream id, big-endian length) split into stdout/stderr.
#pragma once

#include <string>
#include <string_view>

namespace launch::docker {

struct ContainerOutput {
  std::string stdoutText;
  std::string stderrText;
};

// Splits a complete multiplexed stream. A stream that does not start with a frame header (a TTY
// container) is returned whole as stdout; a truncated last frame keeps what arrived.
ContainerOutput demultiplexLogs(std::string_view raw);

}  // namespace launch::docker
