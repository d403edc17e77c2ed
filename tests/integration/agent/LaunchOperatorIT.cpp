// End to end on the full control plane: the launch.dev CRDs installed from crds/, the real launch-operator
// process, and the test kubelet moving pods. Jobs run in order and within limits, bad input is refused
// clearly without losing anything, cancellation works, and a kill -9 of the operator loses nothing.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "api/JobConfig.hpp"
#include "api/Resources.hpp"
#include "api/YamlToJson.hpp"
#include "backends/Backend.hpp"
#include "backends/KubernetesJobManifest.hpp"
#include "kube/Informer.hpp"
#include "support/Command.hpp"
#include "support/ControlPlane.hpp"
#include "support/Eventually.hpp"
#include "support/FreePort.hpp"
#include "support/OperatorProcess.hpp"
#include "support/OperatorTest.hpp"
#include "support/TestKubelet.hpp"
#include "util/Files.hpp"

namespace launch::testing {
namespace {

class LaunchOperatorIT : public OperatorTest {
 protected:
  // Creates the batch/v1 Job the operator makes for LaunchJob `name` on `agent`, as an operator that died between
  // that create and the status write recording it leaves it.
  Result<Json> createItsJob(const std::string& name, const std::string& agent) {
    auto launchJob = api::LaunchJob::fromJson(job(name));
    if (!launchJob) return launchJob.error();
    auto queueObject = client().get(kQueues, ns_, launchJob->spec.queue);
    if (!queueObject) return queueObject.error();
    auto queue = api::LaunchQueue::fromJson(*queueObject);
    if (!queue) return queue.error();
    auto config = api::resolveJobConfig(queue->spec, launchJob->spec);
    if (!config) return config.error();
    auto manifest = backends::buildKubernetesJob(*launchJob, *config, agent, "registry.local/train:1");
    if (!manifest) return manifest.error();
    return client().create(res::kJobs, ns_, *manifest);
  }
};

TEST_F(LaunchOperatorIT, RunsJobsOneAtATimeInFifoOrderWithMaxJobsOne) {
  createQueue("fifo", {});
  createAgent("agent", {"fifo"}, 1);
  for (const char* name : {"first", "second", "third"}) {
    createJob(name, "fifo");
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // creationTimestamp has one-second resolution
  }
  const std::vector<std::string> order = {"first", "second", "third"};
  for (size_t i = 0; i < order.size(); ++i) {
    ASSERT_TRUE(eventually([&] { return batchJobsFor("launch.dev/job=" + order[i]).size() == 1; })) << order[i];
    // One at a time, in order: nothing after it has a Job yet.
    for (size_t later = i + 1; later < order.size(); ++later) {
      EXPECT_TRUE(batchJobsFor("launch.dev/job=" + order[later]).empty()) << order[later] << " started early";
      EXPECT_EQ(phase(order[later]), "Queued");
    }
    runToEnd(order[i]);
  }
  for (const char* name : {"first", "second", "third"}) EXPECT_EQ(phase(name), "Succeeded");
  auto agent = client().get(kAgents, ns_, "agent");
  ASSERT_TRUE(agent.ok());
  EXPECT_FALSE(field(*agent, "status", "lastHeartbeatTime").empty());
}

TEST_F(LaunchOperatorIT, ACriticalJobOvertakesEarlierLowOnesWhenPrioritizationIsOn) {
  createQueue("prio", {{"prioritization", true}});
  createJob("blocker", "prio", {{"priority", "low"}});
  createAgent("agent", {"prio"}, 1);
  ASSERT_TRUE(eventually([&] { return phase("blocker") == "Running"; }));
  createJob("low-1", "prio", {{"priority", "low"}});
  createJob("low-2", "prio", {{"priority", "low"}});
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  createJob("urgent", "prio", {{"priority", "critical"}});
  ASSERT_TRUE(eventually([&] { return phase("urgent") == "Queued"; }));
  runToEnd("blocker");
  ASSERT_TRUE(eventually([&] { return phase("urgent") == "Running"; })) << job("urgent").dump();
  EXPECT_EQ(phase("low-1"), "Queued");
  EXPECT_EQ(phase("low-2"), "Queued");
}

TEST_F(LaunchOperatorIT, TwoAgentsOnOneQueueRunEachOfAHundredJobsExactlyOnce) {
  createQueue("shared", {});
  createAgent("agent-a", {"shared"}, 10);
  createAgent("agent-b", {"shared"}, 10);
  constexpr int kJobs = 100;
  for (int i = 0; i < kJobs; ++i) createJob("job-" + std::to_string(i), "shared");
  TestKubelet kubelet(client());
  std::set<std::string> done;
  std::map<std::string, int> podsPerJob;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (static_cast<int>(done.size()) < kJobs && std::chrono::steady_clock::now() < deadline) {
    auto pods = client().list(res::kPods, ns_, {"launch.dev/job", "", 0, "", ""});
    ASSERT_TRUE(pods.ok());
    for (const auto& pod : (*pods)["items"]) {
      const std::string owner = pod["metadata"]["labels"].value("launch.dev/job", "");
      const std::string name = pod["metadata"]["name"];
      if (field(pod, "spec", "nodeName").empty() || field(pod, "status", "phase") == "Succeeded") continue;
      ASSERT_TRUE(kubelet.succeed(ns_, name).ok());
      ++podsPerJob[owner];
    }
    auto jobs = client().list(kLaunchJobs, ns_);
    ASSERT_TRUE(jobs.ok());
    int running = 0;
    for (const auto& j : (*jobs)["items"]) {
      if (field(j, "status", "phase") == "Succeeded") done.insert(j["metadata"]["name"]);
      if (field(j, "status", "phase") == "Running") ++running;
    }
    ASSERT_LE(running, 20) << "more jobs running than the two agents' maxJobs";
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(static_cast<int>(done.size()), kJobs);
  auto batch = client().list(res::kJobs, ns_, {"launch.dev/job", "", 0, "", ""});
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ((*batch)["items"].size(), static_cast<size_t>(kJobs)) << "each LaunchJob has exactly one Job";
  for (const auto& [owner, pods] : podsPerJob) EXPECT_EQ(pods, 1) << owner << " ran more than once";
  std::map<std::string, int> perAgent;
  auto jobs = client().list(kLaunchJobs, ns_);
  for (const auto& j : (*jobs)["items"]) ++perAgent[field(j, "status", "agent")];
  EXPECT_EQ(perAgent["agent-a"] + perAgent["agent-b"], kJobs);
  std::printf("agent-a ran %d jobs, agent-b %d\n", perAgent["agent-a"], perAgent["agent-b"]);
}

TEST_F(LaunchOperatorIT, AKilledOperatorAdoptsItsRunningJobsAndNeverMakesASecondJob) {
  createQueue("q", {});
  createAgent("agent", {"q"}, 2);
  createJob("survivor-1", "q");
  createJob("survivor-2", "q");
  ASSERT_TRUE(eventually([&] { return batchJobsFor().size() == 2; }));
  TestKubelet kubelet(client());
  auto pod1 = kubelet.waitForScheduledPod(ns_, "launch.dev/job=survivor-1");
  ASSERT_TRUE(pod1.ok());
  ASSERT_TRUE(kubelet.run(ns_, (*pod1)["metadata"]["name"]).ok());
  ASSERT_TRUE(eventually([&] { return !field(job("survivor-1"), "status", "startTime").empty(); }));

  operator_->kill(SIGKILL);
  // While it is down, one run finishes.
  ASSERT_TRUE(kubelet.succeed(ns_, (*pod1)["metadata"]["name"]).ok());
  startOperator();
  ASSERT_TRUE(eventually([&] { return phase("survivor-1") == "Succeeded"; })) << job("survivor-1").dump();
  auto pod2 = kubelet.waitForScheduledPod(ns_, "launch.dev/job=survivor-2");
  ASSERT_TRUE(pod2.ok());
  ASSERT_TRUE(kubelet.succeed(ns_, (*pod2)["metadata"]["name"]).ok());
  ASSERT_TRUE(eventually([&] { return phase("survivor-2") == "Succeeded"; }));
  EXPECT_EQ(batchJobsFor().size(), 2U) << "a restart must never create a second Job";
}

// The short path: a new image job on a kubernetes queue with room is claimed in its first status write (never
// Queued), and its finalizer comes right after its Job exists. A job that waits is Queued. Every state the API
// server held is seen, through a watch started before the jobs.
TEST_F(LaunchOperatorIT, ANewJobWithRoomIsClaimedAtOnceAndAJobWithoutRoomWaitsQueued) {
  struct Seen {
    std::vector<std::string> phases;  // each distinct status.phase, in order ("" before the first write)
    bool finalizerBeforeRun = false;  // the finalizer was there while status.backendRef was still empty
    bool finalizerWithRun = false;    // the finalizer was there with status.backendRef set
    bool claimedWithoutRun = false;   // a phase was written while status.backendRef was still empty
  };
  std::mutex mutex;
  std::map<std::string, Seen> seen;
  kube::InformerOptions options;
  options.ns = ns_;
  kube::Informer watch(client(), kLaunchJobs, options);
  auto record = [&](const kube::ObjectPtr& o) {
    const std::lock_guard lock(mutex);
    Seen& s = seen[(*o)["metadata"].value("name", "")];
    const std::string phase = field(*o, "status", "phase");
    if (s.phases.empty() || s.phases.back() != phase) s.phases.push_back(phase);
    bool finalizer = false;
    for (const auto& f : (*o)["metadata"].value("finalizers", Json::array())) finalizer |= f == "launch.dev/cleanup";
    const bool run = !field(*o, "status", "backendRef").empty();
    if (!phase.empty() && !run) s.claimedWithoutRun = true;
    if (finalizer) (run ? s.finalizerWithRun : s.finalizerBeforeRun) = true;
  };
  watch.addHandler({record, [&](const kube::ObjectPtr&, const kube::ObjectPtr& o) { record(o); }, nullptr});
  watch.start();
  ASSERT_TRUE(watch.waitForSync(std::chrono::seconds(30)));

  createQueue("q", {});
  createAgent("agent", {"q"}, 1);
  createJob("with-room", "q");
  ASSERT_TRUE(eventually([&] { return batchJobsFor().size() == 1; }));
  createJob("without-room", "q");
  ASSERT_TRUE(eventually([&] { return phase("without-room") == "Queued"; })) << job("without-room").dump();
  ASSERT_TRUE(eventually([&] {
    const std::lock_guard lock(mutex);
    return seen["with-room"].finalizerWithRun;
  })) << "the finalizer never came after the Job: "
      << job("with-room").dump();
  watch.stop();

  const std::lock_guard lock(mutex);
  const Seen& first = seen["with-room"];
  EXPECT_EQ(first.phases, (std::vector<std::string>{"", "Running"})) << "the job was not claimed in one write";
  EXPECT_FALSE(first.claimedWithoutRun) << "the claim of a job whose Job is named after it is written with the run";
  EXPECT_FALSE(first.finalizerBeforeRun) << "an owned Job needs no finalizer before it exists";
  const Seen& second = seen["without-room"];
  ASSERT_FALSE(second.phases.empty());
  EXPECT_EQ(second.phases.back(), "Queued");
  EXPECT_FALSE(second.finalizerBeforeRun || second.finalizerWithRun) << "a job with no run holds no finalizer";
  EXPECT_EQ(batchJobsFor().size(), 1U) << "maxJobs 1 holds";
}

TEST_F(LaunchOperatorIT, BadInputIsRefusedClearlyAndNothingIsLost) {
  createAgent("agent", {"gpu"}, 5);
  createJob("early", "gpu");  // its queue does not exist yet
  ASSERT_TRUE(eventually([&] { return phase("early") == "Queued"; }));
  EXPECT_NE(message("early").find("LaunchQueue 'gpu' does not exist"), std::string::npos) << message("early");

  createQueue("gpu", Json::parse(R"({
    "templateVariables": {"gpus": {"type": "integer", "minimum": 0, "maximum": 8, "default": 1}},
    "config": {"spec": {"template": {"spec": {"containers": [
      {"name": "main", "resources": {"limits": {"nvidia.com/gpu": "{{gpus}}"}}}]}}}}})"));
  ASSERT_TRUE(eventually([&] { return phase("early") == "Running"; })) << "the waiting job runs once its queue exists";

  createJob("too-many-gpus", "gpu", {{"templateValues", {{"gpus", 64}}}});
  ASSERT_TRUE(eventually([&] { return phase("too-many-gpus") == "Failed"; })) << job("too-many-gpus").dump();
  EXPECT_NE(message("too-many-gpus").find("spec.templateValues.gpus"), std::string::npos) << message("too-many-gpus");

  createJob("broken-override", "gpu", {{"overrides", {{"spec", {{"backoffLimit", "many"}}}}}});
  ASSERT_TRUE(eventually([&] { return phase("broken-override") == "Failed"; })) << job("broken-override").dump();
  EXPECT_NE(message("broken-override").find("backoffLimit"), std::string::npos) << message("broken-override");

  // The API server itself refuses what the schema forbids.
  auto refused = client().create(kLaunchJobs, ns_, Json::parse(R"({
    "apiVersion": "launch.dev/v1alpha1", "kind": "LaunchJob", "metadata": {"name": "bad-priority"},
    "spec": {"queue": "gpu", "priority": "urgent", "source": {"image": "x"}}})"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("spec.priority"), std::string::npos) << refused.error().message;
  EXPECT_EQ(phase("early"), "Running") << "nothing already running is disturbed";
}

TEST_F(LaunchOperatorIT, CancelsBySpecCancelAndByDelete) {
  createQueue("q", {});
  createAgent("agent", {"q"}, 2);
  createJob("by-flag", "q");
  createJob("by-delete", "q");
  ASSERT_TRUE(eventually([&] { return batchJobsFor().size() == 2; }));
  ASSERT_TRUE(client().patch(kLaunchJobs, ns_, "by-flag", {{"spec", {{"cancel", true}}}}).ok());
  ASSERT_TRUE(eventually([&] { return phase("by-flag") == "Cancelled"; })) << job("by-flag").dump();
  ASSERT_TRUE(client().remove(kLaunchJobs, ns_, "by-delete").ok());
  ASSERT_TRUE(eventually([&] { return !client().get(kLaunchJobs, ns_, "by-delete").ok(); }))
      << "the finalizer was not released";
  ASSERT_TRUE(eventually([&] {
    for (const auto& owner : batchJobsFor()) {
      if (owner == "by-flag" || owner == "by-delete") {
        auto j = client().list(res::kJobs, ns_, {"launch.dev/job=" + owner, "", 0, "", ""});
        if (j.ok() && !(*j)["items"].empty() && !(*j)["items"][0]["metadata"].contains("deletionTimestamp"))
          return false;
      }
    }
    return true;
  })) << "the cancelled jobs' Jobs were not deleted";
}

// A cancel that lands between the Job's create and the status write recording it: the status names no run,
// yet the Job exists and must go. Played deterministically with the operator stopped.
TEST_F(LaunchOperatorIT, CancellingAJobWhoseRunWasNeverRecordedStillDeletesItsJob) {
  createQueue("q", {});
  createAgent("agent", {"q"}, 1);
  createJob("unrecorded", "q");
  ASSERT_TRUE(eventually([&] { return !field(job("unrecorded"), "status", "backendRef").empty(); }));
  operator_->kill(SIGKILL);
  ASSERT_TRUE(
      client()
          .patch(kLaunchJobs, ns_, "unrecorded", {{"status", {{"backendRef", ""}}}}, kube::PatchType::Merge, "status")
          .ok());
  ASSERT_TRUE(client().patch(kLaunchJobs, ns_, "unrecorded", {{"spec", {{"cancel", true}}}}).ok());
  ASSERT_EQ(batchJobsFor().size(), 1U);
  startOperator();
  ASSERT_TRUE(eventually([&] { return phase("unrecorded") == "Cancelled"; })) << job("unrecorded").dump();
  ASSERT_TRUE(eventually([&] {
    auto j = client().list(res::kJobs, ns_, {"launch.dev/job=unrecorded", "", 0, "", ""});
    return j.ok() && ((*j)["items"].empty() || (*j)["items"][0]["metadata"].contains("deletionTimestamp"));
  })) << "the Job of a cancelled LaunchJob was left running";
}

// What a restart between a Job's create and the status write that records its claim leaves: a Job named
// after a LaunchJob that is still Queued. The claim finds that Job and adopts it; no second Job is made.
TEST_F(LaunchOperatorIT, AClaimWhoseJobAlreadyExistsAdoptsItAndMakesNoSecond) {
  createQueue("q", {});
  createAgent("agent", {"q"}, 0);
  createJob("made-before", "q");
  ASSERT_TRUE(eventually([&] { return phase("made-before") == "Queued"; })) << job("made-before").dump();
  auto existing = createItsJob("made-before", "agent");
  ASSERT_TRUE(existing.ok()) << existing.error().describe();
  auto launchJob = api::LaunchJob::fromJson(job("made-before"));
  ASSERT_TRUE(launchJob.ok()) << launchJob.error().message;

  ASSERT_TRUE(client().patch(kAgents, ns_, "agent", {{"spec", {{"maxJobs", 1}}}}).ok());
  ASSERT_TRUE(eventually([&] { return !field(job("made-before"), "status", "backendRef").empty(); }))
      << job("made-before").dump();
  EXPECT_EQ(phase("made-before"), "Running");
  EXPECT_NE(field(job("made-before"), "status", "backendRef").find(backends::runName(*launchJob)), std::string::npos)
      << job("made-before").dump();
  const auto jobs = client().list(res::kJobs, ns_, {"launch.dev/job=made-before", "", 0, "", ""});
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ((*jobs)["items"].size(), 1U) << "a second Job was made";
  EXPECT_EQ((*jobs)["items"][0]["metadata"].value("uid", ""), (*existing)["metadata"].value("uid", ""));
}

// A restart between a Job's create and the write that records its claim, while a more urgent job waits: the
// Job found in the cache counts against its agent's maxJobs (so the urgent job does not get a second slot) and
// is adopted.
TEST_F(LaunchOperatorIT, ARunMadeBeforeARestartCountsAgainstMaxJobsAndIsAdopted) {
  createQueue("q", {{"prioritization", true}});
  createAgent("agent", {"q"}, 0);
  createJob("made-before", "q", {{"priority", "low"}});
  createJob("urgent", "q", {{"priority", "critical"}});
  ASSERT_TRUE(eventually([&] { return phase("made-before") == "Queued" && phase("urgent") == "Queued"; }));
  operator_->kill(SIGKILL);

  // What the killed operator left: the low job's Job, made for agent "agent", its claim never written.
  auto existing = createItsJob("made-before", "agent");
  ASSERT_TRUE(existing.ok()) << existing.error().describe();
  ASSERT_TRUE(client().patch(kAgents, ns_, "agent", {{"spec", {{"maxJobs", 1}}}}).ok());

  startOperator();
  ASSERT_TRUE(eventually([&] { return !field(job("made-before"), "status", "backendRef").empty(); }))
      << job("made-before").dump();
  EXPECT_EQ(phase("made-before"), "Running");
  EXPECT_EQ(field(job("made-before"), "status", "agent"), "agent");
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(phase("urgent"), "Queued") << "the agent's one slot is taken by the adopted run";
  EXPECT_EQ(batchJobsFor().size(), 1U) << "maxJobs 1 holds across the restart";
}

// A burst of claims: the runs are created first and their records follow, so the API server's writes go to
// starting runs. The etcd revisions order every write: the Jobs' creates come before (nearly) all records.
TEST_F(LaunchOperatorIT, ABurstCreatesTheRunsBeforeWritingTheirRecords) {
  constexpr int kJobs = 30;
  std::mutex mutex;
  std::vector<long long> creates;            // resourceVersion of each Job's create
  std::map<std::string, long long> records;  // LaunchJob -> resourceVersion of the write that recorded its run
  kube::InformerOptions options;
  options.ns = ns_;
  kube::Informer batchJobs(client(), res::kJobs, options);
  batchJobs.addHandler({[&](const kube::ObjectPtr& o) {
                          const std::lock_guard lock(mutex);
                          creates.push_back(std::stoll((*o)["metadata"].value("resourceVersion", "0")));
                        },
                        nullptr, nullptr});
  kube::Informer launchJobs(client(), kLaunchJobs, options);
  auto record = [&](const kube::ObjectPtr& o) {
    if (field(*o, "status", "backendRef").empty()) return;
    const std::lock_guard lock(mutex);
    records.emplace((*o)["metadata"].value("name", ""), std::stoll((*o)["metadata"].value("resourceVersion", "0")));
  };
  launchJobs.addHandler({record, [&](const kube::ObjectPtr&, const kube::ObjectPtr& o) { record(o); }, nullptr});
  batchJobs.start();
  launchJobs.start();
  ASSERT_TRUE(batchJobs.waitForSync(std::chrono::seconds(30)) && launchJobs.waitForSync(std::chrono::seconds(30)));

  // This operator serves its metrics: the reconciles it counts show that waiting records do not spin.
  operator_.reset();
  const int metricsPort = freeLoopbackPort();
  metricsAddress_ = "127.0.0.1:" + std::to_string(metricsPort);
  startOperator();
  httplib::Client metrics("127.0.0.1", metricsPort);
  const auto jobReconciles = [&]() -> double {
    auto answer = metrics.Get("/metrics");
    if (!answer || answer->status != 200) return -1;
    double total = 0;
    std::istringstream lines(answer->body);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("controller_runtime_reconcile_total{controller=\"job\"", 0) == 0) {
        total += std::stod(line.substr(line.rfind(' ') + 1));
      }
    }
    return total;
  };
  ASSERT_TRUE(eventually([&] { return jobReconciles() >= 0; })) << operator_->log();

