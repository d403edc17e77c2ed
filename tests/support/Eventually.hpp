// eventually: polls a condition until it holds or a deadline passes, for integration tests that wait on
// the cluster (the test control plane offers no faster signal to the test itself).
#pragma once

#include <chrono>
#include <thread>

namespace launch::testing {

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::seconds timeout = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace launch::testing
