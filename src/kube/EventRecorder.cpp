// EventRecorder: Event creation, count aggregation with a bounded LRU of recent events, the Normal-event budget.
#include "kube/EventRecorder.hpp"

#include <algorithm>
#include <ctime>
#include <random>

namespace launch::kube {

std::string rfc3339(std::chrono::system_clock::time_point at) {
  const time_t seconds = std::chrono::system_clock::to_time_t(at);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

EventRecorder::EventRecorder(KubeClient& client, std::string component, const Clock& clock, size_t cacheSize,
                             NormalEventBudget budget)
    : client_(client),
      component_(std::move(component)),
      clock_(clock),
      cacheSize_(cacheSize),
      budget_(budget),
      tokens_(budget.burst),
      refilledAt_(clock.now()) {}

bool EventRecorder::takeNormalToken() {
  const auto now = clock_.now();
  const double elapsed = std::chrono::duration<double>(now - refilledAt_).count();
  refilledAt_ = now;
  tokens_ = std::min(budget_.burst, tokens_ + elapsed * budget_.perSecond);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

uint64_t EventRecorder::droppedNormalEvents() const {
  const std::lock_guard lock(mutex_);
  return droppedNormal_;
}

Status EventRecorder::record(const Json& object, EventType type, const std::string& reason,
                             const std::string& message) {
  const Json& metadata = object.at("metadata");
  const std::string ns = metadata.value("namespace", "default");
  const std::string uid = metadata.value("uid", "");
  const std::string typeName = type == EventType::Warning ? "Warning" : "Normal";
  const std::string key = uid + "\n" + typeName + "\n" + reason + "\n" + message;
  const std::string now = rfc3339(clock_.wallNow());

  std::string existing;
  int count = 0;
  {
    const std::lock_guard lock(mutex_);
    if (type == EventType::Normal && !takeNormalToken()) {
      ++droppedNormal_;
      return {};
    }
    const auto it = seen_.find(key);
    if (it != seen_.end()) {
      existing = it->second.name;
      count = ++it->second.count;
      order_.splice(order_.end(), order_, it->second.age);
    }
  }
  if (!existing.empty()) {
    auto patched = client_.patch(resources::kEvents, ns, existing, Json{{"count", count}, {"lastTimestamp", now}});
    if (patched) return {};
    if (patched.error().code != ErrorCode::NotFound) return patched.error();
    // The Event expired (the API server keeps them for an hour): start a new one.
  }

  thread_local std::mt19937_64 random(std::random_device{}());
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(random()));
  const std::string name = metadata.value("name", "object") + "." + suffix;
  const Json event = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", name}, {"namespace", ns}}},
      {"involvedObject",
       {{"apiVersion", object.value("apiVersion", "")},
        {"kind", object.value("kind", "")},
        {"name", metadata.value("name", "")},
        {"namespace", metadata.value("namespace", "")},
        {"uid", uid},
        {"resourceVersion", metadata.value("resourceVersion", "")}}},
      {"reason", reason},
      {"message", message.substr(0, 1024)},
      {"type", typeName},
      {"count", 1},
      {"firstTimestamp", now},
      {"lastTimestamp", now},
      {"source", {{"component", component_}}},
      {"reportingComponent", component_},
  };
  auto created = client_.create(resources::kEvents, ns, event);
  if (!created) return created.error();

  const std::lock_guard lock(mutex_);
  if (seen_.count(key) == 0) {
    order_.push_back(key);
    seen_[key] = Seen{ns, name, 1, std::prev(order_.end())};
    while (seen_.size() > cacheSize_) {
      seen_.erase(order_.front());
      order_.pop_front();
    }
  } else {
    seen_[key].name = name;
    seen_[key].count = 1;
  }
  return {};
}

}  // namespace launch::kube
