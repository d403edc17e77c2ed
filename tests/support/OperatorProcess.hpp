// OperatorProcess: the real launch-operator executable run as a child process for end-to-end tests, so a
// test can kill -9 it and start it again.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace launch::testing {

class OperatorProcess {
 public:
  OperatorProcess(std::string binary, std::vector<std::string> args, std::string logFile);
  ~OperatorProcess();
  OperatorProcess(const OperatorProcess&) = delete;
  OperatorProcess& operator=(const OperatorProcess&) = delete;

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }  // -1 when it is not running
  void kill(int signal);              // and wait for it
  int waitExit();                     // its exit code
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::string logFile_;
};

}  // namespace launch::testing
