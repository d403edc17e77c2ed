// JobPodInformers: informers on batch/v1 Jobs and their Pods under one label selector, Pods indexed by the Job
// that owns them: the pair every controller that runs work as Jobs watches.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kube/Informer.hpp"
#include "kube/KubeClient.hpp"
#include "util/Clock.hpp"
#include "util/Result.hpp"

namespace launch::kube {

class JobPodInformers {
 public:
  // ns: the namespace to watch (empty: all); labelSelector: which Jobs and Pods.
  JobPodInformers(KubeClient& client, const std::string& ns, const std::string& labelSelector,
                  const Clock& clock = SystemClock::instance());
  ~JobPodInformers();
  JobPodInformers(const JobPodInformers&) = delete;
  JobPodInformers& operator=(const JobPodInformers&) = delete;

  // Starts both with `changed` called for every added, updated or deleted Job or Pod, and returns once both
  // caches are filled (60 s at most; `what` names the watcher in the error).
  Status start(const std::function<void(const ObjectPtr&)>& changed, std::string_view what);
  void stop();

  // The cached Job "ns/name", or null.
  ObjectPtr job(const std::string& key) const;
  // The cached Pods of the Job "ns/name" (the Job controller's job-name label).
  std::vector<ObjectPtr> podsOf(const std::string& jobKey) const;

 private:
  std::unique_ptr<Informer> jobs_;
  std::unique_ptr<Informer> pods_;
};

}  // namespace launch::kube
