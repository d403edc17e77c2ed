// Unit tests of KubeClient against a scripted API server: retries, pagination, apply, delete options, the
// write gate, credentials (token files, exec plugins) and the client-side rate limit.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "fakes/FakeKubeApiServer.hpp"
#include "kube/KubeClient.hpp"

namespace launch::kube {
namespace {

using launch::testing::FakeKubeApiServer;
namespace res = resources;

KubeClientOptions fastRetries() {
  KubeClientOptions options;
  options.retry.initialBackoff = std::chrono::milliseconds(1);
  options.retry.maxBackoff = std::chrono::milliseconds(5);
  return options;
}

const std::string kConfigMap = R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x","namespace":"ml"}})";

struct RetryCase {
  std::string name;
  std::string method;
  std::vector<int> statuses;  // the server's answers in turn
  bool ok;
  size_t requests;
};

class Retries : public ::testing::TestWithParam<RetryCase> {};
TEST_P(Retries, FollowThePolicy) {
  const RetryCase& c = GetParam();
  FakeKubeApiServer server;
  std::vector<FakeKubeApiServer::Responder> answers;
  for (const int s : c.statuses) {
    answers.push_back(s < 300 ? FakeKubeApiServer::json(s, kConfigMap)
                              : FakeKubeApiServer::json(s, R"({"kind":"Status","code":)" + std::to_string(s) + "}",
                                                        {{"Retry-After", "0"}}));
  }
  const std::string path =
      c.method == "POST" ? "/api/v1/namespaces/ml/configmaps" : "/api/v1/namespaces/ml/configmaps/x";
  server.script(c.method, path, answers);
  KubeClient client(server.config(), fastRetries());
  Result<Json> result = makeError(ErrorCode::Internal, "unset");
  if (c.method == "GET") result = client.get(res::kConfigMaps, "ml", "x");
  if (c.method == "POST") result = client.create(res::kConfigMaps, "ml", Json::parse(kConfigMap));
  if (c.method == "PUT") result = client.update(res::kConfigMaps, "ml", Json::parse(kConfigMap));
  if (c.method == "DELETE") result = client.remove(res::kConfigMaps, "ml", "x");
  EXPECT_EQ(result.ok(), c.ok) << (result.ok() ? "" : result.error().describe());
  EXPECT_EQ(server.count(c.method, path), c.requests);
}
INSTANTIATE_TEST_SUITE_P(Cases, Retries,
                         ::testing::Values(RetryCase{"GetRetries503", "GET", {503, 200}, true, 2},
                                           RetryCase{"GetRetries429", "GET", {429, 429, 200}, true, 3},
                                           RetryCase{"GetGivesUpAfterFiveAttempts", "GET", {500}, false, 5},
                                           RetryCase{"GetDoesNotRetry404", "GET", {404}, false, 1},
                                           RetryCase{"CreateIsNotRetriedOn500", "POST", {500, 201}, false, 1},
                                           RetryCase{"CreateIsRetriedOn429", "POST", {429, 201}, true, 2},
                                           RetryCase{"UpdateRetries502", "PUT", {502, 200}, true, 2},
                                           RetryCase{"UpdateDoesNotRetry409", "PUT", {409, 200}, false, 1},
                                           RetryCase{"DeleteRetries503", "DELETE", {503, 200}, true, 2}),
                         [](const auto& info) { return info.param.name; });

TEST(KubeClient, RetriesARefusedConnectionEvenForCreates) {
  FakeKubeApiServer server;
  KubeConfig config = server.config();
  server.stop();  // nothing listens there any more
  KubeClient client(config, fastRetries());
  auto created = client.create(res::kConfigMaps, "ml", Json::parse(kConfigMap));
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, ErrorCode::Unavailable);
  EXPECT_EQ(client.requestCount(), 5) << "a create that never reached the server is safe to retry";
  EXPECT_NE(created.error().message.find("did not answer"), std::string::npos);
}

TEST(KubeClient, HonoursRetryAfter) {
  FakeKubeApiServer server;
  server.script("GET", "/api/v1/namespaces/ml/configmaps/x",
                {FakeKubeApiServer::json(429, "{}", {{"Retry-After", "1"}}), FakeKubeApiServer::json(200, kConfigMap)});
  KubeClientOptions options = fastRetries();
  options.retry.maxBackoff = std::chrono::seconds(5);
  KubeClient client(server.config(), options);
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.get(res::kConfigMaps, "ml", "x").ok());
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(950));
}

