// Unit tests of kubeconfig parsing and merging, REST paths and Status errors (table-driven).
#include <gtest/gtest.h>

#include "kube/KubeClient.hpp"
#include "kube/KubeConfig.hpp"
#include "util/Base64.hpp"

namespace launch::kube {
namespace {

const std::string kBase = R"(
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: c1
  cluster: {server: "https://10.1.1.1:6443/", certificate-authority-data: )" +
                          base64Encode("CA-PEM") + R"(}
- name: c2
  cluster: {server: "https://10.2.2.2:6443", insecure-skip-tls-verify: true}
users:
- name: cert-user
  user: {client-certificate-data: )" +
                          base64Encode("CERT") + ", client-key-data: " + base64Encode("KEY") + R"(}
- name: token-user
  user: {token: sekret}
contexts:
- name: dev
  context: {cluster: c1, user: cert-user, namespace: ml}
- name: prod
  context: {cluster: c2, user: token-user}
)";

TEST(KubeConfig, ReadsTheCurrentContext) {
  auto config = KubeConfig::fromDocuments({{kBase, "/tmp"}});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->server, "https://10.1.1.1:6443");
  EXPECT_EQ(config->namespace_, "ml");
  EXPECT_EQ(config->tls.caPem, "CA-PEM");
  EXPECT_EQ(config->tls.clientCertPem, "CERT");
  EXPECT_EQ(config->tls.clientKeyPem, "KEY");
  EXPECT_FALSE(config->tls.insecureSkipVerify);
}

TEST(KubeConfig, ANamedContextOverridesTheCurrentOne) {
  auto config = KubeConfig::fromDocuments({{kBase, "/tmp"}}, "prod");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->server, "https://10.2.2.2:6443");
  EXPECT_EQ(config->namespace_, "default");
  EXPECT_EQ(config->bearerToken, "sekret");
  EXPECT_TRUE(config->tls.insecureSkipVerify);
}

TEST(KubeConfig, TheFirstFileToSetAValueWins) {
  const std::string first = R"(
current-context: prod
clusters:
- name: c2
  cluster: {server: "https://first:1"}
)";
  auto config = KubeConfig::fromDocuments({{first, "/a"}, {kBase, "/b"}});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->server, "https://first:1");  // c2 from the first file
  EXPECT_EQ(config->bearerToken, "sekret");      // token-user from the second
}

TEST(KubeConfig, RelativeFilePathsResolveAgainstTheFilesDirectory) {
  const std::string doc = R"(
current-context: x
clusters: [{name: c, cluster: {server: "https://h:1"}}]
users: [{name: u, user: {tokenFile: token.txt}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
)";
  auto config = KubeConfig::fromDocuments({{doc, "/etc/kube"}});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->tokenFile, "/etc/kube/token.txt");
}

struct BadConfigCase {
  std::string name;
  std::string yaml;
  std::string context;
  std::string mentions;  // the error must name this
};

class BadKubeConfigs : public ::testing::TestWithParam<BadConfigCase> {};
TEST_P(BadKubeConfigs, FailWithAMessageThatNamesTheProblem) {
  auto config = KubeConfig::fromDocuments({{GetParam().yaml, "/tmp"}}, GetParam().context);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, ErrorCode::Invalid);
  EXPECT_NE(config.error().message.find(GetParam().mentions), std::string::npos) << config.error().message;
}
INSTANTIATE_TEST_SUITE_P(
    Cases, BadKubeConfigs,
    ::testing::Values(
        BadConfigCase{"NoCurrentContext", "clusters: []", "", "no current-context"},
        BadConfigCase{"UnknownContext", kBase, "staging", "context 'staging' is not defined"},
        BadConfigCase{"UnknownCluster", "current-context: x\ncontexts: [{name: x, context: {cluster: nope}}]", "",
                      "cluster 'nope'"},
        BadConfigCase{
            "MissingServer",
            "current-context: x\nclusters: [{name: c, cluster: {}}]\ncontexts: [{name: x, context: {cluster: c}}]", "",
            "clusters[c].cluster.server is missing"},
        BadConfigCase{
            "BadBase64",
            "current-context: x\nclusters: [{name: c, cluster: {server: s, certificate-authority-data: '!!'}}]\n"
            "contexts: [{name: x, context: {cluster: c}}]",
            "", "certificate-authority-data is not valid base64"},
        BadConfigCase{"CertWithoutKey",
                      "current-context: x\nclusters: [{name: c, cluster: {server: s}}]\nusers: [{name: u, user: "
                      "{client-certificate-data: Zm9v}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]",
                      "", "needs its key"},
        BadConfigCase{"ExecWithoutApiVersion",
                      "current-context: x\nclusters: [{name: c, cluster: {server: s}}]\nusers: [{name: u, user: "
                      "{exec: {command: x}}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]",
                      "", "users[u].user.exec.apiVersion is missing"},
        BadConfigCase{"NotYaml", "clusters: [unclosed", "", "not valid YAML"},
        BadConfigCase{"ListExpected", "current-context: x\nclusters: {a: b}", "", "'cluster' must be a list"}),
    [](const auto& info) { return info.param.name; });

struct PathCase {
  ResourceType type;
  std::string ns, name, sub, expected;
};
class ResourcePaths : public ::testing::TestWithParam<PathCase> {};
TEST_P(ResourcePaths, AreBuiltLikeTheApiServerExpects) {
  const auto& c = GetParam();
  EXPECT_EQ(c.type.path(c.ns, c.name, c.sub), c.expected);
}
INSTANTIATE_TEST_SUITE_P(
    Cases, ResourcePaths,
    ::testing::Values(PathCase{resources::kPods, "ml", "p", "status", "/api/v1/namespaces/ml/pods/p/status"},
                      PathCase{resources::kPods, "", "", "", "/api/v1/pods"},
                      PathCase{resources::kNamespaces, "", "ml", "", "/api/v1/namespaces/ml"},
                      PathCase{resources::kJobs, "ml", "", "", "/apis/batch/v1/namespaces/ml/jobs"},
                      PathCase{resources::kNodes, "ignored", "n1", "", "/api/v1/nodes/n1"}));

TEST(ErrorFromStatus, UsesTheStatusReasonAndMessage) {
  const std::string body =
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"configmaps \"x\" already exists","reason":"AlreadyExists","code":409})";
  const Error error = errorFromStatus(409, body, "create x");
  EXPECT_EQ(error.code, ErrorCode::AlreadyExists);
  EXPECT_EQ(error.reason, "AlreadyExists");
  EXPECT_EQ(error.httpStatus, 409);
  EXPECT_EQ(error.message, "create x: configmaps \"x\" already exists");

  EXPECT_EQ(errorFromStatus(409, R"({"kind":"Status","reason":"Conflict","message":"m"})", "u").code,
            ErrorCode::Conflict);
  EXPECT_EQ(errorFromStatus(410, R"({"kind":"Status","reason":"Expired","message":"too old"})", "w").code,
            ErrorCode::Gone);
  EXPECT_EQ(errorFromStatus(503, "upstream down", "g").code, ErrorCode::Unavailable);
  EXPECT_EQ(errorFromStatus(503, "upstream down", "g").message, "g: upstream down");
  EXPECT_EQ(errorFromStatus(403, "{}", "g").code, ErrorCode::Forbidden);
  EXPECT_EQ(errorFromStatus(429, "{}", "g").code, ErrorCode::TooManyRequests);
}

}  // namespace
}  // namespace launch::kube
