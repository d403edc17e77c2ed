// lease_candidate: a process that campaigns for a Lease and prints LEADING / STOPPED as it gains and loses
// it, for the multi-process leader-election tests.
#include <csignal>
#include <cstdio>
#include <thread>

#include "kube/KubeClient.hpp"
#include "kube/LeaderElector.hpp"

namespace {
volatile std::sig_atomic_t stopRequested = 0;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: lease_candidate KUBECONFIG NAMESPACE LEASE IDENTITY\n");
    return 2;
  }
  std::signal(SIGTERM, [](int) { stopRequested = 1; });
  auto config = launch::kube::KubeConfig::load(argv[1]);
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return 2;
  }
  launch::kube::KubeClientOptions options;
  options.requestTimeout = std::chrono::seconds(4);  // a renewal must not outlive the renew deadline
  options.retry.maxAttempts = 1;
  launch::kube::KubeClient client(*config, options);
  launch::kube::LeaderElector elector(client, {argv[2], argv[3], argv[4]},
                                      {[] { std::printf("LEADING\n"), std::fflush(stdout); },
                                       [] { std::printf("STOPPED\n"), std::fflush(stdout); },
                                       {}});
  elector.start();
  while (stopRequested == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  elector.stop();
  return 0;
}
