// EventRecorder: writes core/v1 Events about objects, aggregating repeats of the same event into one
// Event with a count, as kubectl describe expects.
#pragma once

#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "kube/KubeClient.hpp"
#include "util/Clock.hpp"

namespace launch::kube {

enum class EventType { Normal, Warning };

class EventRecorder {
 public:
  EventRecorder(KubeClient& client, std::string component, const Clock& clock = SystemClock::instance(),
                size_t cacheSize = 4096);

  // `object` is the involved object (its apiVersion, kind and metadata are used). The message must never
  // carry a secret: it is stored in the cluster for anyone who may read Events.
  Status record(const Json& object, EventType type, const std::string& reason, const std::string& message);

 private:
  struct Seen {
    std::string ns;
    std::string name;
    int count = 0;
    std::list<std::string>::iterator age;
  };

  KubeClient& client_;
  std::string component_;
  const Clock& clock_;
  size_t cacheSize_;
  std::mutex mutex_;
  std::unordered_map<std::string, Seen> seen_;  // by involved object UID + type + reason + message
  std::list<std::string> order_;                // least recently used first
};

std::string rfc3339(std::chrono::system_clock::time_point at);

}  // namespace launch::kube
