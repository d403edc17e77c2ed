// Watch requests: the query, chunk-to-line reassembly, event decoding, and in-stream errors.
#include "kube/WatchStream.hpp"

#include "util/LineSplitter.hpp"

namespace launch::kube {

Result<WatchEvent> parseWatchEvent(std::string_view line) {
  Json json = Json::parse(line, nullptr, false);
  if (!json.is_object() || !json.contains("type") || !json["type"].is_string()) {
    return makeError(ErrorCode::Internal, "watch: a line is not a watch event: " + std::string(line.substr(0, 200)));
  }
  WatchEvent event;
  const std::string type = json["type"].get<std::string>();
  if (type == "ADDED") {
    event.type = WatchEventType::Added;
  } else if (type == "MODIFIED") {
    event.type = WatchEventType::Modified;
  } else if (type == "DELETED") {
    event.type = WatchEventType::Deleted;
  } else if (type == "BOOKMARK") {
    event.type = WatchEventType::Bookmark;
  } else if (type == "ERROR") {
    event.type = WatchEventType::Error;
  } else {
    return makeError(ErrorCode::Internal, "watch: unknown event type " + type);
  }
  event.object = std::move(json["object"]);
  return event;
}

Result<std::string> watchResource(KubeClient& client, const ResourceType& type, std::string_view ns,
                                  const WatchOptions& options, const std::function<void(WatchEvent&&)>& onEvent,
                                  const http::StopCondition& shouldStop) {
  std::string path = type.path(ns) + "?watch=1&timeoutSeconds=" + std::to_string(options.timeout.count());
  if (options.allowBookmarks) path += "&allowWatchBookmarks=true";
  if (!options.resourceVersion.empty()) path += "&resourceVersion=" + http::urlEncode(options.resourceVersion);
  if (!options.labelSelector.empty()) path += "&labelSelector=" + http::urlEncode(options.labelSelector);
  if (!options.fieldSelector.empty()) path += "&fieldSelector=" + http::urlEncode(options.fieldSelector);

  std::string lastVersion = options.resourceVersion;
  std::optional<Error> streamError;
  std::string errorBody;
  LineSplitter lines;
  long status = 0;
  auto onChunk = [&](std::string_view chunk) {
    if (streamError) return false;
    lines.feed(chunk, [&](std::string_view line) {
      if (streamError) return;
      if (status == 0) status = 200;
      auto event = parseWatchEvent(line);
      if (!event) {
        // A non-event body is an error answer (the status line is not known inside the stream callback).
        errorBody.append(line);
        return;
      }
      if (event->type == WatchEventType::Error) {
        const long code = event->object.value("code", 500L);
        streamError = errorFromStatus(code, event->object.dump(), "watch " + type.path(ns));
        return;
      }
      const Json& metadata = event->object["metadata"];
      if (metadata.is_object()) {
        const std::string version = metadata.value("resourceVersion", "");
        if (!version.empty()) lastVersion = version;
      }
      onEvent(std::move(*event));
    });
    return !streamError.has_value();
  };
  // The request outlives the server's own timeout by a margin, so the server ends it cleanly.
  auto response = client.stream(path, onChunk, shouldStop, options.timeout + std::chrono::seconds(30));
  if (!response) return response.error();
  if (response->status != 200) {
    std::string body = errorBody;
    body.append(lines.rest());
    return errorFromStatus(response->status, body, "watch " + type.path(ns));
  }
  if (streamError) return *streamError;
  return lastVersion;
}

}  // namespace launch::kube
