// Integration: the informer against a real kube-apiserver: it follows changes, survives an API server
// restart (objects created meanwhile through a second API server arrive, none twice), and relists after an
// etcd compaction makes its resourceVersion expire.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>

#include "kube/Informer.hpp"
#include "support/ControlPlane.hpp"
#include "support/Eventually.hpp"

namespace launch::testing {
namespace {

using kube::Json;
using kube::ObjectPtr;
namespace res = kube::resources;

struct Tally {
  std::mutex mutex;
  std::map<std::string, int> adds;
  std::map<std::string, int> deletes;
  std::map<std::string, int> tombstones;

  kube::InformerHandler handler() {
    return {[this](const ObjectPtr& o) { bump(adds, o); },
            {},
            [this](const ObjectPtr& o, bool tombstone) { bump(tombstone ? tombstones : deletes, o); }};
  }
  void bump(std::map<std::string, int>& counts, const ObjectPtr& o) {
    const std::lock_guard lock(mutex);
    ++counts[(*o)["metadata"].value("name", "")];
  }
  int count(std::map<std::string, int>& counts, const std::string& name) {
    const std::lock_guard lock(mutex);
    return counts.count(name) != 0 ? counts[name] : 0;
  }
};

Json configMap(const std::string& name) {
  return {
      {"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}, {"labels", {{"it", "informer"}}}}}};
}

class InformerIT : public ControlPlaneTest {
 protected:
  kube::InformerOptions options(const std::string& ns) {
    kube::InformerOptions o;
    o.ns = ns;
    o.labelSelector = "it=informer";
    o.initialBackoff = std::chrono::milliseconds(200);
    o.maxBackoff = std::chrono::seconds(2);
    return o;
  }
};

TEST_F(InformerIT, FollowsCreatesUpdatesAndDeletes) {
  const std::string ns = makeNamespace("it-informer");
  ASSERT_TRUE(client().create(res::kConfigMaps, ns, configMap("before")).ok());
  kube::Informer informer(client(), res::kConfigMaps, options(ns));
  Tally tally;
  informer.addHandler(tally.handler());
  informer.start();
  ASSERT_TRUE(informer.waitForSync(std::chrono::seconds(10)));
  EXPECT_EQ(tally.count(tally.adds, "before"), 1);

  ASSERT_TRUE(client().create(res::kConfigMaps, ns, configMap("after")).ok());
  ASSERT_TRUE(client().create(res::kConfigMaps, ns, Json{{"metadata", {{"name", "unlabelled"}}}}).ok());
  ASSERT_TRUE(client().patch(res::kConfigMaps, ns, "before", Json{{"data", {{"k", "v"}}}}).ok());
  ASSERT_TRUE(client().remove(res::kConfigMaps, ns, "after").ok());
  EXPECT_TRUE(eventually([&] { return tally.count(tally.deletes, "after") == 1; }));
  EXPECT_TRUE(eventually([&] {
    auto o = informer.store().get(ns + "/before");
    return o && (*o)["data"].value("k", "") == "v";
  }));
  EXPECT_EQ(informer.store().get(ns + "/unlabelled"), nullptr) << "the label selector filters the cache";
  EXPECT_EQ(informer.store().size(), 1U);
}

TEST_F(InformerIT, SurvivesAnApiServerRestartWithoutLosingOrRepeatingObjects) {
  const std::string ns = makeNamespace("it-restart");
  kube::Informer informer(client(), res::kConfigMaps, options(ns));
  Tally tally;
  informer.addHandler(tally.handler());
  informer.start();
  ASSERT_TRUE(informer.waitForSync(std::chrono::seconds(10)));
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(client().create(res::kConfigMaps, ns, configMap("early-" + std::to_string(i))).ok());
  ASSERT_TRUE(eventually([&] { return informer.store().size() == 5; }));

  auto second = plane().startSecondApiServer();
  ASSERT_TRUE(second.ok()) << second.error().message;
  ASSERT_TRUE(plane().stopApiServer().ok());
  // While the informer's API server is down, the cluster changes through the other one.
  kube::KubeClient other(*kube::KubeConfig::load(*second));
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(other.create(res::kConfigMaps, ns, configMap("while-down-" + std::to_string(i))).ok());
  ASSERT_TRUE(other.remove(res::kConfigMaps, ns, "early-0").ok());
  ASSERT_TRUE(plane().startApiServer().ok());

  EXPECT_TRUE(eventually([&] { return informer.store().size() == 9; })) << "size " << informer.store().size();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(tally.count(tally.adds, "early-" + std::to_string(i)), 1) << "reported twice: early-" << i;
    EXPECT_EQ(tally.count(tally.adds, "while-down-" + std::to_string(i)), 1) << "while-down-" << i;
  }
  EXPECT_EQ(tally.count(tally.deletes, "early-0") + tally.count(tally.tombstones, "early-0"), 1);
  ASSERT_TRUE(plane().stopSecondApiServer().ok());
}

TEST_F(InformerIT, RelistsAndConvergesAfterACompactionExpiresItsResourceVersion) {
  const std::string ns = makeNamespace("it-compact");
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(client().create(res::kConfigMaps, ns, configMap("old-" + std::to_string(i))).ok());
  kube::Informer informer(client(), res::kConfigMaps, options(ns));
  Tally tally;
  informer.addHandler(tally.handler());
  informer.start();
  ASSERT_TRUE(informer.waitForSync(std::chrono::seconds(10)));
  ASSERT_EQ(informer.store().size(), 3U);
  const int listsBefore = informer.lists();

  auto second = plane().startSecondApiServer();
  ASSERT_TRUE(second.ok()) << second.error().message;
  ASSERT_TRUE(plane().stopApiServer().ok());
  kube::KubeClient other(*kube::KubeConfig::load(*second));
  ASSERT_TRUE(other.remove(res::kConfigMaps, ns, "old-1").ok());
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(other.create(res::kConfigMaps, ns, configMap("new-" + std::to_string(i))).ok());
  // Compaction removes the history the informer would resume from: its resourceVersion is now too old.
  ASSERT_TRUE(plane().compactEtcd().ok());
  ASSERT_TRUE(plane().startApiServer().ok());

  EXPECT_TRUE(eventually([&] {
    return informer.store().size() == 5 && informer.store().get(ns + "/old-1") == nullptr;
  })) << "size "
      << informer.store().size();
  EXPECT_GT(informer.lists(), listsBefore) << "a 410 must lead to a fresh list";
  EXPECT_EQ(tally.count(tally.tombstones, "old-1") + tally.count(tally.deletes, "old-1"), 1);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(tally.count(tally.adds, "new-" + std::to_string(i)), 1);
  EXPECT_EQ(tally.count(tally.adds, "old-0"), 1) << "an unchanged object is not reported again after a relist";
  ASSERT_TRUE(plane().stopSecondApiServer().ok());
}

}  // namespace
}  // namespace launch::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new launch::testing::ControlPlaneEnvironment({}));
  return RUN_ALL_TESTS();
}
