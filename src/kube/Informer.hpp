// Informer: list+watch of one resource into an ObjectStore, with add/update/delete handlers; resumes
// watches from the last resourceVersion, relists when it has expired (410), and backs off on failure.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kube/KubeClient.hpp"
#include "kube/ObjectStore.hpp"
#include "kube/ResourceType.hpp"
#include "kube/WatchStream.hpp"
#include "util/Clock.hpp"

namespace launch::kube {

struct InformerOptions {
  std::string ns;  // empty: all namespaces
  std::string labelSelector;
  std::string fieldSelector;
  int pageSize = 500;
  std::chrono::seconds minWatchTimeout{300};  // each watch asks for a random timeout in [min, 2*min]
  std::chrono::milliseconds initialBackoff{800};
  std::chrono::milliseconds maxBackoff{30000};
};

// Called on the informer's thread, one at a time, after the store has changed. `tombstone` is true when
// the deletion was not seen as a watch event but inferred from a relist (the last state is then stale).
struct InformerHandler {
  std::function<void(const ObjectPtr&)> onAdd;
  std::function<void(const ObjectPtr& previous, const ObjectPtr& current)> onUpdate;
  std::function<void(const ObjectPtr& last, bool tombstone)> onDelete;
};

class Informer {
 public:
  Informer(KubeClient& client, ResourceType type, InformerOptions options = {},
           const Clock& clock = SystemClock::instance());
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Handlers and indexes are registered before start().
  void addHandler(InformerHandler handler);
  ObjectStore& store() { return store_; }
  const ObjectStore& store() const { return store_; }

  void start();
  void stop();
  bool hasSynced() const { return synced_.load(); }
  bool waitForSync(std::chrono::milliseconds timeout);

  // How many full lists and how many watch requests were made (for tests and metrics).
  int lists() const { return lists_.load(); }
  int watches() const { return watches_.load(); }
  std::string lastResourceVersion() const;

 private:
  void run();
  Status relist();
  void apply(WatchEventType type, Json&& object);
  void replaceAll(Json&& items);
  bool sleepFor(std::chrono::milliseconds delay);  // false when stopped meanwhile
  void notifyAdd(const ObjectPtr& object);
  void notifyUpdate(const ObjectPtr& previous, const ObjectPtr& current);
  void notifyDelete(const ObjectPtr& last, bool tombstone);

  KubeClient& client_;
  ResourceType type_;
  InformerOptions options_;
  const Clock& clock_;
  ObjectStore store_;
  std::vector<InformerHandler> handlers_;

  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> synced_{false};
  std::atomic<int> lists_{0};
  std::atomic<int> watches_{0};
  mutable std::mutex mutex_;  // guards lastVersion_ and the wake-ups below
  std::condition_variable wake_;
  std::string lastVersion_;
  bool consistentListNeeded_ = false;
};

// Removes what the cache never needs and what is often the largest part of an object: metadata.managedFields,
// and the kubectl.kubernetes.io/last-applied-configuration annotation (a second copy of the object that
// `kubectl apply` keeps). Safe for objects the controllers write back: they write only status subresources,
// which take nothing but status from the body.
void stripForCache(Json& object);

}  // namespace launch::kube
