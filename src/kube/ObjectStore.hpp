// ObjectStore: the informer's thread-safe cache of objects keyed "namespace/name", with indexes by
// namespace, by label and by custom index functions. Objects are kept packed (MessagePack, a few hundred
// bytes for a typical custom resource instead of several KiB of JSON tree) and unpacked on demand into
// shared immutable JSON: readers get a pointer, never a copy, and never a mutable reference.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace launch::kube {

using ObjectPtr = std::shared_ptr<const nlohmann::json>;

class ObjectStore {
 public:
  // Index values of one object (for example its owner UIDs).
  using IndexFunction = std::function<std::vector<std::string>(const nlohmann::json&)>;

  // `recentObjects`: how many of the newest upserted objects stay unpacked, so that the reconcile that
  // follows a watch event reads the object the event carried instead of unpacking it again.
  explicit ObjectStore(size_t recentObjects = 256);

  static std::string keyOf(const nlohmann::json& object);  // "ns/name", or "name" when cluster-scoped

  // Must be called before objects are added.
  void addIndex(const std::string& name, IndexFunction function);

  // Returns the object it replaced, if any.
  ObjectPtr upsert(ObjectPtr object);
  ObjectPtr erase(const std::string& key);

  ObjectPtr get(const std::string& key) const;
  // metadata.resourceVersion of the cached object ("" when there is none), without unpacking it.
  std::string resourceVersion(const std::string& key) const;
  std::vector<ObjectPtr> list() const;
  std::vector<std::string> keys() const;
  size_t size() const;
  // Objects whose index function returned `value`. Built-in indexes: "namespace" and "label" ("key=value").
  std::vector<ObjectPtr> byIndex(const std::string& index, const std::string& value) const;

 private:
  struct Entry {
    std::vector<std::uint8_t> packed;  // MessagePack of the object
    std::string resourceVersion;
    // The unpacked object while anyone holds it, so concurrent readers share one copy.
    mutable std::atomic<std::weak_ptr<const nlohmann::json>> live;
  };
  struct Index {
    IndexFunction function;
    std::unordered_map<std::string, std::set<std::string>> keysByValue;
  };
  static ObjectPtr unpack(const Entry& entry);
  void indexObject(const std::string& key, const nlohmann::json& object);
  void unindexObject(const std::string& key, const nlohmann::json& object);

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<Entry>> objects_;
  std::map<std::string, Index> indexes_;
  std::vector<ObjectPtr> recent_;  // a ring of the newest upserts (mutex_)
  size_t nextRecent_ = 0;
};

}  // namespace launch::kube
