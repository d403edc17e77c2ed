// runProcess: runs a program to completion with its own environment, capturing stdout and stderr, with a
// deadline after which it is killed.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "util/Result.hpp"

namespace launch {

struct ProcessOutput {
  int exitCode = 0;  // 128 + signal number when killed by a signal
  std::string stdoutText;
  std::string stderrText;
};

// argv[0] is looked up on PATH. extraEnv is added to (and overrides) the current environment.
Result<ProcessOutput> runProcess(const std::vector<std::string>& argv,
                                 const std::map<std::string, std::string>& extraEnv = {},
                                 std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace launch
