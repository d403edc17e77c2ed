// LeaderElector: leader election on a coordination.k8s.io/v1 Lease, as client-go does it: acquire when the
// lease is free or expired (judged by local observation time, so clocks may differ), renew every retry
// period, and give up leadership at once when renewal has failed for the renew deadline.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "kube/KubeClient.hpp"
#include "util/Clock.hpp"

namespace launch::kube {

struct LeaderElectionConfig {
  std::string ns;
  std::string name;
  std::string identity;  // unique per process, e.g. hostname + random suffix
  std::chrono::milliseconds leaseDuration{15000};
  std::chrono::milliseconds renewDeadline{10000};
  std::chrono::milliseconds retryPeriod{2000};
};

// leaseDuration > renewDeadline > 1.2 * retryPeriod, as client-go requires.
Status validateLeaderElection(const LeaderElectionConfig& config);

struct LeaderCallbacks {
  std::function<void()> onStartedLeading;
  std::function<void()> onStoppedLeading;  // writes must stop now
  std::function<void(const std::string& identity)> onNewLeader;
};

class LeaderElector {
 public:
  // The client must not be gated by this elector's own leadership: it writes the Lease.
  LeaderElector(KubeClient& client, LeaderElectionConfig config, LeaderCallbacks callbacks,
                const Clock& clock = SystemClock::instance());
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  void start();
  // Stops campaigning; a leader releases the Lease so a successor need not wait for it to expire.
  void stop();
  // True only while leading and the last renewal is younger than the renew deadline, so a renewal stuck in
  // a slow request cannot stretch leadership past it.
  bool isLeader() const;
  std::string observedLeader() const;

 private:
  void run();
  bool tryAcquireOrRenew();
  void release();
  void setLeading(bool leading);
  bool sleepFor(std::chrono::milliseconds delay);

  KubeClient& client_;
  LeaderElectionConfig config_;
  LeaderCallbacks callbacks_;
  const Clock& clock_;
  std::atomic<bool> leading_{false};
  std::atomic<Clock::Duration::rep> lastRenew_{0};  // clock_.now() of the last successful renewal
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  Json observedSpec_;
  Clock::TimePoint observedAt_{};
  std::string observedLeader_;
};

}  // namespace launch::kube
