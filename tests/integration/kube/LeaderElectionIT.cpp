// Integration: two processes campaign for one Lease on a real API server: exactly one leads, and after a
// kill -9 of the leader the other takes over within 20 seconds.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/ControlPlane.hpp"

namespace launch::testing {
namespace {

using Clock = std::chrono::steady_clock;

class Candidate {
 public:
  Candidate(const std::string& kubeconfig, const std::string& ns, const std::string& identity,
            const std::string& outputFile)
      : output_(outputFile) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, outputFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> args = {LEASE_CANDIDATE, kubeconfig, ns, "launch-it-lease", identity};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, LEASE_CANDIDATE, &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Candidate() { kill(SIGKILL); }
  void kill(int signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  // LEADING while its last line says so.
  bool leading() const {
    std::ifstream in(output_);
    std::string line;
    std::string last;
    while (std::getline(in, line)) last = line;
    return last == "LEADING";
  }
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  std::string output_;
};

class LeaderElectionIT : public ControlPlaneTest {};

TEST_F(LeaderElectionIT, ExactlyOneLeadsAndTheOtherTakesOverAfterAKill) {
  const std::string ns = makeNamespace("it-lease");
  const std::string dir = plane().directory();
  Candidate a(plane().kubeconfigPath(), ns, "candidate-a", dir + "/a.out");
  Candidate b(plane().kubeconfigPath(), ns, "candidate-b", dir + "/b.out");
  ASSERT_TRUE(a.started() && b.started());

  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (!a.leading() && !b.leading() && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(a.leading() || b.leading()) << "nobody leads after 20 s";
  // Watch for a while: never both at once.
  for (int i = 0; i < 30; ++i) {
    ASSERT_FALSE(a.leading() && b.leading()) << "two leaders";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Candidate& leader = a.leading() ? a : b;
  Candidate& follower = a.leading() ? b : a;
  ASSERT_FALSE(follower.leading());

  leader.kill(SIGKILL);
  const auto killedAt = Clock::now();
  while (!follower.leading() && Clock::now() - killedAt < std::chrono::seconds(25)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killedAt);
  std::printf("takeover after kill -9: %lld ms\n", static_cast<long long>(took.count()));
  EXPECT_TRUE(follower.leading());
  EXPECT_LT(took, std::chrono::seconds(20));

  auto lease = client().get(kube::resources::kLeases, ns, "launch-it-lease");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"].value("leaseTransitions", 0), 1);
}

TEST_F(LeaderElectionIT, AStoppedLeaderHandsOverAtOnce) {
  const std::string ns = makeNamespace("it-lease-release");
  const std::string dir = plane().directory();
  Candidate a(plane().kubeconfigPath(), ns, "candidate-a", dir + "/ra.out");
  auto deadline = Clock::now() + std::chrono::seconds(20);
  while (!a.leading() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(a.leading());
  Candidate b(plane().kubeconfigPath(), ns, "candidate-b", dir + "/rb.out");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  a.kill(SIGTERM);  // releases the Lease on the way out
  const auto stoppedAt = Clock::now();
  while (!b.leading() && Clock::now() - stoppedAt < std::chrono::seconds(20)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(b.leading());
  EXPECT_LT(Clock::now() - stoppedAt, std::chrono::seconds(5)) << "a released lease need not expire first";
}

}  // namespace
}  // namespace launch::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new launch::testing::ControlPlaneEnvironment({}));
  return RUN_ALL_TESTS();
}