  createQueue("q", {});
  createAgent("agent", {"q"}, 0);
  for (int i = 0; i < kJobs; ++i) createJob("burst-" + std::to_string(i), "q");
  ASSERT_TRUE(eventually([&] {
    for (int i = 0; i < kJobs; ++i) {
      if (phase("burst-" + std::to_string(i)) != "Queued") return false;
    }
    return true;
  }));
  const double reconcilesBefore = jobReconciles();
  ASSERT_TRUE(client().patch(kAgents, ns_, "agent", {{"spec", {{"maxJobs", -1}}}}).ok());
  ASSERT_TRUE(eventually([&] {
    const std::lock_guard lock(mutex);
    return records.size() == static_cast<size_t>(kJobs);
  })) << "not every run was recorded";
  // Each job: its claim and run, its Job's event, its record and the record's event, and a few more for the
  // finalizer, its pod and the status the Job controller writes: about 6.5 per job here. A record handed out
  // again and again while it waits shows as thousands (7,957 for these 30 jobs); 15 per job leaves room for
  // retries on a slow machine.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double reconciled = jobReconciles() - reconcilesBefore;
  EXPECT_LE(reconciled, 15.0 * kJobs) << "job reconciles while the burst was dispatched: " << reconciled;
  batchJobs.stop();
  launchJobs.stop();

