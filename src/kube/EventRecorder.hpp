// EventRecorder: writes core/v1 Events about objects, aggregating repeats of the same event into one
// Event with a count, as kubectl describe expects; Normal events within a budget, Warnings always.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "kube/KubeClient.hpp"
#include "util/Clock.hpp"

namespace launch::kube {

enum class EventType { Normal, Warning };

// How many Normal events a recorder writes: a token bucket shared by all objects. Events are best-effort
// notes (the object's status says the same): under a burst of work the API server's writes go to the work.
struct NormalEventBudget {
  double perSecond = 10;
  double burst = 100;
};

class EventRecorder {
 public:
  EventRecorder(KubeClient& client, std::string component, const Clock& clock = SystemClock::instance(),
                size_t cacheSize = 4096, NormalEventBudget budget = {});

  // `object` is the involved object (its apiVersion, kind and metadata are used). The message must never
  // carry a secret: it is stored in the cluster for anyone who may read Events. A Normal event beyond the
  // budget is dropped (and counted); a Warning is always written.
  Status record(const Json& object, EventType type, const std::string& reason, const std::string& message);
  // Normal events dropped for want of budget so far.
  uint64_t droppedNormalEvents() const;

 private:
  struct Seen {
    std::string ns;
    std::string name;
    int count = 0;
    std::list<std::string>::iterator age;
  };

  bool takeNormalToken();  // under mutex_

  KubeClient& client_;
  std::string component_;
  const Clock& clock_;
  size_t cacheSize_;
  NormalEventBudget budget_;
  mutable std::mutex mutex_;
  double tokens_;
  Clock::TimePoint refilledAt_;
  uint64_t droppedNormal_ = 0;
  std::unordered_map<std::string, Seen> seen_;  // by involved object UID + type + reason + message
  std::list<std::string> order_;                // least recently used first
};

std::string rfc3339(std::chrono::system_clock::time_point at);

}  // namespace launch::kube
