// Benchmark: the real launch-operator on a real control plane: dispatch latency, throughput vs. raw Jobs, RSS.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/JobConfig.hpp"
#include "api/LaunchJob.hpp"
#include "api/LaunchQueue.hpp"
#include "api/Resources.hpp"
#include "api/YamlToJson.hpp"
#include "backends/KubernetesJobManifest.hpp"
#include "http/HttpClient.hpp"
#include "kube/Informer.hpp"
#include "kube/KubeClient.hpp"
#include "support/ControlPlane.hpp"
#include "support/FreePort.hpp"
#include "support/OperatorProcess.hpp"
#include "util/Files.hpp"

namespace launch::bench {
namespace {

using kube::Json;
using Stopwatch = std::chrono::steady_clock;
namespace res = kube::resources;
const kube::ResourceType& kQueues = api::kLaunchQueues;
const kube::ResourceType& kAgents = api::kLaunchAgents;
const kube::ResourceType& kLaunchJobs = api::kLaunchJobs;

struct Settings {
  int latencyJobs = 200;
  int throughputJobs = 1000;
  int threads = 8;
  int rssJobs = 10000;
  int operatorWorkers = 0;  // 0: the operator's default --workers
  bool withPods = false;    // false: the queue's Jobs are created suspended, so the controller-manager makes no pods
  std::chrono::seconds rssSettle{60};  // the longest wait for status.pending after the last post
};

// --latency N --throughput N --threads N --rss N --rss-settle SECONDS --operator-workers N --with-pods;
// nullopt on a bad flag.
std::optional<Settings> parseSettings(int argc, char** argv) {
  Settings s;
  const std::map<std::string, int*> numbers = {{"--latency", &s.latencyJobs},
                                               {"--throughput", &s.throughputJobs},
                                               {"--threads", &s.threads},
                                               {"--rss", &s.rssJobs},
                                               {"--operator-workers", &s.operatorWorkers}};
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--with-pods") {
      s.withPods = true;
    } else if (numbers.count(flag) != 0 && i + 1 < argc) {
      *numbers.at(flag) = std::atoi(argv[++i]);
    } else if (flag == "--rss-settle" && i + 1 < argc) {
      s.rssSettle = std::chrono::seconds(std::atoi(argv[++i]));
    } else {
      return std::nullopt;
    }
  }
  if (s.threads < 1) s.threads = 1;
  return s;
}

double millisBetween(Stopwatch::time_point from, Stopwatch::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// The resident set of a process in MiB, from /proc/<pid>/status (field VmRSS or VmHWM); -1 when unreadable.
double residentMiB(pid_t pid, const std::string& field = "VmRSS") {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::strtod(line.c_str() + field.size() + 1, nullptr) / 1024.0;
  }
  return -1;
}

