// Unit tests of watches, the object store and the informer against a scripted API server: chunked events,
// bookmarks, in-stream and HTTP 410s, relists with tombstones, and indexes.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "fakes/FakeKubeApiServer.hpp"
#include "kube/Informer.hpp"
#include "kube/WatchStream.hpp"

namespace launch::kube {
namespace {

using launch::testing::FakeKubeApiServer;
namespace res = resources;
const std::string kPath = "/api/v1/namespaces/ml/configmaps";

std::string object(const std::string& name, const std::string& rv, const std::string& extra = "") {
  return R"({"kind":"ConfigMap","metadata":{"name":")" + name + R"(","namespace":"ml","resourceVersion":")" + rv +
         R"(","managedFields":[{"manager":"kubectl"}])" + extra + "}}";
}
std::string event(const std::string& type, const std::string& obj) {
  return R"({"type":")" + type + R"(","object":)" + obj + "}\n";
}

KubeClientOptions fast() {
  KubeClientOptions options;
  options.retry.initialBackoff = std::chrono::milliseconds(1);
  return options;
}

TEST(Watch, ReassemblesEventsSplitAcrossChunksAndTracksTheResourceVersion) {
  const std::string body = event("ADDED", object("a", "11")) +
                           event("BOOKMARK", R"({"metadata":{"resourceVersion":"12"}})") +
                           event("MODIFIED", object("a", "13")) + event("DELETED", object("a", "14"));
  // Cut the stream every 7 bytes, so chunks split events (and UTF-8 free JSON) anywhere.
  std::vector<std::string> parts;
  for (size_t i = 0; i < body.size(); i += 7) parts.push_back(body.substr(i, 7));
  FakeKubeApiServer server;
  server.script("GET", kPath, {FakeKubeApiServer::chunks(parts)});
  KubeClient client(server.config(), fast());
  std::vector<WatchEventType> types;
  auto last = watchResource(
      client, res::kConfigMaps, "ml", {"10", "app=x", "", std::chrono::seconds(300), true},
      [&](WatchEvent&& e) { types.push_back(e.type); }, [] { return false; });
  ASSERT_TRUE(last.ok()) << last.error().describe();
  EXPECT_EQ(*last, "14");
  EXPECT_EQ(types, (std::vector<WatchEventType>{WatchEventType::Added, WatchEventType::Bookmark,
                                                WatchEventType::Modified, WatchEventType::Deleted}));
  const auto request = server.requests().at(0);
  EXPECT_EQ(request.query.at("watch"), "1");
  EXPECT_EQ(request.query.at("resourceVersion"), "10");
  EXPECT_EQ(request.query.at("allowWatchBookmarks"), "true");
  EXPECT_EQ(request.query.at("timeoutSeconds"), "300");
  EXPECT_EQ(request.query.at("labelSelector"), "app=x");
}

struct ExpiredCase {
  std::string name;
  FakeKubeApiServer::Responder answer;
};
class ExpiredWatches : public ::testing::TestWithParam<ExpiredCase> {};
TEST_P(ExpiredWatches, AreGone) {
  FakeKubeApiServer server;
  server.script("GET", kPath, {GetParam().answer});
  KubeClient client(server.config(), fast());
  int events = 0;
  auto last = watchResource(
      client, res::kConfigMaps, "ml", {"1", "", "", std::chrono::seconds(300), true}, [&](WatchEvent&&) { ++events; },
      [] { return false; });
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.error().code, ErrorCode::Gone) << last.error().describe();
}
INSTANTIATE_TEST_SUITE_P(
    Cases, ExpiredWatches,
    ::testing::Values(
        ExpiredCase{"Http410", FakeKubeApiServer::status(410, "Expired", "too old resource version")},
        ExpiredCase{
            "ErrorEventIn200Stream",
            FakeKubeApiServer::chunks(
                {event("ADDED", object("a", "5")),
                 event(
                     "ERROR",
                     R"json({"kind":"Status","code":410,"reason":"Expired","message":"too old resource version: 1 (40)"})json")})}),
    [](const auto& info) { return info.param.name; });

