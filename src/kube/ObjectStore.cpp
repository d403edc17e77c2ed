// ObjectStore: objects and their index entries, updated together under one lock.
#include "kube/ObjectStore.hpp"

namespace launch::kube {

using Json = nlohmann::json;

ObjectStore::ObjectStore() {
  addIndex("namespace", [](const Json& object) -> std::vector<std::string> {
    const auto& metadata = object["metadata"];
    return {metadata.value("namespace", "")};
  });
  addIndex("label", [](const Json& object) {
    std::vector<std::string> values;
    const auto& metadata = object["metadata"];
    if (metadata.contains("labels") && metadata["labels"].is_object()) {
      for (const auto& [key, value] : metadata["labels"].items()) {
        if (value.is_string()) values.push_back(key + "=" + value.get<std::string>());
      }
    }
    return values;
  });
}

std::string ObjectStore::keyOf(const Json& object) {
  const Json& metadata = object["metadata"];
  const std::string ns = metadata.value("namespace", "");
  const std::string name = metadata.value("name", "");
  return ns.empty() ? name : ns + "/" + name;
}

void ObjectStore::addIndex(const std::string& name, IndexFunction function) {
  const std::unique_lock lock(mutex_);
  indexes_[name].function = std::move(function);
}

void ObjectStore::indexObject(const std::string& key, const Json& object) {
  for (auto& [name, index] : indexes_) {
    for (const auto& value : index.function(object)) index.keysByValue[value].insert(key);
  }
}

void ObjectStore::unindexObject(const std::string& key, const Json& object) {
  for (auto& [name, index] : indexes_) {
    for (const auto& value : index.function(object)) {
      const auto it = index.keysByValue.find(value);
      if (it == index.keysByValue.end()) continue;
      it->second.erase(key);
      if (it->second.empty()) index.keysByValue.erase(it);
    }
  }
}

ObjectPtr ObjectStore::upsert(ObjectPtr object) {
  const std::string key = keyOf(*object);
  const std::unique_lock lock(mutex_);
  ObjectPtr previous;
  const auto it = objects_.find(key);
  if (it != objects_.end()) {
    previous = it->second;
    unindexObject(key, *previous);
  }
  indexObject(key, *object);
  objects_[key] = std::move(object);
  return previous;
}

ObjectPtr ObjectStore::erase(const std::string& key) {
  const std::unique_lock lock(mutex_);
  const auto it = objects_.find(key);
  if (it == objects_.end()) return nullptr;
  ObjectPtr previous = std::move(it->second);
  objects_.erase(it);
  unindexObject(key, *previous);
  return previous;
}

ObjectPtr ObjectStore::get(const std::string& key) const {
  const std::shared_lock lock(mutex_);
  const auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> ObjectStore::list() const {
  const std::shared_lock lock(mutex_);
  std::vector<ObjectPtr> out;
  out.reserve(objects_.size());
  for (const auto& [key, object] : objects_) out.push_back(object);
  return out;
}

std::vector<std::string> ObjectStore::keys() const {
  const std::shared_lock lock(mutex_);
  std::vector<std::string> out;
  out.reserve(objects_.size());
  for (const auto& [key, object] : objects_) out.push_back(key);
  return out;
}

size_t ObjectStore::size() const {
  const std::shared_lock lock(mutex_);
  return objects_.size();
}

std::vector<ObjectPtr> ObjectStore::byIndex(const std::string& index, const std::string& value) const {
  const std::shared_lock lock(mutex_);
  std::vector<ObjectPtr> out;
  const auto idx = indexes_.find(index);
  if (idx == indexes_.end()) return out;
  const auto keys = idx->second.keysByValue.find(value);
  if (keys == idx->second.keysByValue.end()) return out;
  for (const auto& key : keys->second) out.push_back(objects_.at(key));
  return out;
}

}  // namespace launch::kube