// CPU seconds (user + system) a process has used, from /proc/<pid>/stat; -1 when unreadable.
double cpuSeconds(pid_t pid) {
  std::ifstream statFile("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(statFile)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::strtod(field.c_str(), nullptr);  // utime, stime
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Prometheus text exposition samples, summed by a key built from the labels the caller cares about.
// `keyOf` returns "" for samples to skip.
using SampleKey = std::function<std::string(const std::string& name, const std::map<std::string, std::string>&)>;
std::map<std::string, double> sumSamples(const std::string& text, const SampleKey& keyOf) {
  std::map<std::string, double> sums;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto brace = line.find('{');
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    std::map<std::string, std::string> labels;
    std::string name = line.substr(0, std::min(brace, space));
    if (brace != std::string::npos && brace < space) {
      size_t at = brace + 1;
      while (at < line.size() && line[at] != '}') {
        const auto equals = line.find("=\"", at);
        if (equals == std::string::npos) break;
        std::string value;
        size_t v = equals + 2;
        for (; v < line.size() && line[v] != '"'; ++v) {
          if (line[v] == '\\' && v + 1 < line.size()) ++v;
          value += line[v];
        }
        labels[line.substr(at, equals - at)] = value;
        at = v + 1;
        if (at < line.size() && line[at] == ',') ++at;
      }
    }
    const std::string key = keyOf(name, labels);
    if (!key.empty()) sums[key] += std::strtod(line.c_str() + space + 1, nullptr);
  }
  return sums;
}

// "VERB resource[/subresource]" -> writes served by the API server, from all clients.
std::map<std::string, double> apiWrites(kube::KubeClient& client) {
  auto metrics = client.raw("GET", "/metrics");
  if (!metrics || metrics->status != 200) return {};
  return sumSamples(metrics->body, [](const std::string& name, const std::map<std::string, std::string>& l) {
    if (name != "apiserver_request_total") return std::string();
    const std::string verb = l.count("verb") != 0 ? l.at("verb") : "";
    if (verb != "POST" && verb != "PUT" && verb != "PATCH" && verb != "DELETE") return std::string();
    const std::string sub = l.count("subresource") != 0 ? l.at("subresource") : "";
    return verb + " " + (l.count("resource") != 0 ? l.at("resource") : "?") + (sub.empty() ? "" : "/" + sub);
  });
}

// "controller count" and "controller seconds" -> the operator's reconciles so far, from its /metrics.
std::map<std::string, double> reconcileTotals(int metricsPort) {
  http::HttpClient http(http::HttpClientOptions{});
  http::HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(metricsPort) + "/metrics";
  request.timeout = std::chrono::seconds(10);
  auto metrics = http.send(request);
  if (!metrics || metrics->status != 200) return {};
  return sumSamples(metrics->body, [](const std::string& name, const std::map<std::string, std::string>& l) {
    const std::string controller = l.count("controller") != 0 ? l.at("controller") : "";
    if (name == "controller_runtime_reconcile_time_seconds_count") return controller + " count";
    if (name == "controller_runtime_reconcile_time_seconds_sum") return controller + " seconds";
    return std::string();
  });
}

std::map<std::string, double> difference(std::map<std::string, double> after,
                                         const std::map<std::string, double>& before) {
  for (auto& [key, value] : after) {
    if (before.count(key) != 0) value -= before.at(key);
  }
  return after;
}

std::string formatNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof text, value >= 100 ? "%.0f" : "%.2f", value);
  return text;
}

// The nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<size_t>(std::max(1.0, std::ceil(p / 100.0 * static_cast<double>(sorted.size()))));
  return sorted[std::min(rank, sorted.size()) - 1];
}

// When each batch/v1 Job labelled launch.dev/job first appeared in one namespace, keyed by that label, as
// seen by a watch (an informer) from this process.
class JobArrivals {
 public:
  JobArrivals(kube::KubeClient& client, const std::string& ns)
      : informer_(client, res::kJobs, kube::InformerOptions{ns, "launch.dev/job", "", 500}) {
    informer_.addHandler({[this](const kube::ObjectPtr& o) { record(*o); }, nullptr, nullptr});
    informer_.start();
  }
  ~JobArrivals() { informer_.stop(); }
  JobArrivals(const JobArrivals&) = delete;
  JobArrivals& operator=(const JobArrivals&) = delete;

  bool waitForSync() { return informer_.waitForSync(std::chrono::seconds(30)); }

  std::optional<Stopwatch::time_point> waitFor(const std::string& launchJob, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, timeout, [&] { return arrivals_.count(launchJob) != 0; })) return std::nullopt;
    return arrivals_.at(launchJob);
  }

  // The arrival time of the last of `count` Jobs, or nullopt when fewer arrived within the timeout.
  std::optional<Stopwatch::time_point> waitForCount(size_t count, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, timeout, [&] { return arrivals_.size() >= count; })) return std::nullopt;
    return last_;
  }

  size_t count() {
    const std::lock_guard lock(mutex_);
    return arrivals_.size();
  }

 private:
  void record(const Json& job) {
    const auto now = Stopwatch::now();
    const std::string owner = job["metadata"]["labels"].value("launch.dev/job", "");
    {
      const std::lock_guard lock(mutex_);
      if (!arrivals_.emplace(owner, now).second) return;
      last_ = now;
    }
    changed_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, Stopwatch::time_point> arrivals_;
  Stopwatch::time_point last_;
  kube::Informer informer_;  // last: stopped before the members its handler uses go away
};

