// runCommand: runs a shell command for tests with a hard timeout and returns its combined output.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "util/Result.hpp"

namespace launch::testing {

struct CommandOutput {
  int exitCode = 0;
  std::string output;  // stdout and stderr together
};

// Runs `sh -c command` under `timeout`; a command that outlives it is killed and reported as Timeout.
Result<CommandOutput> runCommand(const std::string& command, std::chrono::seconds timeout = std::chrono::seconds(120));

// Parses KEY=VALUE lines (the env files the scripts write).
std::map<std::string, std::string> parseEnvLines(const std::string& text);

// Quotes a string for sh.
std::string shellQuote(const std::string& text);

// The repository's root, for scripts and samples.
std::string sourceDir();

}  // namespace launch::testing
