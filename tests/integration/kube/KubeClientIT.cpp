// Integration: the kube client against a real kube-apiserver (namespaces, ConfigMaps, typed errors).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "kube/KubeClient.hpp"
#include "support/ControlPlane.hpp"
#include "util/Base64.hpp"

namespace launch::testing {
namespace {

using kube::Json;
namespace res = kube::resources;

class KubeClientIT : public ControlPlaneTest {};

TEST_F(KubeClientIT, ReportsTheServerVersion) {
  auto version = client().serverVersion();
  ASSERT_TRUE(version.ok()) << version.error().describe();
  const std::string gitVersion = version->value("gitVersion", "");
  std::printf("kube-apiserver version: %s\n", gitVersion.c_str());
  EXPECT_EQ(version->value("major", ""), "1");
  EXPECT_GE(std::stoi(version->value("minor", "0")), 31);
}

TEST_F(KubeClientIT, CreatesANamespaceAndAConfigMapAndReadsThemBack) {
  const std::string ns = makeNamespace("it-configmap");
  auto readNs = client().get(res::kNamespaces, "", ns);
  ASSERT_TRUE(readNs.ok()) << readNs.error().describe();
  EXPECT_EQ((*readNs)["status"]["phase"], "Active");

  const Json configMap = {{"apiVersion", "v1"},
                          {"kind", "ConfigMap"},
                          {"metadata", {{"name", "settings"}, {"labels", {{"launch.dev/test", "yes"}}}}},
                          {"data", {{"greeting", "hello"}, {"count", "3"}}}};
  auto created = client().create(res::kConfigMaps, ns, configMap);
  ASSERT_TRUE(created.ok()) << created.error().describe();
  EXPECT_FALSE((*created)["metadata"]["uid"].get<std::string>().empty());

  auto read = client().get(res::kConfigMaps, ns, "settings");
  ASSERT_TRUE(read.ok()) << read.error().describe();
  EXPECT_EQ((*read)["data"]["greeting"], "hello");
  EXPECT_EQ((*read)["data"]["count"], "3");

  auto listed = client().list(res::kConfigMaps, ns, {"launch.dev/test=yes", "", 0, "", ""});
  ASSERT_TRUE(listed.ok()) << listed.error().describe();
  ASSERT_EQ((*listed)["items"].size(), 1U);
  EXPECT_EQ((*listed)["items"][0]["metadata"]["name"], "settings");

  auto patched = client().patch(res::kConfigMaps, ns, "settings", Json{{"data", {{"count", "4"}}}});
  ASSERT_TRUE(patched.ok()) << patched.error().describe();
  EXPECT_EQ((*patched)["data"]["count"], "4");
  EXPECT_EQ((*patched)["data"]["greeting"], "hello");

  auto removed = client().remove(res::kConfigMaps, ns, "settings");
  ASSERT_TRUE(removed.ok()) << removed.error().describe();
  auto gone = client().get(res::kConfigMaps, ns, "settings");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::NotFound);
}

TEST_F(KubeClientIT, TurnsStatusAnswersIntoTypedErrors) {
  const std::string ns = makeNamespace("it-errors");
  const Json configMap = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "twice"}}}};
  ASSERT_TRUE(client().create(res::kConfigMaps, ns, configMap).ok());

  auto again = client().create(res::kConfigMaps, ns, configMap);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::AlreadyExists);
  EXPECT_EQ(again.error().httpStatus, 409);
  EXPECT_EQ(again.error().reason, "AlreadyExists");

  Json stale = configMap;
  stale["metadata"]["resourceVersion"] = "1";
  auto conflict = client().update(res::kConfigMaps, ns, stale);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, ErrorCode::Conflict);

  const Json invalid = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "Not_A_Valid_Name"}}}};
  auto rejected = client().create(res::kConfigMaps, ns, invalid);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().code, ErrorCode::Invalid);
  EXPECT_NE(rejected.error().message.find("metadata.name"), std::string::npos) << rejected.error().message;
}

TEST_F(KubeClientIT, ListsTenThousandObjectsPageByPage) {
  const std::string ns = makeNamespace("it-pages");
  constexpr int kObjects = 10000;
  constexpr int kWriters = 8;
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      kube::KubeClient writer(plane().config());
      for (int i = w; i < kObjects; i += kWriters) {
        const Json cm = {
            {"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "cm-" + std::to_string(i)}}}};
        if (!writer.create(res::kConfigMaps, ns, cm).ok()) ++failures;
      }
    });
  }
  for (auto& t : writers) t.join();
  ASSERT_EQ(failures.load(), 0);

  const long before = client().requestCount();
  auto all = client().listAll(res::kConfigMaps, ns, {}, 500);
  ASSERT_TRUE(all.ok()) << all.error().describe();
  EXPECT_EQ(client().requestCount() - before, kObjects / 500) << "one request per page of 500";
  std::set<std::string> names;
  for (const auto& item : all->items) names.insert(item["metadata"]["name"].get<std::string>());
  // Namespaces start with a kube-root-ca.crt ConfigMap only when the controller manager runs; not here.
  EXPECT_EQ(names.size(), static_cast<size_t>(kObjects));
  EXPECT_EQ(all->items.size(), static_cast<size_t>(kObjects));
  EXPECT_FALSE(all->resourceVersion.empty());
}

TEST_F(KubeClientIT, AuthenticatesWithATokenFromAnExecPlugin) {
  const std::string dir = plane().directory();
  const std::string plugin = dir + "/exec-plugin.sh";
  {
    std::ofstream script(plugin);
    script << "#!/bin/sh\n"
              "echo run >> "
           << dir
           << "/exec-runs\n"
              "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
              "\"status\":{\"token\":\"%s\"}}' \"$LAUNCH_TEST_TOKEN\"\n";
  }
  std::filesystem::permissions(plugin, std::filesystem::perms::owner_all);
  const kube::KubeConfig admin = plane().config();
  const std::string kubeconfig = dir + "/exec.kubeconfig";
  {
    std::ofstream out(kubeconfig);
    out << "apiVersion: v1\nkind: Config\ncurrent-context: exec\n"
        << "clusters: [{name: c, cluster: {server: '" << admin.server << "', certificate-authority-data: '"
        << base64Encode(admin.tls.caPem) << "'}}]\n"
        << "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: ./exec-plugin.sh, "
        << "env: [{name: LAUNCH_TEST_TOKEN, value: '" << plane().bearerToken() << "'}]}}}]\n"
        << "contexts: [{name: exec, context: {cluster: c, user: u}}]\n";
  }
  auto config = kube::KubeConfig::load(kubeconfig);
  ASSERT_TRUE(config.ok()) << config.error().message;
  kube::KubeClient execClient(*config);
  auto ns = execClient.get(res::kNamespaces, "", "default");
  ASSERT_TRUE(ns.ok()) << ns.error().describe();
  ASSERT_TRUE(execClient.get(res::kNamespaces, "", "kube-system").ok());
  std::ifstream runs(dir + "/exec-runs");
  std::string line;
  int count = 0;
  while (std::getline(runs, line)) ++count;
  EXPECT_EQ(count, 1) << "the credential is cached between requests";

  // The same plugin handing out a wrong token is refused with 401.
  auto badConfig = *config;
  badConfig.exec->env["LAUNCH_TEST_TOKEN"] = "wrong";
  kube::KubeClient badClient(badConfig);
  auto refused = badClient.get(res::kNamespaces, "", "default");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::Unauthorized);
}

}  // namespace
}  // namespace launch::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new launch::testing::ControlPlaneEnvironment({}));
  return RUN_ALL_TESTS();
}