TEST(ObjectStore, IndexesByNamespaceLabelAndCustomFunctions) {
  ObjectStore store;
  store.addIndex("owner", [](const Json& o) {
    std::vector<std::string> uids;
    for (const auto& ref : o["metadata"].value("ownerReferences", Json::array())) uids.push_back(ref.value("uid", ""));
    return uids;
  });
  auto make = [](const std::string& ns, const std::string& name, const std::string& app, const std::string& owner) {
    return std::make_shared<const Json>(Json{{"metadata",
                                              {{"namespace", ns},
                                               {"name", name},
                                               {"labels", {{"app", app}}},
                                               {"ownerReferences", Json::array({{{"uid", owner}}})}}}});
  };
  store.upsert(make("a", "one", "x", "u1"));
  store.upsert(make("a", "two", "y", "u1"));
  store.upsert(make("b", "one", "x", "u2"));
  EXPECT_EQ(store.size(), 3U);
  EXPECT_EQ(store.byIndex("namespace", "a").size(), 2U);
  EXPECT_EQ(store.byIndex("label", "app=x").size(), 2U);
  EXPECT_EQ(store.byIndex("owner", "u1").size(), 2U);
  // An update moves the object between index values.
  store.upsert(make("a", "two", "x", "u2"));
  EXPECT_EQ(store.byIndex("label", "app=y").size(), 0U);
  EXPECT_EQ(store.byIndex("label", "app=x").size(), 3U);
  EXPECT_EQ(store.byIndex("owner", "u2").size(), 2U);
  ASSERT_NE(store.erase("a/one"), nullptr);
  EXPECT_EQ(store.byIndex("owner", "u1").size(), 0U);
  EXPECT_EQ(store.get("a/one"), nullptr);
  EXPECT_EQ(store.byIndex("nope", "x").size(), 0U);
}

TEST(ObjectStore, KeepsObjectsPackedAndSharesOneUnpackedCopyWhileItIsHeld) {
  ObjectStore store(/*recentObjects=*/0);
  const Json original = {{"metadata", {{"namespace", "a"}, {"name", "one"}, {"resourceVersion", "12"}}},
                         {"spec", {{"n", 1.5}, {"list", {1, "two", nullptr, false}}, {"text", std::string(300, 'x')}}}};
  store.upsert(std::make_shared<const Json>(original));
  EXPECT_EQ(store.resourceVersion("a/one"), "12");
  EXPECT_EQ(store.resourceVersion("a/none"), "");
  ObjectPtr first = store.get("a/one");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(*first, original);           // unpacked equal to what was stored
  EXPECT_EQ(store.get("a/one"), first);  // readers share the copy while one is held
  EXPECT_EQ(store.byIndex("namespace", "a").front(), first);
  const std::weak_ptr<const Json> weak = first;
  first.reset();
  // Once nobody holds it, the unpacked copy is freed: the store keeps only the packed form.
  EXPECT_TRUE(weak.expired());
  EXPECT_EQ(*store.get("a/one"), original);
  // An update replaces the packed form and returns the previous object.
  Json changed = original;
  changed["metadata"]["resourceVersion"] = "13";
  const ObjectPtr previous = store.upsert(std::make_shared<const Json>(changed));
  ASSERT_NE(previous, nullptr);
  EXPECT_EQ((*previous)["metadata"]["resourceVersion"], "12");
  EXPECT_EQ(store.resourceVersion("a/one"), "13");
  EXPECT_EQ(*store.erase("a/one"), changed);
  EXPECT_EQ(store.resourceVersion("a/one"), "");
}

TEST(ObjectStore, FreesUnpackedObjectsNobodyHoldsButKeepsTheNewestUpserts) {
  ObjectStore store(/*recentObjects=*/2);
  std::vector<std::weak_ptr<const Json>> upserted;
  for (int i = 0; i < 4; ++i) {
    auto object = std::make_shared<const Json>(
        Json{{"metadata", {{"namespace", "a"}, {"name", "o" + std::to_string(i)}, {"resourceVersion", "1"}}}});
    upserted.push_back(object);
    store.upsert(std::move(object));
  }
  EXPECT_TRUE(upserted[0].expired());  // packed only
  EXPECT_TRUE(upserted[1].expired());
  EXPECT_FALSE(upserted[2].expired());  // the two newest stay unpacked for the reconciles that follow
  EXPECT_FALSE(upserted[3].expired());
  EXPECT_EQ(store.get("a/o3"), upserted[3].lock());
  EXPECT_EQ((*store.get("a/o0"))["metadata"]["name"], "o0");
}

struct Recorder {
  std::mutex mutex;
  std::vector<std::string> events;
  InformerHandler handler() {
    return {[this](const ObjectPtr& o) { add("add " + name(o)); },
            [this](const ObjectPtr&, const ObjectPtr& o) { add("update " + name(o)); },
            [this](const ObjectPtr& o, bool tombstone) {
              add(std::string(tombstone ? "tombstone " : "delete ") + name(o));
            }};
  }
  static std::string name(const ObjectPtr& o) { return (*o)["metadata"].value("name", "?"); }
  void add(const std::string& e) {
    const std::lock_guard lock(mutex);
    events.push_back(e);
  }
  std::vector<std::string> snapshot() {
    const std::lock_guard lock(mutex);
    return events;
  }
};

