// ObjectStore: packed objects and their index entries, updated together under one lock; objects are unpacked
// on demand and shared while in use.
#include "kube/ObjectStore.hpp"

namespace launch::kube {

using Json = nlohmann::json;

namespace {

std::string resourceVersionOf(const Json& object) {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return {};
  return metadata->value("resourceVersion", "");
}

}  // namespace

ObjectStore::ObjectStore(size_t recentObjects) : recent_(recentObjects) {
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

ObjectPtr ObjectStore::unpack(const Entry& entry) {
  if (ObjectPtr object = entry.live.load().lock()) return object;
  // Two readers may unpack at once; both get equal objects and the later one is kept for others.
  auto object = std::make_shared<const Json>(Json::from_msgpack(entry.packed));
  entry.live.store(object);
  return object;
}

ObjectPtr ObjectStore::upsert(ObjectPtr object) {
  const std::string key = keyOf(*object);
  auto entry = std::make_unique<Entry>();
  entry->packed = Json::to_msgpack(*object);  // outside the lock: the costly part
  entry->packed.shrink_to_fit();
  entry->resourceVersion = resourceVersionOf(*object);
  entry->live.store(object);
  const std::unique_lock lock(mutex_);
  ObjectPtr previous;
  auto it = objects_.find(key);
  if (it != objects_.end()) {
    previous = unpack(*it->second);
    unindexObject(key, *previous);
    it->second = std::move(entry);
  } else {
    objects_.emplace(key, std::move(entry));
  }
  indexObject(key, *object);
  if (!recent_.empty()) {
    recent_[nextRecent_] = std::move(object);
    nextRecent_ = (nextRecent_ + 1) % recent_.size();
  }
  return previous;
}

ObjectPtr ObjectStore::erase(const std::string& key) {
  const std::unique_lock lock(mutex_);
  const auto it = objects_.find(key);
  if (it == objects_.end()) return nullptr;
  ObjectPtr previous = unpack(*it->second);
  objects_.erase(it);
  unindexObject(key, *previous);
  return previous;
}

ObjectPtr ObjectStore::get(const std::string& key) const {
  const std::shared_lock lock(mutex_);
  const auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : unpack(*it->second);
}

std::string ObjectStore::resourceVersion(const std::string& key) const {
  const std::shared_lock lock(mutex_);
  const auto it = objects_.find(key);
  return it == objects_.end() ? std::string() : it->second->resourceVersion;
}

std::vector<ObjectPtr> ObjectStore::list() const {
  const std::shared_lock lock(mutex_);
  std::vector<ObjectPtr> out;
  out.reserve(objects_.size());
  for (const auto& [key, entry] : objects_) out.push_back(unpack(*entry));
  return out;
}

std::vector<std::string> ObjectStore::keys() const {
  const std::shared_lock lock(mutex_);
  std::vector<std::string> out;
  out.reserve(objects_.size());
  for (const auto& [key, entry] : objects_) out.push_back(key);
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
  out.reserve(keys->second.size());
  for (const auto& key : keys->second) out.push_back(unpack(*objects_.at(key)));
  return out;
}

}  // namespace launch::kube
