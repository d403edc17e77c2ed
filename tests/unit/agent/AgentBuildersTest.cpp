// AgentBuilders: one builder per LaunchAgent from the factory of its builder type, kept while the spec stays
// and replaced (the old one stopped) when it changes; errors that name the field; pull credentials by host.
#include "agent/AgentBuilders.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "fakes/FakeKubeApiServer.hpp"
#include "registry/DockerConfigJson.hpp"
#include "util/Base64.hpp"

namespace launch::agent {
namespace {

struct Counts {
  std::atomic<int> made{0};
  std::atomic<int> started{0};
  std::atomic<int> stopped{0};
};

class CountingBuilder final : public build::Builder {
 public:
  explicit CountingBuilder(Counts& counts) : counts_(counts) {}
  Status start(const build::BuildChanged&) override {
    ++counts_.started;
    return {};
  }
  void stop() override { ++counts_.stopped; }
  Status submit(const build::BuildRequest&) override { return {}; }
  Result<build::BuildObservation> observe(const api::LaunchJob&) override { return build::BuildObservation{}; }
  Result<std::string> logs(const api::LaunchJob&, std::size_t) override { return std::string(); }
  Status cancel(const api::LaunchJob&) override { return {}; }
  Status cleanup(const api::LaunchJob&) override { return {}; }

 private:
  Counts& counts_;
};

api::LaunchAgent agent(api::BuilderType type, bool withRegistry = true) {
  api::LaunchAgent a;
  a.metadata.namespace_ = "ml";
  a.metadata.name = "agent";
  a.spec.queues = {"q"};
  a.spec.builder.type = type;
  if (withRegistry) {
    a.spec.registry =
        api::RegistrySpec{api::RegistryType::Generic, "registry.test:5000/launch", true, api::SecretRef{"regcred"}};
  }
  return a;
}

class AgentBuildersTest : public ::testing::Test {
 protected:
  AgentBuildersTest() : client_(server_.config()) {}

  std::unique_ptr<AgentBuilders> make() {
    std::map<api::BuilderType, BuilderFactory> factories;
    factories[api::BuilderType::Docker] =
        [this](const BuilderContext& context) -> Result<std::unique_ptr<build::Builder>> {
      ++counts_.made;
      lastHint_ = context.credentialsHint;
      lastHadCredentials_ = context.credentials != nullptr;
      return std::unique_ptr<build::Builder>(std::make_unique<CountingBuilder>(counts_));
    };
    return std::make_unique<AgentBuilders>(client_, factories, [](const std::string&) {});
  }