TEST(Informer, ListsWatchesRelistsOn410AndReportsMissedDeletesAsTombstones) {
  FakeKubeApiServer server;
  const std::string list1 =
      R"({"metadata":{"resourceVersion":"10"},"items":[)" + object("a", "5") + "," + object("b", "6") + "]}";
  const std::string list2 = R"({"metadata":{"resourceVersion":"30"},"items":[)" + object("a", "21") + "," +
                            object("c", "7") + "," + object("d", "25") + "]}";
  // The list answers: first list, then (after the 410) the relist.
  std::vector<FakeKubeApiServer::Responder> lists = {FakeKubeApiServer::json(200, list1),
                                                     FakeKubeApiServer::json(200, list2)};
  std::atomic<int> listCalls{0};
  std::atomic<int> watchCalls{0};
  FakeKubeApiServer::Responder router = [&](const httplib::Request& req, httplib::Response& res) {
    if (req.has_param("watch")) {
      const int n = watchCalls++;
      if (n == 0) {
        FakeKubeApiServer::chunks({event("ADDED", object("c", "7")), event("MODIFIED", object("a", "8"))})(req, res);
      } else if (n == 1) {
        FakeKubeApiServer::status(410, "Expired", "too old")(req, res);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        FakeKubeApiServer::chunks({})(req, res);
      }
      return;
    }
    lists[std::min<size_t>(listCalls++, 1)](req, res);
  };
  server.script("GET", kPath, {router});
  KubeClient client(server.config(), fast());
  InformerOptions options;
  options.ns = "ml";
  options.initialBackoff = std::chrono::milliseconds(10);
  Informer informer(client, res::kConfigMaps, options);
  Recorder recorder;
  informer.addHandler(recorder.handler());
  informer.start();
  ASSERT_TRUE(informer.waitForSync(std::chrono::seconds(5)));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (listCalls < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  informer.stop();

  EXPECT_EQ(recorder.snapshot(),
            (std::vector<std::string>{"add a", "add b", "add c", "update a", "update a", "add d", "tombstone b"}));
  EXPECT_EQ(informer.store().size(), 3U);
  EXPECT_EQ(informer.lists(), 2);
  EXPECT_FALSE((*informer.store().get("ml/a"))["metadata"].contains("managedFields"))
      << "managedFields is never cached";
  const auto requests = server.requests();
  EXPECT_EQ(requests[0].query.at("resourceVersion"), "0") << "the first list may come from the watch cache";
  EXPECT_EQ(requests[1].query.at("resourceVersion"), "10") << "the watch resumes from the list";
  EXPECT_EQ(requests[2].query.at("resourceVersion"), "8") << "and again from the last event";
  EXPECT_EQ(requests[3].query.count("resourceVersion"), 0U) << "after a 410 only a consistent list will do";
  const int timeout = std::stoi(requests[1].query.at("timeoutSeconds"));
  EXPECT_GE(timeout, 300);
  EXPECT_LE(timeout, 600);
}

TEST(Informer, BacksOffWhileTheServerFailsAndStopsPromptly) {
  FakeKubeApiServer server;
  server.script("GET", kPath, {FakeKubeApiServer::status(500, "InternalError")});
  KubeClientOptions options = fast();
  options.retry.maxAttempts = 1;
  KubeClient client(server.config(), options);
  InformerOptions informerOptions;
  informerOptions.initialBackoff = std::chrono::milliseconds(100);
  Informer informer(client, res::kConfigMaps, informerOptions);
  informer.start();
  EXPECT_FALSE(informer.waitForSync(std::chrono::milliseconds(700)));
  const auto started = std::chrono::steady_clock::now();
  informer.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500));
  // 100, 200, 400 ms (each up to twice that with jitter): a handful of tries, not a busy loop.
  EXPECT_LE(informer.lists(), 5);
  EXPECT_GE(informer.lists(), 2);
}

struct StripCase {
  const char* name;
  const char* object;
  const char* cached;
};
class StripForCache : public ::testing::TestWithParam<StripCase> {};
TEST_P(StripForCache, KeepsAllButWhatTheCacheNeverNeeds) {
  Json object = Json::parse(GetParam().object);
  stripForCache(object);
  EXPECT_EQ(object, Json::parse(GetParam().cached));
}
INSTANTIATE_TEST_SUITE_P(
    Objects, StripForCache,
    ::testing::Values(
        StripCase{"ManagedFields", R"({"metadata":{"name":"a","managedFields":[{"manager":"kubectl"}]}})",
                  R"({"metadata":{"name":"a"}})"},
        StripCase{
            "LastAppliedAmongOthers",
            R"({"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}","team":"x"}}})",
            R"({"metadata":{"annotations":{"team":"x"}}})"},
        StripCase{
            "LastAppliedAlone",
            R"({"metadata":{"name":"a","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}}})",
            R"({"metadata":{"name":"a"}})"},
        StripCase{"NothingToStrip", R"({"metadata":{"name":"a","annotations":{"team":"x"}},"spec":{}})",
                  R"({"metadata":{"name":"a","annotations":{"team":"x"}},"spec":{}})"},
        StripCase{"NoMetadata", R"({"kind":"Status"})", R"({"kind":"Status"})"},
        StripCase{"MetadataNotAnObject", R"({"metadata":"odd"})", R"({"metadata":"odd"})"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace launch::kube
