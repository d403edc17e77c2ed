// Test helper: shell commands with timeouts, env-file parsing and quoting.
#include "support/Command.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <sstream>

namespace launch::testing {

Result<CommandOutput> runCommand(const std::string& command, std::chrono::seconds timeout) {
  const std::string wrapped =
      "timeout --kill-after=5 " + std::to_string(timeout.count()) + " sh -c " + shellQuote(command) + " 2>&1";
  FILE* pipe = popen(wrapped.c_str(), "r");
  if (pipe == nullptr) return makeError(ErrorCode::Internal, "popen failed for: " + command);
  CommandOutput result;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (result.exitCode == 124 || result.exitCode == 137) {
    return makeError(ErrorCode::Timeout, "command timed out after " + std::to_string(timeout.count()) +
                                             "s: " + command + "\n" + result.output);
  }
  return result;
}

std::map<std::string, std::string> parseEnvLines(const std::string& text) {
  std::map<std::string, std::string> values;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos || eq == 0 || line.find(' ') < eq) continue;
    values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return values;
}

std::string shellQuote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string sourceDir() { return LAUNCH_SOURCE_DIR; }

}  // namespace launch::testing
