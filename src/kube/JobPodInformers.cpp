// JobPodInformers: the Job and Pod informer pair, its index of Pods by Job, and its start and stop.
#include "kube/JobPodInformers.hpp"

#include "kube/ResourceType.hpp"

namespace launch::kube {

JobPodInformers::JobPodInformers(KubeClient& client, const std::string& ns, const std::string& labelSelector,
                                 const Clock& clock) {
  InformerOptions options;
  options.ns = ns;
  options.labelSelector = labelSelector;
  jobs_ = std::make_unique<Informer>(client, resources::kJobs, options, clock);
  pods_ = std::make_unique<Informer>(client, resources::kPods, options, clock);
  pods_->store().addIndex("job", [](const Json& o) -> std::vector<std::string> {
    const Json& meta = o["metadata"];
    const Json& labels = meta.value("labels", Json::object());
    const auto it = labels.find("job-name");
    if (it == labels.end() || !it->is_string()) return {};
    return {meta.value("namespace", "") + "/" + it->get<std::string>()};
  });
}

JobPodInformers::~JobPodInformers() { stop(); }

Status JobPodInformers::start(const std::function<void(const ObjectPtr&)>& changed, std::string_view what) {
  for (auto* informer : {jobs_.get(), pods_.get()}) {
    informer->addHandler({changed, [changed](const ObjectPtr&, const ObjectPtr& o) { changed(o); },
                          [changed](const ObjectPtr& o, bool) { changed(o); }});
    informer->start();
  }
  for (auto* informer : {jobs_.get(), pods_.get()}) {
    if (!informer->waitForSync(std::chrono::seconds(60))) {
      return makeError(ErrorCode::Unavailable, "the " + std::string(what) +
                                                   " Job and Pod caches did not fill within 60 s; may this service "
                                                   "account list and watch batch/v1 Jobs and Pods?");
    }
  }
  return {};
}

void JobPodInformers::stop() {
  for (auto* informer : {jobs_.get(), pods_.get()}) {
    if (informer != nullptr) informer->stop();
  }
}

ObjectPtr JobPodInformers::job(const std::string& key) const { return jobs_->store().get(key); }

std::vector<ObjectPtr> JobPodInformers::podsOf(const std::string& jobKey) const {
  return pods_->store().byIndex("job", jobKey);
}

}  // namespace launch::kube