TEST(KubeClient, ListAllFollowsContinueTokens) {
  FakeKubeApiServer server;
  server.script("GET", "/api/v1/namespaces/ml/configmaps",
                {FakeKubeApiServer::json(
                     200, R"({"metadata":{"resourceVersion":"7","continue":"p2"},"items":[{"n":1},{"n":2}]})"),
                 FakeKubeApiServer::json(
                     200, R"({"metadata":{"resourceVersion":"7","continue":"p3"},"items":[{"n":3},{"n":4}]})"),
                 FakeKubeApiServer::json(200, R"({"metadata":{"resourceVersion":"7"},"items":[{"n":5}]})")});
  KubeClient client(server.config(), fastRetries());
  auto all = client.listAll(res::kConfigMaps, "ml", {"app=x", "", 0, "", "0"}, 2);
  ASSERT_TRUE(all.ok()) << all.error().describe();
  ASSERT_EQ(all->items.size(), 5U);
  EXPECT_EQ(all->items[4]["n"], 5);
  EXPECT_EQ(all->resourceVersion, "7");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(requests[0].query.at("limit"), "2");
  EXPECT_EQ(requests[0].query.at("labelSelector"), "app=x");
  EXPECT_EQ(requests[0].query.at("resourceVersion"), "0");
  EXPECT_EQ(requests[0].query.count("continue"), 0U);
  EXPECT_EQ(requests[1].query.at("continue"), "p2");
  EXPECT_EQ(requests[1].query.count("resourceVersion"), 0U) << "a continued list must not repeat resourceVersion";
  EXPECT_EQ(requests[2].query.at("continue"), "p3");
}

TEST(KubeClient, ListAllStartsOverWhenAContinueTokenExpires) {
  FakeKubeApiServer server;
  server.script(
      "GET", "/api/v1/namespaces/ml/configmaps",
      {FakeKubeApiServer::json(200, R"({"metadata":{"resourceVersion":"7","continue":"p2"},"items":[{"n":1}]})"),
       FakeKubeApiServer::status(410, "Expired", "continue token expired"),
       FakeKubeApiServer::json(200, R"({"metadata":{"resourceVersion":"9"},"items":[{"n":1},{"n":2}]})")});
  KubeClient client(server.config(), fastRetries());
  auto all = client.listAll(res::kConfigMaps, "ml", {}, 1);
  ASSERT_TRUE(all.ok()) << all.error().describe();
  EXPECT_EQ(all->items.size(), 2U) << "items of the abandoned list must not be kept";
  EXPECT_EQ(all->resourceVersion, "9");
}

TEST(KubeClient, ServerSideApplySendsTheFieldManagerAndForce) {
  FakeKubeApiServer server;
  server.script("PATCH", "/apis/batch/v1/namespaces/ml/jobs/train", {FakeKubeApiServer::json(200, "{}")});
  KubeClient client(server.config(), fastRetries());
  ASSERT_TRUE(client.apply(res::kJobs, "ml", Json{{"metadata", {{"name", "train"}}}}, "launch-operator").ok());
  const auto r = server.requests().at(0);
  EXPECT_EQ(r.contentType, "application/apply-patch+yaml");
  EXPECT_EQ(r.query.at("fieldManager"), "launch-operator");
  EXPECT_EQ(r.query.at("force"), "true");
}

