// watchResource: one Kubernetes watch request, its newline-delimited JSON events decoded as they stream in.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "kube/KubeClient.hpp"

namespace launch::kube {

enum class WatchEventType { Added, Modified, Deleted, Bookmark, Error };

struct WatchEvent {
  WatchEventType type = WatchEventType::Added;
  Json object;
};

struct WatchOptions {
  std::string resourceVersion;  // resume point; events after it are delivered
  std::string labelSelector;
  std::string fieldSelector;
  std::chrono::seconds timeout{300};  // the server ends the watch after this
  bool allowBookmarks = true;
};

// Decodes one line of a watch stream; an unknown type or malformed line is an Internal error.
Result<WatchEvent> parseWatchEvent(std::string_view line);

// Runs a watch until the server ends it (success: the last resourceVersion seen), until shouldStop() turns
// true, or until it fails. An expired resourceVersion (HTTP 410, or an ERROR event carrying a 410 Status
// inside a 200 stream) is ErrorCode::Gone: the caller must list again.
Result<std::string> watchResource(KubeClient& client, const ResourceType& type, std::string_view ns,
                                  const WatchOptions& options, const std::function<void(WatchEvent&&)>& onEvent,
                                  const http::StopCondition& shouldStop);

}  // namespace launch::kube
