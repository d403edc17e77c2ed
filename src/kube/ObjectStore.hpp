// ObjectStore: the informer's thread-safe cache of objects keyed "namespace/name", with indexes by
// namespace, by label and by custom index functions. Objects are shared immutable JSON: readers get a
// pointer, never a copy, and never a mutable reference.
#pragma once

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

  ObjectStore();

  static std::string keyOf(const nlohmann::json& object);  // "ns/name", or "name" when cluster-scoped

  // Must be called before objects are added.
  void addIndex(const std::string& name, IndexFunction function);

  // Returns the object it replaced, if any.
  ObjectPtr upsert(ObjectPtr object);
  ObjectPtr erase(const std::string& key);

  ObjectPtr get(const std::string& key) const;
  std::vector<ObjectPtr> list() const;
  std::vector<std::string> keys() const;
  size_t size() const;
  // Objects whose index function returned `value`. Built-in indexes: "namespace" and "label" ("key=value").
  std::vector<ObjectPtr> byIndex(const std::string& index, const std::string& value) const;

 private:
  struct Index {
    IndexFunction function;
    std::unordered_map<std::string, std::set<std::string>> keysByValue;
  };
  void indexObject(const std::string& key, const nlohmann::json& object);
  void unindexObject(const std::string& key, const nlohmann::json& object);

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, ObjectPtr> objects_;
  std::map<std::string, Index> indexes_;
};

}  // namespace launch::kube
