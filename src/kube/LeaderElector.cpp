// LeaderElector: the acquire/renew loop and the Lease record updates (optimistic, by resourceVersion).
#include "kube/LeaderElector.hpp"

#include <ctime>
#include <random>

namespace launch::kube {
namespace {

std::string microTime(std::chrono::system_clock::time_point at) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
  const time_t seconds = micros / 1000000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[40];
  const size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buffer + n, sizeof buffer - n, ".%06ldZ", static_cast<long>(micros % 1000000));
  return buffer;
}

}  // namespace

Status validateLeaderElection(const LeaderElectionConfig& config) {
  if (config.ns.empty() || config.name.empty()) {
    return makeError(ErrorCode::Invalid, "leader election: the Lease namespace and name are required");
  }
  if (config.identity.empty()) return makeError(ErrorCode::Invalid, "leader election: identity is required");
  if (config.leaseDuration <= config.renewDeadline) {
    return makeError(ErrorCode::Invalid, "leader election: leaseDuration must be greater than renewDeadline");
  }
  if (static_cast<double>(config.renewDeadline.count()) <= 1.2 * static_cast<double>(config.retryPeriod.count())) {
    return makeError(ErrorCode::Invalid, "leader election: renewDeadline must be greater than 1.2 x retryPeriod");
  }
  return {};
}

LeaderElector::LeaderElector(KubeClient& client, LeaderElectionConfig config, LeaderCallbacks callbacks,
                             const Clock& clock)
    : client_(client), config_(std::move(config)), callbacks_(std::move(callbacks)), clock_(clock) {}

LeaderElector::~LeaderElector() { stop(); }

void LeaderElector::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void LeaderElector::stop() {
  {
    const std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (leading_) {
    release();
    setLeading(false);
  }
}

bool LeaderElector::isLeader() const {
  if (!leading_) return false;
  const Clock::TimePoint renewed{Clock::Duration(lastRenew_.load())};
  return clock_.now() - renewed < config_.renewDeadline;
}

std::string LeaderElector::observedLeader() const {
  const std::lock_guard lock(mutex_);
  return observedLeader_;
}

bool LeaderElector::sleepFor(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, delay, [this] { return stopping_.load(); });
}

void LeaderElector::setLeading(bool leading) {
  if (leading_.exchange(leading) == leading) return;
  if (leading && callbacks_.onStartedLeading) callbacks_.onStartedLeading();
  if (!leading && callbacks_.onStoppedLeading) callbacks_.onStoppedLeading();
}

bool LeaderElector::tryAcquireOrRenew() {
  const auto wallNow = clock_.wallNow();
  const auto now = clock_.now();
  const long durationSeconds = std::chrono::duration_cast<std::chrono::seconds>(config_.leaseDuration).count();
  auto current = client_.get(resources::kLeases, config_.ns, config_.name);
  if (!current) {
    if (current.error().code != ErrorCode::NotFound) return false;
    const Json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                        {"kind", "Lease"},
                        {"metadata", {{"name", config_.name}, {"namespace", config_.ns}}},
                        {"spec",
                         {{"holderIdentity", config_.identity},
                          {"leaseDurationSeconds", durationSeconds},
                          {"acquireTime", microTime(wallNow)},
                          {"renewTime", microTime(wallNow)},
                          {"leaseTransitions", 0}}}};
    auto created = client_.create(resources::kLeases, config_.ns, lease);
    if (!created) return false;
    const std::lock_guard lock(mutex_);
    observedSpec_ = (*created)["spec"];
    observedAt_ = now;
    observedLeader_ = config_.identity;
    return true;
  }

  const Json spec = (*current).value("spec", Json::object());
  const std::string holder = spec.value("holderIdentity", "");
  bool newLeader = false;
  {
    const std::lock_guard lock(mutex_);
    // Expiry is judged from when this process saw the record change, never from the remote timestamps.
    if (spec != observedSpec_) {
      observedSpec_ = spec;
      observedAt_ = now;
    }
    newLeader = holder != observedLeader_;
    observedLeader_ = holder;
    const auto observedDuration = std::chrono::seconds(spec.value("leaseDurationSeconds", durationSeconds));
    if (!holder.empty() && holder != config_.identity && observedAt_ + observedDuration > now) {
      if (newLeader && callbacks_.onNewLeader) callbacks_.onNewLeader(holder);
      return false;
    }
  }

  Json lease = *current;
  const bool renewing = holder == config_.identity;
  lease["spec"]["holderIdentity"] = config_.identity;
  lease["spec"]["leaseDurationSeconds"] = durationSeconds;
  lease["spec"]["renewTime"] = microTime(wallNow);
  if (!renewing) {
    lease["spec"]["acquireTime"] = microTime(wallNow);
    lease["spec"]["leaseTransitions"] = spec.value("leaseTransitions", 0) + 1;
  }
  auto updated = client_.update(resources::kLeases, config_.ns, lease);  // guarded by resourceVersion
  if (!updated) return false;
  const std::lock_guard lock(mutex_);
  observedSpec_ = (*updated)["spec"];
  observedAt_ = now;
  observedLeader_ = config_.identity;
  return true;
}

void LeaderElector::release() {
  auto current = client_.get(resources::kLeases, config_.ns, config_.name);
  if (!current || (*current)["spec"].value("holderIdentity", "") != config_.identity) return;
  Json lease = *current;
  const std::string now = microTime(clock_.wallNow());
  lease["spec"]["holderIdentity"] = "";
  lease["spec"]["leaseDurationSeconds"] = 1;
  lease["spec"]["renewTime"] = now;
  lease["spec"]["acquireTime"] = now;
  (void)client_.update(resources::kLeases, config_.ns, lease);
}

void LeaderElector::run() {
  std::mt19937 random(std::random_device{}());
  std::uniform_real_distribution<double> jitter(1.0, 1.2);
  auto lastRenew = clock_.now();
  while (!stopping_) {
    const bool ok = tryAcquireOrRenew();
    const auto now = clock_.now();
    if (ok) {
      lastRenew = now;
      lastRenew_ = now.time_since_epoch().count();
      if (!leading_) {
        if (callbacks_.onNewLeader) callbacks_.onNewLeader(config_.identity);
        setLeading(true);
      }
    } else if (leading_) {
      // Another holder, or no successful renewal within the deadline: stop acting as leader now, before the
      // lease can expire in anyone else's eyes (renewDeadline < leaseDuration).
      const bool lostToOther = [&] {
        const std::lock_guard lock(mutex_);
        return !observedLeader_.empty() && observedLeader_ != config_.identity;
      }();
      if (lostToOther || now - lastRenew >= config_.renewDeadline) setLeading(false);
    }
    const auto period = leading_ ? config_.retryPeriod
                                 : std::chrono::milliseconds(static_cast<long>(
                                       static_cast<double>(config_.retryPeriod.count()) * jitter(random)));
    if (!sleepFor(period)) break;
  }
}

}  // namespace launch::kube