TEST(KubeClient, DeleteSendsPropagationAndPreconditions) {
  FakeKubeApiServer server;
  server.script("DELETE", "/apis/batch/v1/namespaces/ml/jobs/train", {FakeKubeApiServer::json(200, "{}")});
  KubeClient client(server.config(), fastRetries());
  ASSERT_TRUE(client.remove(res::kJobs, "ml", "train", DeleteOptions{Propagation::Background, "uid-1", "42", 0}).ok());
  const Json body = Json::parse(server.requests().at(0).body);
  EXPECT_EQ(body["propagationPolicy"], "Background");
  EXPECT_EQ(body["preconditions"]["uid"], "uid-1");
  EXPECT_EQ(body["preconditions"]["resourceVersion"], "42");
  EXPECT_EQ(body["gracePeriodSeconds"], 0);
}

TEST(KubeClient, TheWriteGateStopsWritesWithoutSendingThem) {
  FakeKubeApiServer server;
  server.script("GET", "/api/v1/namespaces/ml/configmaps/x", {FakeKubeApiServer::json(200, kConfigMap)});
  KubeClient client(server.config(), fastRetries());
  bool leader = false;
  client.setWriteGate([&leader] { return leader; });
  auto created = client.create(res::kConfigMaps, "ml", Json::parse(kConfigMap));
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, ErrorCode::Forbidden);
  EXPECT_FALSE(client.patch(res::kConfigMaps, "ml", "x", Json::object()).ok());
  EXPECT_FALSE(client.remove(res::kConfigMaps, "ml", "x").ok());
  EXPECT_TRUE(client.get(res::kConfigMaps, "ml", "x").ok()) << "reads are not gated";
  EXPECT_EQ(server.requests().size(), 1U);
}

TEST(KubeClient, ReReadsARotatedTokenFileAfterAMinute) {
  FakeKubeApiServer server;
  server.script("GET", "/version", {FakeKubeApiServer::json(200, "{}")});
  const std::string file = std::filesystem::temp_directory_path() / ("token-" + std::to_string(getpid()));
  std::ofstream(file) << "first\n";
  KubeConfig config = server.config();
  config.tokenFile = file;
  ManualClock clock;
  KubeClient client(config, fastRetries(), clock);
  ASSERT_TRUE(client.serverVersion().ok());
  std::ofstream(file) << "second\n";
  ASSERT_TRUE(client.serverVersion().ok());
  clock.advance(std::chrono::seconds(61));
  ASSERT_TRUE(client.serverVersion().ok());
  const auto requests = server.requests();
  EXPECT_EQ(requests[0].authorization, "Bearer first");
  EXPECT_EQ(requests[1].authorization, "Bearer first");
  EXPECT_EQ(requests[2].authorization, "Bearer second");
  std::filesystem::remove(file);
}