  const std::lock_guard lock(mutex);
  ASSERT_EQ(creates.size(), static_cast<size_t>(kJobs)) << "one Job per LaunchJob";
  const long long lastCreate = *std::max_element(creates.begin(), creates.end());
  int recordedEarly = 0;
  for (const auto& [name, version] : records) recordedEarly += version < lastCreate ? 1 : 0;
  // The dispatch pass claims all 30 in memory at once; only a worker that made its run before the pass had
  // claimed the rest could write its record early.
  EXPECT_LE(recordedEarly, 3) << "records were written while runs still waited to be created";
}

TEST_F(LaunchOperatorIT, SurfacesImagePullFailuresAndFailsAJobThatNeverStarts) {
  createQueue("q", {{"startTimeoutSeconds", 5}});
  createAgent("agent", {"q"}, 1);
  createJob("no-image", "q");
  TestKubelet kubelet(client());
  auto pod = kubelet.waitForScheduledPod(ns_, "launch.dev/job=no-image");
  ASSERT_TRUE(pod.ok());
  ASSERT_TRUE(
      kubelet.waiting(ns_, (*pod)["metadata"]["name"], "ImagePullBackOff", "Back-off pulling image \"x\"").ok());
  ASSERT_TRUE(eventually([&] { return message("no-image").find("ImagePullBackOff") != std::string::npos; }))
      << job("no-image").dump();
  ASSERT_TRUE(eventually([&] { return phase("no-image") == "Failed"; }, std::chrono::seconds(30)))
      << job("no-image").dump();
  EXPECT_NE(message("no-image").find("did not start within 5s"), std::string::npos) << message("no-image");
  EXPECT_EQ(finishedReason("no-image"), "ImagePullBackOff");
  EXPECT_NE(message("no-image").find("ImagePullBackOff"), std::string::npos) << message("no-image");
}

TEST_F(LaunchOperatorIT, AnOomKilledPodEndsTheJobFailedWithThatReason) {
  createQueue("q", {});
  createAgent("agent", {"q"}, 1);
  createJob("hungry", "q");
  TestKubelet kubelet(client());
  auto pod = kubelet.waitForScheduledPod(ns_, "launch.dev/job=hungry");
  ASSERT_TRUE(pod.ok());
  ASSERT_TRUE(kubelet.run(ns_, (*pod)["metadata"]["name"]).ok());
  ASSERT_TRUE(kubelet.fail(ns_, (*pod)["metadata"]["name"], 137, "OOMKilled").ok());
  ASSERT_TRUE(eventually([&] { return phase("hungry") == "Failed"; })) << job("hungry").dump();
  EXPECT_EQ(finishedReason("hungry"), "OOMKilled");
  EXPECT_NE(message("hungry").find("OOMKilled"), std::string::npos) << message("hungry");
}

TEST_F(LaunchOperatorIT, ServesMetricsAndHealthAndReleasesItsLeaseOnSigterm) {
  createQueue("q", {});
  createAgent("agent", {"q"}, 1);
  createJob("counted", "q");
  ASSERT_TRUE(eventually([&] { return phase("counted") == "Running"; }));
  operator_.reset();  // the elected operator below takes over

  const int metricsPort = freeLoopbackPort();
  const int healthPort = freeLoopbackPort();
  OperatorProcess elected(
      LAUNCH_OPERATOR,
      {"--kubeconfig", plane().kubeconfigPath(), "--namespace", ns_, "--leader-elect", "--leader-election-namespace",
       ns_, "--metrics-bind-address", "127.0.0.1:" + std::to_string(metricsPort), "--health-probe-bind-address",
       "127.0.0.1:" + std::to_string(healthPort), "--log-format", "json"},
      plane().directory() + "/elected-" + ns_ + ".log");
  httplib::Client health("127.0.0.1", healthPort);
  ASSERT_TRUE(eventually([&] {
    auto ready = health.Get("/readyz");
    return ready && ready->status == 200;
  })) << elected.log();
  auto alive = health.Get("/healthz");
  ASSERT_TRUE(alive && alive->status == 200);

  httplib::Client metricsClient("127.0.0.1", metricsPort);
  ASSERT_TRUE(eventually([&] {
    auto m = metricsClient.Get("/metrics");
    return m && m->body.find("launch_queue_running_jobs{namespace=\"" + ns_ + "\",queue=\"q\"} 1") != std::string::npos;
  })) << metricsClient.Get("/metrics")->body;
  const std::string metrics = metricsClient.Get("/metrics")->body;
  for (const char* name : {"controller_runtime_reconcile_total", "controller_runtime_reconcile_time_seconds_bucket",
                           "workqueue_depth", "workqueue_adds_total", "launch_queue_pending_jobs"}) {
    EXPECT_NE(metrics.find(name), std::string::npos) << name;
  }
  auto lease = client().get(res::kLeases, ns_, "launch-operator");
  ASSERT_TRUE(lease.ok()) << lease.error().describe();
  EXPECT_FALSE((*lease)["spec"].value("holderIdentity", "").empty());
  EXPECT_NE(elected.log().find("\"level\":\"info\""), std::string::npos) << "JSON logs: " << elected.log();

  elected.kill(SIGTERM);  // kill() waits for the exit
  lease = client().get(res::kLeases, ns_, "launch-operator");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"].value("holderIdentity", "x"), "") << "the lease is released on SIGTERM";
  EXPECT_EQ(phase("counted"), "Running") << "stopping loses nothing";
}

}  // namespace
}  // namespace launch::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new launch::testing::ControlPlaneEnvironment({.full = true}));
  return RUN_ALL_TESTS();
}
