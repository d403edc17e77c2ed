// JobOrder: which LaunchJob on a queue runs first: priority (when the queue has prioritization on), then
// creation time, then name.
#pragma once

#include <optional>
#include <string>

#include "api/LaunchJob.hpp"
#include "api/Priority.hpp"
#include "api/Timestamp.hpp"

namespace launch::api {

// What the order depends on, small enough to keep for every queued job.
struct JobOrderKey {
  Priority priority = Priority::Medium;
  std::optional<Timestamp> created;  // absent (not yet stored) sorts after every stored job
  std::string name;
  std::string namespace_;
};

JobOrderKey jobOrderKey(const LaunchJob& job);

// True when `a` runs before `b`. A strict weak order in which distinct jobs never tie (the namespace breaks a
// tie of names). Note: creationTimestamp has one-second resolution, so jobs created within the same second run
// in name order.
bool runsBefore(const JobOrderKey& a, const JobOrderKey& b, bool prioritization);
bool runsBefore(const LaunchJob& a, const LaunchJob& b, bool prioritization);

// A comparator for std::sort or std::set. A std::priority_queue pops its greatest element, so give it the
// reverse: [&](auto& a, auto& b) { return runsBefore(b, a, prioritization); }.
struct JobOrder {
  bool prioritization = false;
  bool operator()(const JobOrderKey& a, const JobOrderKey& b) const { return runsBefore(a, b, prioritization); }
  bool operator()(const LaunchJob& a, const LaunchJob& b) const { return runsBefore(a, b, prioritization); }
};

}  // namespace launch::api