TEST(KubeClient, AnExecPluginsTokenIsCachedAndRefreshedAfterA401) {
  const std::string dir = std::filesystem::temp_directory_path() / ("exec-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string plugin = dir + "/plugin.sh";
  // Each run hands out a new token: token-1, token-2, ...; the run count lives in a file.
  std::ofstream(plugin) << "#!/bin/sh\nn=$(($(cat " << dir << "/runs 2>/dev/null || echo 0) + 1))\necho $n > " << dir
                        << "/runs\n"
                           "case \"$KUBERNETES_EXEC_INFO\" in *ExecCredential*) ;; *) exit 9;; esac\n"
                           "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                           "\"status\":{\"token\":\"token-%s\"}}' $n\n";
  std::filesystem::permissions(plugin, std::filesystem::perms::owner_all);

  FakeKubeApiServer server;
  server.script("GET", "/version",
                {FakeKubeApiServer::json(200, "{}"), FakeKubeApiServer::status(401, "Unauthorized"),
                 FakeKubeApiServer::json(200, "{}")});
  KubeConfig config = server.config();
  config.exec = ExecConfig{plugin, {}, {}, "client.authentication.k8s.io/v1", "", false, {}, {}};
  KubeClient client(config, fastRetries());
  ASSERT_TRUE(client.serverVersion().ok());
  ASSERT_TRUE(client.serverVersion().ok()) << "a 401 makes the client run the plugin again and retry once";
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(requests[0].authorization, "Bearer token-1");
  EXPECT_EQ(requests[1].authorization, "Bearer token-1");
  EXPECT_EQ(requests[2].authorization, "Bearer token-2");
  std::filesystem::remove_all(dir);
}

TEST(KubeClient, TheClientSideRateLimitSpacesRequests) {
  FakeKubeApiServer server;
  server.script("GET", "/version", {FakeKubeApiServer::json(200, "{}")});
  KubeClientOptions options = fastRetries();
  options.qps = 20;
  options.burst = 2;
  KubeClient client(server.config(), options);
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(client.serverVersion().ok());
  // Two from the burst, then four at 20 per second: at least 200 ms.
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(190));
}

struct ExecOutputCase {
  std::string name, output, mentions;
};
class ExecOutputs : public ::testing::TestWithParam<ExecOutputCase> {};
TEST_P(ExecOutputs, AreCheckedField) {
  auto parsed = parseExecCredential(GetParam().output, "client.authentication.k8s.io/v1");
  if (GetParam().mentions.empty()) {
    EXPECT_TRUE(parsed.ok()) << parsed.error().message;
    return;
  }
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find(GetParam().mentions), std::string::npos) << parsed.error().message;
}
INSTANTIATE_TEST_SUITE_P(
    Cases, ExecOutputs,
    ::testing::Values(
        ExecOutputCase{
            "Token",
            R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t","expirationTimestamp":"2030-01-02T03:04:05Z"}})",
            ""},
        ExecOutputCase{"NotJson", "token please", "not a JSON object"},
        ExecOutputCase{"WrongKind", R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"Secret"})",
                       "kind must be ExecCredential"},
        ExecOutputCase{"WrongVersion", R"({"apiVersion":"v9","kind":"ExecCredential","status":{"token":"t"}})",
                       "apiVersion 'v9'"},
        ExecOutputCase{"NoStatus", R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"})",
                       "status is missing"},
        ExecOutputCase{"Empty",
                       R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{}})",
                       "neither token"},
        ExecOutputCase{
            "CertWithoutKey",
            R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":"c"}})",
            "come together"},
        ExecOutputCase{
            "BadTime",
            R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t","expirationTimestamp":"soon"}})",
            "RFC 3339"}),
    [](const auto& info) { return info.param.name; });

TEST(ExecCredentialPlugin, CachesUntilExpiry) {
  const std::string dir = std::filesystem::temp_directory_path() / ("exec2-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string plugin = dir + "/plugin.sh";
  std::ofstream(plugin)
      << "#!/bin/sh\necho x >> " << dir
      << "/runs\nprintf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
         "\"status\":{\"token\":\"t\",\"expirationTimestamp\":\"2023-11-14T22:23:20Z\"}}'\n";
  std::filesystem::permissions(plugin, std::filesystem::perms::owner_all);
  ManualClock clock;  // wall time starts at 2023-11-14T22:13:20Z: the credential lives ten minutes
  ExecCredentialPlugin exec(ExecConfig{plugin, {}, {}, "client.authentication.k8s.io/v1", "", false, {}, {}}, clock);
  ASSERT_TRUE(exec.credential().ok());
  ASSERT_TRUE(exec.credential().ok());
  EXPECT_EQ(exec.runs(), 1);
  clock.advance(std::chrono::minutes(11));
  ASSERT_TRUE(exec.credential().ok());
  EXPECT_EQ(exec.runs(), 2);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace launch::kube
