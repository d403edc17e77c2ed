// ResourceType: a group/version/resource and how to build its REST paths.
#pragma once

#include <string>
#include <string_view>

namespace launch::kube {

struct ResourceType {
  std::string group;  // empty for the core group
  std::string version;
  std::string resource;  // plural, lower case
  bool namespaced = true;

  // /api/v1/namespaces/ns/pods/name/status, or /apis/group/version/... for named groups. An empty
  // namespace on a namespaced type means all namespaces (collections only); an empty name, the collection.
  std::string path(std::string_view ns = {}, std::string_view name = {}, std::string_view subresource = {}) const;
  std::string apiVersion() const { return group.empty() ? version : group + "/" + version; }
};

namespace resources {
inline const ResourceType kNamespaces{"", "v1", "namespaces", false};
inline const ResourceType kNodes{"", "v1", "nodes", false};
inline const ResourceType kConfigMaps{"", "v1", "configmaps", true};
inline const ResourceType kSecrets{"", "v1", "secrets", true};
inline const ResourceType kPods{"", "v1", "pods", true};
inline const ResourceType kServiceAccounts{"", "v1", "serviceaccounts", true};
inline const ResourceType kEvents{"", "v1", "events", true};
inline const ResourceType kJobs{"batch", "v1", "jobs", true};
inline const ResourceType kLeases{"coordination.k8s.io", "v1", "leases", true};
inline const ResourceType kCustomResourceDefinitions{"apiextensions.k8s.io", "v1", "customresourcedefinitions", false};
}  // namespace resources

}  // namespace launch::kube