  testing::FakeKubeApiServer server_;
  kube::KubeClient client_;
  Counts counts_;
  std::string lastHint_;
  bool lastHadCredentials_ = false;
};

TEST_F(AgentBuildersTest, AnAgentKeepsItsBuilderWhileItsSpecStays) {
  auto builders = make();
  auto first = builders->forAgent(agent(api::BuilderType::Docker));
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto again = builders->forAgent(agent(api::BuilderType::Docker));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(first->get(), again->get());
  EXPECT_EQ(counts_.made, 1);
  EXPECT_EQ(counts_.started, 1);
  EXPECT_NE((*first)->registry, nullptr);
  EXPECT_TRUE(lastHadCredentials_);
  EXPECT_NE(lastHint_.find("regcred"), std::string::npos) << lastHint_;
  EXPECT_EQ(builders->find("ml/agent").get(), first->get());
}

TEST_F(AgentBuildersTest, AChangedSpecMakesANewBuilderAndStopsTheOld) {
  auto builders = make();
  ASSERT_TRUE(builders->forAgent(agent(api::BuilderType::Docker)).ok());
  auto changed = agent(api::BuilderType::Docker);
  changed.spec.builder.platform = "linux/arm64";
  ASSERT_TRUE(builders->forAgent(changed).ok());
  EXPECT_EQ(counts_.made, 2);
  EXPECT_EQ(counts_.stopped, 1);
  builders->remove("ml/agent");
  EXPECT_EQ(counts_.stopped, 2);
  EXPECT_EQ(builders->find("ml/agent"), nullptr);
}

TEST_F(AgentBuildersTest, NoopNeedsNoFactory) {
  auto builders = make();
  auto setup = builders->forAgent(agent(api::BuilderType::Noop, false));
  ASSERT_TRUE(setup.ok());
  EXPECT_EQ((*setup)->builder, nullptr);
  EXPECT_EQ((*setup)->registry, nullptr);
  EXPECT_EQ(counts_.made, 0);
}

struct RefusedCase {
  const char* name;
  api::LaunchAgent agent;
  const char* messageHas;
};

class RefusedAgents : public AgentBuildersTest, public ::testing::WithParamInterface<RefusedCase> {};

TEST_P(RefusedAgents, NameTheFieldToChange) {
  auto builders = make();
  auto setup = builders->forAgent(GetParam().agent);
  ASSERT_FALSE(setup.ok());
  EXPECT_EQ(setup.error().code, ErrorCode::Invalid);
  EXPECT_NE(setup.error().message.find(GetParam().messageHas), std::string::npos) << setup.error().message;
}

INSTANTIATE_TEST_SUITE_P(AgentBuilders, RefusedAgents,
                         ::testing::Values(RefusedCase{"NoKanikoFactory", agent(api::BuilderType::Kaniko),
                                                       "spec.builder.type of LaunchAgent 'agent' is kaniko"},
                                           RefusedCase{"EcrWithoutSecret",
                                                       [] {
                                                         auto a = agent(api::BuilderType::Docker);
                                                         a.spec.registry->type = api::RegistryType::Ecr;
                                                         a.spec.registry->uri =
                                                             "123456789012.dkr.ecr.us-east-1.amazonaws.com/launch";
                                                         a.spec.registry->credentialsSecretRef.reset();
                                                         return a;
                                                       }(),
                                                       "spec.registry.credentialsSecretRef"}),
                         [](const auto& info) { return std::string(info.param.name); });

// A cloud registry named without a Secret gets the operator's cloud identity, for its own host.
TEST_F(AgentBuildersTest, ACloudRegistryWithoutASecretUsesTheOperatorsCloudCredentials) {
  class CloudSource final : public registry::CredentialSource {
   public:
    Result<registry::RegistryCredentials> credentials() override {
      return registry::RegistryCredentials{"AWS", "ecr-token", ""};
    }
    std::string describe() const override { return "ECR token of the test identity"; }
  };
  std::string askedHost;
  std::map<api::BuilderType, BuilderFactory> factories;
  factories[api::BuilderType::Docker] =
      [this](const BuilderContext& context) -> Result<std::unique_ptr<build::Builder>> {
    lastHadCredentials_ = context.credentials != nullptr;
    lastHint_ = context.credentialsHint;
    return std::unique_ptr<build::Builder>(std::make_unique<CountingBuilder>(counts_));
  };
  AgentBuilders builders(
      client_, factories, [](const std::string&) {},
      [&](const api::LaunchAgent&, const std::string& host) -> Result<std::shared_ptr<registry::CredentialSource>> {
        askedHost = host;
        return std::shared_ptr<registry::CredentialSource>(std::make_shared<CloudSource>());
      });
  auto ecr = agent(api::BuilderType::Docker);
  ecr.spec.registry->type = api::RegistryType::Ecr;
  ecr.spec.registry->uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/launch";
  ecr.spec.registry->credentialsSecretRef.reset();
  auto setup = builders.forAgent(ecr);
  ASSERT_TRUE(setup.ok()) << setup.error().message;
  EXPECT_EQ(askedHost, "123456789012.dkr.ecr.us-east-1.amazonaws.com");
  ASSERT_NE((*setup)->credentials, nullptr);
  EXPECT_EQ((*setup)->credentials->credentials()->password, "ecr-token");
  EXPECT_TRUE(lastHadCredentials_);
  EXPECT_NE(lastHint_.find("ECR token of the test identity"), std::string::npos) << lastHint_;
}

TEST_F(AgentBuildersTest, PullCredentialsComeFromTheAgentOnTheImagesHost) {
  registry::DockerConfigJson config;
  config.set("registry.test:5000", registry::RegistryCredentials{"pusher", "s3cret", ""});
  server_.script("GET", "/api/v1/namespaces/ml/secrets/regcred",
                 {testing::FakeKubeApiServer::json(
                     200, nlohmann::json{{"apiVersion", "v1"},
                                         {"kind", "Secret"},
                                         {"metadata", {{"name", "regcred"}, {"namespace", "ml"}}},
                                         {"data", {{".dockerconfigjson", base64Encode(config.toJson())}}}}
                              .dump())});
  auto builders = make();
  EXPECT_TRUE(builders->pullCredentials("registry.test:5000/launch:abc").username.empty())
      << "no agent known yet: anonymous";
  ASSERT_TRUE(builders->forAgent(agent(api::BuilderType::Docker)).ok());
  const docker::RegistryCredentials found = builders->pullCredentials("registry.test:5000/launch:abc");
  EXPECT_EQ(found.username, "pusher");
  EXPECT_EQ(found.password, "s3cret");
  EXPECT_EQ(found.serverAddress, "registry.test:5000");
  EXPECT_TRUE(builders->pullCredentials("ghcr.io/other/image:1").username.empty()) << "another host: anonymous";
}

}  // namespace
}  // namespace launch::agent
