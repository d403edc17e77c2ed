// RunObservation: what a backend saw of one run, in the LaunchJob's terms.
#pragma once

#include <optional>
#include <string>

#include "api/LaunchJob.hpp"

namespace launch::backends {

struct RunObservation {
  bool exists = false;                    // the backend still has the run
  bool started = false;                   // its workload has started running
  std::optional<api::JobPhase> finished;  // Succeeded or Failed once the run is over
  std::string reason;                     // CamelCase: Unschedulable, ImagePullBackOff, OOMKilled, DeadlineExceeded...
  std::string message;                    // one line for people
  std::optional<int> exitCode;            // the workload's exit code, when the backend knows it
  bool permanentFailure = false;          // waiting will not help (InvalidImageName): fail now
};

}  // namespace launch::backends
