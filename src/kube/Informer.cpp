// Informer: the reflector loop (list, watch, resume, relist on 410, backoff) and event delivery.
#include "kube/Informer.hpp"

#include <random>
#include <set>

namespace launch::kube {
namespace {

std::string resourceVersionOf(const Json& object) {
  const Json& metadata = object["metadata"];
  return metadata.is_object() ? metadata.value("resourceVersion", "") : std::string();
}

}  // namespace

void stripForCache(Json& object) {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return;
  metadata->erase("managedFields");
  const auto annotations = metadata->find("annotations");
  if (annotations == metadata->end() || !annotations->is_object()) return;
  annotations->erase("kubectl.kubernetes.io/last-applied-configuration");
  if (annotations->empty()) metadata->erase(annotations);
}

Informer::Informer(KubeClient& client, ResourceType type, InformerOptions options, const Clock& clock)
    : client_(client), type_(std::move(type)), options_(std::move(options)), clock_(clock) {}

Informer::~Informer() { stop(); }

void Informer::addHandler(InformerHandler handler) { handlers_.push_back(std::move(handler)); }

void Informer::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void Informer::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Informer::waitForSync(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return wake_.wait_for(lock, timeout, [this] { return synced_.load() || stopping_.load(); }) && synced_.load();
}

std::string Informer::lastResourceVersion() const {
  const std::lock_guard lock(mutex_);
  return lastVersion_;
}

bool Informer::sleepFor(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, delay, [this] { return stopping_.load(); });
}

void Informer::notifyAdd(const ObjectPtr& object) {
  for (const auto& h : handlers_) {
    if (h.onAdd) h.onAdd(object);
  }
}
void Informer::notifyUpdate(const ObjectPtr& previous, const ObjectPtr& current) {
  for (const auto& h : handlers_) {
    if (h.onUpdate) h.onUpdate(previous, current);
  }
}
void Informer::notifyDelete(const ObjectPtr& last, bool tombstone) {
  for (const auto& h : handlers_) {
    if (h.onDelete) h.onDelete(last, tombstone);
  }
}

void Informer::replaceAll(Json&& items) {
  std::set<std::string> listed;
  for (auto& item : items) {
    stripForCache(item);
    auto object = std::make_shared<const Json>(std::move(item));
    const std::string key = ObjectStore::keyOf(*object);
    listed.insert(key);
    // An object unchanged since the last watch event is not reported again (nor unpacked to find that out).
    const std::string version = resourceVersionOf(*object);
    if (!version.empty() && store_.resourceVersion(key) == version) continue;
    const ObjectPtr previous = store_.upsert(object);
    if (previous) {
      notifyUpdate(previous, object);
    } else {
      notifyAdd(object);
    }
  }
  for (const auto& key : store_.keys()) {
    if (listed.count(key) != 0) continue;
    if (ObjectPtr gone = store_.erase(key)) notifyDelete(gone, true);
  }
}

Status Informer::relist() {
  ListOptions list;
  list.labelSelector = options_.labelSelector;
  list.fieldSelector = options_.fieldSelector;
  {
    const std::lock_guard lock(mutex_);
    // "0" lets the API server answer from its watch cache; after a 410 only a consistent read will do.
    list.resourceVersion = consistentListNeeded_ ? "" : "0";
  }
  ++lists_;
  auto result = client_.listAll(type_, options_.ns, list, options_.pageSize);
  if (!result) {
    if (result.error().code == ErrorCode::Gone) {
      const std::lock_guard lock(mutex_);
      consistentListNeeded_ = true;
    }
    return result.error();
  }
  replaceAll(std::move(result->items));
  {
    const std::lock_guard lock(mutex_);
    lastVersion_ = result->resourceVersion;
    consistentListNeeded_ = false;
    synced_ = true;
  }
  wake_.notify_all();
  return {};
}

void Informer::apply(WatchEventType type, Json&& object) {
  if (type == WatchEventType::Bookmark) return;  // only advances the resourceVersion
  stripForCache(object);
  auto current = std::make_shared<const Json>(std::move(object));
  if (type == WatchEventType::Deleted) {
    store_.erase(ObjectStore::keyOf(*current));
    notifyDelete(current, false);
    return;
  }
  ObjectPtr previous = store_.upsert(current);
  if (previous) {
    if (resourceVersionOf(*previous) != resourceVersionOf(*current)) notifyUpdate(previous, current);
  } else {
    notifyAdd(current);
  }
}

void Informer::run() {
  std::mt19937 random(std::random_device{}());
  std::chrono::milliseconds backoff = options_.initialBackoff;
  auto lastFailure = clock_.now();
  bool needList = true;
  auto fail = [&]() {
    // Back off 0.8 s .. 30 s with jitter; a healthy stretch of two minutes resets it.
    const auto now = clock_.now();
    if (now - lastFailure > std::chrono::minutes(2)) backoff = options_.initialBackoff;
    lastFailure = now;
    std::uniform_real_distribution<double> jitter(1.0, 2.0);
    const auto delay =
        std::chrono::milliseconds(static_cast<long>(static_cast<double>(backoff.count()) * jitter(random)));
    backoff = std::min(backoff * 2, options_.maxBackoff);
    return sleepFor(std::min(delay, options_.maxBackoff));
  };

  while (!stopping_) {
    if (needList) {
      if (!relist().ok()) {
        if (!fail()) return;
        continue;
      }
      needList = false;
    }
    WatchOptions watch;
    watch.resourceVersion = lastResourceVersion();
    watch.labelSelector = options_.labelSelector;
    watch.fieldSelector = options_.fieldSelector;
    std::uniform_int_distribution<long> seconds(options_.minWatchTimeout.count(), 2 * options_.minWatchTimeout.count());
    watch.timeout = std::chrono::seconds(seconds(random));
    ++watches_;
    auto ended = watchResource(
        client_, type_, options_.ns, watch,
        [this](WatchEvent&& event) {
          const std::string version = resourceVersionOf(event.object);
          apply(event.type, std::move(event.object));
          if (!version.empty()) {
            const std::lock_guard lock(mutex_);
            lastVersion_ = version;
          }
        },
        [this] { return stopping_.load(); });
    if (stopping_) return;
    if (ended) continue;  // the server closed the watch: resume from the last resourceVersion
    if (ended.error().code == ErrorCode::Gone) {
      const std::lock_guard lock(mutex_);
      consistentListNeeded_ = true;
      needList = true;
      continue;  // no backoff: the history moved on, a fresh list is the cure
    }
    if (!fail()) return;
  }
}

}  // namespace launch::kube