Json launchJob(const std::string& name, const std::string& queue) {
  return {{"apiVersion", "launch.dev/v1alpha1"},
          {"kind", "LaunchJob"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"queue", queue},
            {"source", {{"image", "registry.local/train:1"}}},
            {"entryPoint", {"python", "train.py"}},
            {"args", {"--epochs", "1"}}}}};
}

// The queue's config: the Jobs' shape for both the operator and the raw run.
Json queueConfig(const Settings& settings) {
  return settings.withPods ? Json::object() : Json{{"spec", {{"suspend", true}}}};
}

// The benchmark's world: one control plane with the CRDs, and one operator process at a time.
class Bench {
 public:
  Bench(std::unique_ptr<testing::ControlPlane> plane, Settings settings)
      : plane_(std::move(plane)), settings_(settings), client_(plane_->config()) {}

  Status installCrds() {
    for (const auto& entry : std::filesystem::directory_iterator(std::string(LAUNCH_SOURCE_DIR) + "/crds")) {
      if (entry.path().extension() != ".yaml") continue;
      auto text = readFile(entry.path().string());
      if (!text) return text.error();
      auto crd = api::yamlToJson(*text);
      if (!crd) return crd.error();
      auto created = client_.create(res::kCustomResourceDefinitions, "", *crd);
      if (!created && created.error().code != ErrorCode::AlreadyExists) return created.error();
    }
    const auto deadline = Stopwatch::now() + std::chrono::seconds(60);
    while (Stopwatch::now() < deadline) {
      if (client_.list(kLaunchJobs, "default").ok() && client_.list(kQueues, "default").ok() &&
          client_.list(kAgents, "default").ok())
        return {};
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return makeError(ErrorCode::Unavailable, "the launch.dev CRDs were not served within 60s");
  }

  Status createNamespace(const std::string& ns) {
    auto r = client_.create(res::kNamespaces, "",
                            {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
    return r ? Status{} : Status{r.error()};
  }

  // Starts an operator that watches only `ns` and waits until its caches are synced.
  Status startOperator(const std::string& ns) {
    operator_.reset();
    const std::string log = plane_->directory() + "/operator-" + ns + ".log";
    metricsPort_ = testing::freeLoopbackPort();
    std::vector<std::string> args{"--kubeconfig",
                                  plane_->kubeconfigPath(),
                                  "--namespace",
                                  ns,
                                  "--metrics-bind-address",
                                  "127.0.0.1:" + std::to_string(metricsPort_),
                                  "--health-probe-bind-address",
                                  "0"};
    if (settings_.operatorWorkers > 0) {
      args.emplace_back("--workers");
      args.emplace_back(std::to_string(settings_.operatorWorkers));
    }
    operator_ = std::make_unique<testing::OperatorProcess>(LAUNCH_OPERATOR, std::move(args), log);
    if (!operator_->running()) return makeError(ErrorCode::Internal, "cannot start " + std::string(LAUNCH_OPERATOR));
    const auto deadline = Stopwatch::now() + std::chrono::seconds(60);
    while (Stopwatch::now() < deadline) {
      if (operator_->log().find("launch-operator is running") != std::string::npos) return {};
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return makeError(ErrorCode::Unavailable,
                     "the operator did not report running within 60s; its log:\n" + operator_->log());
  }

  void stopOperator() { operator_.reset(); }
  pid_t operatorPid() const { return operator_ ? operator_->pid() : -1; }

  // A queue and an agent serving it, and waits until the operator has seen the agent (its first heartbeat).
  Status createQueueAndAgent(const std::string& ns, int maxJobs) {
    auto queue = client_.create(kQueues, ns,
                                {{"apiVersion", "launch.dev/v1alpha1"},
                                 {"kind", "LaunchQueue"},
                                 {"metadata", {{"name", "q"}}},
                                 {"spec", {{"resource", "kubernetes"}, {"config", queueConfig(settings_)}}}});
    if (!queue) return queue.error();
    auto agent = client_.create(kAgents, ns,
                                {{"apiVersion", "launch.dev/v1alpha1"},
                                 {"kind", "LaunchAgent"},
                                 {"metadata", {{"name", "agent"}}},
                                 {"spec", {{"queues", {"q"}}, {"maxJobs", maxJobs}}}});
    if (!agent) return agent.error();
    const auto deadline = Stopwatch::now() + std::chrono::seconds(30);
    while (Stopwatch::now() < deadline) {
      auto seen = client_.get(kAgents, ns, "agent");
      if (seen && seen->contains("status") && (*seen)["status"].contains("lastHeartbeatTime")) return {};
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return makeError(ErrorCode::Unavailable, "the operator never wrote the agent's heartbeat");
  }

  // Runs `step(client, i)` for i in [0, count) from `threads` threads, each with its own client, and returns the
  // first error, if any (a thread stops at its first error).
  template <typename Step>
  Status runInParallel(int count, Step step) {
    std::atomic<int> next{0};
    std::mutex errorMutex;
    std::optional<Error> firstError;
    std::vector<std::thread> threads;
    threads.reserve(static_cast<size_t>(settings_.threads));
    for (int t = 0; t < settings_.threads; ++t) {
      threads.emplace_back([&] {
        kube::KubeClient client(plane_->config());
        for (int i = next++; i < count; i = next++) {
          Status done = step(client, i);
          if (!done) {
            const std::lock_guard lock(errorMutex);
            if (!firstError) firstError = done.error();
            return;
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    return firstError ? Status{*firstError} : Status{};
  }

  // Creates objects made by `make(i)` for i in [0, count) from `threads` threads.
  template <typename Make>
  Status createInParallel(const kube::ResourceType& type, const std::string& ns, int count, Make make) {
    return runInParallel(count, [&](kube::KubeClient& client, int i) -> Status {
      auto created = client.create(type, ns, make(i));
      return created ? Status{} : Status{created.error()};
    });
  }

  // Where one phase's time went: the operator's CPU, its reconciles, and the API server's writes per job.
  struct Probe {
    Stopwatch::time_point started;
    double cpu = 0;
    std::map<std::string, double> writes;
    std::map<std::string, double> reconciles;
  };
  Probe startProbe() {
    return {Stopwatch::now(), cpuSeconds(operatorPid()), apiWrites(client_), reconcileTotals(metricsPort_)};
  }
  void printProbe(const Probe& probe, int jobs) {
    const double wall = millisBetween(probe.started, Stopwatch::now()) / 1000.0;
    const double cpu = cpuSeconds(operatorPid()) - probe.cpu;
    std::printf("  operator CPU %.2fs in %.1fs wall (%.0f%% of one core)\n", cpu, wall, 100.0 * cpu / wall);
    std::string line;
    for (const auto& [key, count] : difference(apiWrites(client_), probe.writes)) {
      if (count / jobs >= 0.05) line += "  " + key + " " + formatNumber(count / jobs);
    }
    std::printf("  API writes per LaunchJob (all clients):%s\n", line.c_str());
    const auto reconciles = difference(reconcileTotals(metricsPort_), probe.reconciles);
    line.clear();
    for (const char* controller : {"job", "dispatch", "queue", "agent"}) {
      const std::string key = controller;
      const double count = reconciles.count(key + " count") != 0 ? reconciles.at(key + " count") : 0;
      const double seconds = reconciles.count(key + " seconds") != 0 ? reconciles.at(key + " seconds") : 0;
      line += "  " + key + " n=" + formatNumber(count) + " busy=" + formatNumber(seconds) + "s";
    }
    std::printf("  operator reconciles:%s\n", line.c_str());
    std::fflush(stdout);
  }

  // The error for a LaunchJob whose Job never came: its status and the end of the operator's log.
  Error stuck(const std::string& ns, const std::string& name) {
    auto job = client_.get(kLaunchJobs, ns, name);
    const std::string log = operator_ ? operator_->log() : "";
    return makeError(ErrorCode::Timeout, "no Job for LaunchJob " + name + " within 30s; its status: " +
                                             (job && job->contains("status") ? (*job)["status"].dump() : "(none)") +
                                             "\nthe operator's log ends:\n" +
                                             log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
  }

  // 1. One LaunchJob at a time: POST -> its Job's ADDED event.
  Status measureLatency() {
    const std::string ns = "bench-latency";
    if (auto s = createNamespace(ns); !s) return s;
    if (auto s = startOperator(ns); !s) return s;
    std::this_thread::sleep_for(std::chrono::seconds(2));
    idleAtFirstStart_ = residentMiB(operatorPid());
    if (auto s = createQueueAndAgent(ns, -1); !s) return s;
    JobArrivals arrivals(client_, ns);
    if (!arrivals.waitForSync()) return makeError(ErrorCode::Unavailable, "the Job watch did not sync");
    constexpr int kWarmUp = 5;
    std::vector<double> latencies;
    std::vector<double> roundTrips;  // the POST alone: one API write as this machine serves it now
    Probe probe;
    for (int i = 0; i < kWarmUp + settings_.latencyJobs; ++i) {
      if (i == kWarmUp) probe = startProbe();
      const std::string name = "lat-" + std::to_string(i);
      const auto posted = Stopwatch::now();
      auto created = client_.create(kLaunchJobs, ns, launchJob(name, "q"));
      if (!created) return created.error();
      const auto answered = Stopwatch::now();
      auto arrived = arrivals.waitFor(name, std::chrono::seconds(30));
      if (!arrived) return stuck(ns, name);
      if (i >= kWarmUp) {
        latencies.push_back(millisBetween(posted, *arrived));
        roundTrips.push_back(millisBetween(posted, answered));
      }
    }
    std::sort(roundTrips.begin(), roundTrips.end());
    std::sort(latencies.begin(), latencies.end());
    double sum = 0;
    for (double l : latencies) sum += l;
    std::printf("dispatch latency p50=%.1fms p99=%.1fms (n=%zu; min=%.1fms mean=%.1fms max=%.1fms)\n",
                percentile(latencies, 50), percentile(latencies, 99), latencies.size(), latencies.front(),
                sum / static_cast<double>(latencies.size()), latencies.back());
    std::printf("  (one LaunchJob POST round trip alone: p50=%.1fms p99=%.1fms)\n", percentile(roundTrips, 50),
                percentile(roundTrips, 99));
    printProbe(probe, settings_.latencyJobs);
    stopOperator();
    return {};
  }

  // The Jobs the operator makes for LaunchJobs named `prefix`N, N in [0, throughputJobs), of `owner`'s namespace,
  // each owned by `owner` (a LaunchJob as the API server returned it). Built before a clock starts: the operator
  // builds its own in its workers too, but a raw rate should be the API server's, not this process's JSON work.
  Result<std::vector<Json>> jobManifests(const Json& owner, const std::string& prefix) {
    auto ownerJob = api::LaunchJob::fromJson(owner);
    if (!ownerJob) return ownerJob.error();
    auto queue =
        api::LaunchQueue::fromJson({{"apiVersion", "launch.dev/v1alpha1"},
                                    {"kind", "LaunchQueue"},
                                    {"metadata", {{"name", "q"}, {"namespace", ownerJob->metadata.namespace_}}},
                                    {"spec", {{"resource", "kubernetes"}, {"config", queueConfig(settings_)}}}});
    if (!queue) return queue.error();
    auto config = api::resolveJobConfig(queue->spec, ownerJob->spec);
    if (!config) return config.error();
    std::vector<Json> manifests;
    for (int i = 0; i < settings_.throughputJobs; ++i) {
      api::LaunchJob job = *ownerJob;
      job.metadata.name = prefix + std::to_string(i);
      auto manifest = backends::buildKubernetesJob(job, *config, "agent", "registry.local/train:1");
      if (!manifest) return manifest.error();
      (*manifest)["metadata"]["ownerReferences"][0]["name"] = ownerJob->metadata.name;
      manifests.push_back(std::move(manifest).value());
    }
    return manifests;
  }

  // 2a. The Jobs the operator makes, created directly by the threads in namespace `ns`, which no operator watches:
  // the ceilings for the operator's throughput. Unpaired, the threads POST Jobs only (all owned by one LaunchJob,
  // as the operator's are owned by theirs): the raw rate. Paired, each thread POSTs a LaunchJob and then that
  // LaunchJob's Job: a burst's ceiling, since in a burst the API server serves both writes of every job (the
  // users' and the operator's) at once.
  Result<double> measureDirectRate(const std::string& ns, bool paired) {
    if (auto s = createNamespace(ns); !s) return s.error();
    const std::string prefix = paired ? "pair-" : "raw-";
    auto owner = client_.create(kLaunchJobs, ns, launchJob(prefix + "owner", "q"));
    if (!owner) return owner.error();
    auto manifests = jobManifests(*owner, prefix);
    if (!manifests) return manifests.error();
    JobArrivals arrivals(client_, ns);
    if (!arrivals.waitForSync()) return makeError(ErrorCode::Unavailable, "the Job watch did not sync");
    const auto start = Stopwatch::now();
    Status made = runInParallel(settings_.throughputJobs, [&](kube::KubeClient& client, int i) -> Status {
      Json& manifest = (*manifests)[static_cast<size_t>(i)];
      if (paired) {
        const std::string name = prefix + std::to_string(i);
        auto launchJobOwner = client.create(kLaunchJobs, ns, launchJob(name, "q"));
        if (!launchJobOwner) return launchJobOwner.error();
        Json& reference = manifest["metadata"]["ownerReferences"][0];
        reference["name"] = name;
        reference["uid"] = (*launchJobOwner)["metadata"]["uid"];
      }
      auto job = client.create(res::kJobs, ns, manifest);
      return job ? Status{} : Status{job.error()};
    });
    if (!made) return made.error();
    auto last = arrivals.waitForCount(static_cast<size_t>(settings_.throughputJobs), std::chrono::seconds(60));
    if (!last)
      return makeError(ErrorCode::Timeout, "the Jobs made directly in " + ns + " were not all seen within 60s");
    return settings_.throughputJobs / (millisBetween(start, *last) / 1000.0);
  }

  // 2b. N LaunchJobs as fast as the threads can create them -> all N Jobs exist.
  Result<double> measureOperatorRate() {
    const std::string ns = "bench-throughput";
    if (auto s = createNamespace(ns); !s) return s.error();
    if (auto s = startOperator(ns); !s) return s.error();
    if (auto s = createQueueAndAgent(ns, -1); !s) return s.error();
    JobArrivals arrivals(client_, ns);
    if (!arrivals.waitForSync()) return makeError(ErrorCode::Unavailable, "the Job watch did not sync");
    const Probe probe = startProbe();
    const auto start = Stopwatch::now();
    if (auto s = createInParallel(kLaunchJobs, ns, settings_.throughputJobs,
                                  [](int i) { return launchJob("tp-" + std::to_string(i), "q"); });
        !s)
      return s.error();
    const auto posted = Stopwatch::now();
    auto last = arrivals.waitForCount(static_cast<size_t>(settings_.throughputJobs), std::chrono::seconds(300));
    if (!last) {
      return makeError(ErrorCode::Timeout, "only " + std::to_string(arrivals.count()) + " of " +
                                               std::to_string(settings_.throughputJobs) + " Jobs within 300s");
    }
    std::printf(
        "  (the %d LaunchJobs were posted in %.0fms, %.0f/s; the last Job appeared %.0fms after the last post)\n",
        settings_.throughputJobs, millisBetween(start, posted),
        settings_.throughputJobs / (millisBetween(start, posted) / 1000.0), millisBetween(posted, *last));
    printProbe(probe, settings_.throughputJobs);
    stopOperator();
    return settings_.throughputJobs / (millisBetween(start, *last) / 1000.0);
  }

  // 2c. N LaunchJobs already Queued on an agent with maxJobs 0; the agent's maxJobs goes to -1 -> all N Jobs
  // exist. The operator's own dispatch rate: claims, Job creates and status writes, without the users' POSTs.
  Result<double> measureDrainRate() {
    const std::string ns = "bench-drain";
    if (auto s = createNamespace(ns); !s) return s.error();
    if (auto s = startOperator(ns); !s) return s.error();
    if (auto s = createQueueAndAgent(ns, 0); !s) return s.error();
    JobArrivals arrivals(client_, ns);
    if (!arrivals.waitForSync()) return makeError(ErrorCode::Unavailable, "the Job watch did not sync");
    if (auto s = createInParallel(kLaunchJobs, ns, settings_.throughputJobs,
                                  [](int i) { return launchJob("dr-" + std::to_string(i), "q"); });
        !s)
      return s.error();
    const auto deadline = Stopwatch::now() + std::chrono::seconds(120);
    while (countQueued(ns) < settings_.throughputJobs) {
      if (Stopwatch::now() > deadline) return makeError(ErrorCode::Timeout, "the LaunchJobs were not all Queued");
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    const Probe probe = startProbe();
    const auto start = Stopwatch::now();
    auto opened = client_.patch(kAgents, ns, "agent", {{"spec", {{"maxJobs", -1}}}});
    if (!opened) return opened.error();
    auto last = arrivals.waitForCount(static_cast<size_t>(settings_.throughputJobs), std::chrono::seconds(300));
    if (!last) {
      return makeError(ErrorCode::Timeout, "only " + std::to_string(arrivals.count()) + " of " +
                                               std::to_string(settings_.throughputJobs) + " Jobs within 300s");
    }
    printProbe(probe, settings_.throughputJobs);
    stopOperator();
    return settings_.throughputJobs / (millisBetween(start, *last) / 1000.0);
  }

  // LaunchJobs whose status.phase is Queued (-1 when the list fails): the queue's status.pending may lag.
  int countQueued(const std::string& ns) {
    auto list = client_.listAll(kLaunchJobs, ns);
    if (!list) return -1;
    int queued = 0;
    for (const auto& job : list->items) {
      if (job.contains("status") && job["status"].value("phase", "") == "Queued") ++queued;
    }
    return queued;
  }

  // 3. RSS of a fresh operator idle, then with N LaunchJobs queued on an agent that takes none.
  Status measureMemory() {
    const std::string ns = "bench-rss";
    if (auto s = createNamespace(ns); !s) return s;
    if (auto s = startOperator(ns); !s) return s;
    std::this_thread::sleep_for(std::chrono::seconds(3));
    const double idle = residentMiB(operatorPid());
    const double idleAnonymous = residentMiB(operatorPid(), "RssAnon");
    const double idleFiles = residentMiB(operatorPid(), "RssFile");
    if (auto s = createQueueAndAgent(ns, 0); !s) return s;
    const Probe probe = startProbe();
    const auto start = Stopwatch::now();
    if (auto s = createInParallel(kLaunchJobs, ns, settings_.rssJobs,
                                  [](int i) { return launchJob("rss-" + std::to_string(i), "q"); });
        !s)
      return s;
    const double posted = millisBetween(start, Stopwatch::now()) / 1000.0;
    long pending = -1;
    const auto deadline = Stopwatch::now() + settings_.rssSettle;
    while (Stopwatch::now() < deadline) {
      auto queue = client_.get(kQueues, ns, "q");
      if (queue && queue->contains("status")) pending = (*queue)["status"].value("pending", -1L);
      if (pending == settings_.rssJobs) break;
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    const double settled = millisBetween(start, Stopwatch::now()) / 1000.0;
    const double loaded = residentMiB(operatorPid());
    const double peak = residentMiB(operatorPid(), "VmHWM");
    const double anonymous = residentMiB(operatorPid(), "RssAnon");
    const double files = residentMiB(operatorPid(), "RssFile");
    const std::string firstIdle =
        idleAtFirstStart_ < 0 ? ""
                              : "; the latency phase's operator idled at " + formatNumber(idleAtFirstStart_) + " MiB";
    std::printf("operator RSS idle=%.1f MiB, with %d LaunchJobs=%.1f MiB (peak %.1f MiB%s)\n", idle, settings_.rssJobs,
                loaded, peak, firstIdle.c_str());
    std::printf("  (idle: %.1f MiB heap and stacks + %.1f MiB mapped files; loaded: %.1f + %.1f MiB)\n", idleAnonymous,
                idleFiles, anonymous, files);
    std::printf("  (posted in %.1fs; queue status.pending=%ld after %.1fs%s; LaunchJobs listed as Queued: %d)\n",
                posted, pending, settled,
                pending == settings_.rssJobs ? "" : ": NOT all counted as pending within the settle time",
                countQueued(ns));
    printProbe(probe, settings_.rssJobs);
    stopOperator();
    return {};
  }

 private:
  std::unique_ptr<testing::ControlPlane> plane_;
  Settings settings_;
  kube::KubeClient client_;
  std::unique_ptr<testing::OperatorProcess> operator_;
  int metricsPort_ = 0;
  double idleAtFirstStart_ = -1;
};

int run(const Settings& settings) {
  const auto begun = Stopwatch::now();
  std::printf("starting a full control plane (etcd, kube-apiserver, controller-manager, scheduler)...\n");
  std::fflush(stdout);
  auto plane = testing::ControlPlane::start({.full = true});
  if (!plane) {
    std::fprintf(stderr, "bench_dispatch: %s\n", plane.error().describe().c_str());
    return 1;
  }
  Bench bench(std::move(plane).value(), settings);
  std::printf(
      "Jobs are %s; %d client threads; operator --workers %s; host has %ld CPUs, load average at start: ",
      settings.withPods ? "unsuspended (the controller-manager makes their pods)" : "created suspended (no pods)",
      settings.threads, settings.operatorWorkers > 0 ? std::to_string(settings.operatorWorkers).c_str() : "default",
      sysconf(_SC_NPROCESSORS_ONLN));
  std::ifstream loadavg("/proc/loadavg");
  std::string load;
  std::getline(loadavg, load);
  std::printf("%s\n", load.c_str());
  std::fflush(stdout);
  auto fail = [](const char* step, const Error& e) {
    std::fprintf(stderr, "bench_dispatch: %s: %s\n", step, e.describe().c_str());
    return 1;
  };
  if (auto s = bench.installCrds(); !s) return fail("installing the CRDs", s.error());
  if (settings.latencyJobs > 0) {
    if (auto s = bench.measureLatency(); !s) return fail("dispatch latency", s.error());
  }
  if (settings.throughputJobs > 0) {
    // The ceiling is the better of two runs: one run alone varies with what the machine does meanwhile.
    auto raw = bench.measureDirectRate("bench-raw-1", false);
    if (!raw) return fail("raw Job rate", raw.error());
    auto rawAgain = bench.measureDirectRate("bench-raw-2", false);
    if (!rawAgain) return fail("raw Job rate", rawAgain.error());
    std::printf("raw Job creation: %.0f and %.0f jobs/s (%d threads); the better is the ceiling\n", *raw, *rawAgain,
                settings.threads);
    raw = std::max(*raw, *rawAgain);
    auto pairs = bench.measureDirectRate("bench-pairs", true);
    if (!pairs) return fail("raw LaunchJob and Job pairs", pairs.error());
    auto viaOperator = bench.measureOperatorRate();
    if (!viaOperator) return fail("operator throughput", viaOperator.error());
    std::printf(
        "throughput operator=%.0f jobs/s raw=%.0f jobs/s ratio=%.2f (n=%d, %d threads; LaunchJob POST -> Job)\n",
        *viaOperator, *raw, *viaOperator / *raw, settings.throughputJobs, settings.threads);
    std::printf(
        "  a burst's ceiling, each LaunchJob and its Job POSTed by one client with no operator: %.0f pairs/s; "
        "the operator's burst reaches %.2f of it\n",
        *pairs, *viaOperator / *pairs);
    std::fflush(stdout);
    auto drained = bench.measureDrainRate();
    if (!drained) return fail("operator drain", drained.error());
    std::printf("throughput drain=%.0f jobs/s raw=%.0f jobs/s ratio=%.2f (n=%d Queued LaunchJobs -> Jobs)\n", *drained,
                *raw, *drained / *raw, settings.throughputJobs);
    std::fflush(stdout);
  }
  if (settings.rssJobs > 0) {
    if (auto s = bench.measureMemory(); !s) return fail("operator RSS", s.error());
  }
  std::printf("total %.0fs\n", millisBetween(begun, Stopwatch::now()) / 1000.0);
  return 0;
}

}  // namespace
}  // namespace launch::bench

int main(int argc, char** argv) {
  auto settings = launch::bench::parseSettings(argc, argv);
  if (!settings) {
    std::fprintf(stderr,
                 "usage: bench_dispatch [--latency N] [--throughput N] [--threads N] [--rss N] [--rss-settle SECONDS] "
                 "[--operator-workers N] [--with-pods]\n");
    return 2;
  }
  return launch::bench::run(*settings);
}
