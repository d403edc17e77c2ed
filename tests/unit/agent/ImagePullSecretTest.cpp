// Unit tests of the per-run image pull Secret: its name, type, owner and a .dockerconfigjson the kubelet reads.
#include <gtest/gtest.h>

#include <string>

#include "agent/ImagePullSecret.hpp"
#include "registry/DockerConfigJson.hpp"
#include "util/Base64.hpp"

namespace launch::agent {
namespace {

api::LaunchJob makeJob(const std::string& name) {
  api::LaunchJob job;
  job.metadata.name = name;
  job.metadata.namespace_ = "ml";
  job.metadata.uid = "0123abcd-4567-89ef-0000-000000000000";
  return job;
}

TEST(ImagePullSecret, HoldsTheRegistryTokenForItsHostAndIsOwnedByTheJob) {
  const api::LaunchJob job = makeJob("train");
  const auto secret = imagePullSecret(job, "123456789012.dkr.ecr.us-east-1.amazonaws.com",
                                      registry::RegistryCredentials{"AWS", "ecr-token", ""});
  EXPECT_EQ(secret["metadata"]["name"], "lj-train-0123abcd-pull");
  EXPECT_EQ(secret["metadata"]["namespace"], "ml");
  EXPECT_EQ(secret["type"], "kubernetes.io/dockerconfigjson");
  EXPECT_EQ(secret["metadata"]["labels"]["launch.dev/job"], "train");
  const auto& owner = secret["metadata"]["ownerReferences"][0];
  EXPECT_EQ(owner["kind"], "LaunchJob");
  EXPECT_EQ(owner["uid"], job.metadata.uid);
  EXPECT_EQ(owner["controller"], true);

  const auto decoded = base64Decode(secret["data"][".dockerconfigjson"].get<std::string>());
  ASSERT_TRUE(decoded.has_value());
  auto config = registry::DockerConfigJson::parse(*decoded, "the pull Secret");
  ASSERT_TRUE(config.ok()) << config.error().message;
  const auto found = config->find("123456789012.dkr.ecr.us-east-1.amazonaws.com");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->username, "AWS");
  EXPECT_EQ(found->password, "ecr-token");
}

TEST(ImagePullSecret, ALongNameStaysAValidObjectName) {
  const std::string name = imagePullSecretName(makeJob(std::string(80, 'a')));
  EXPECT_LE(name.size(), 63U);
  EXPECT_TRUE(name.ends_with("-pull")) << name;
  EXPECT_EQ(name, imagePullSecretName(makeJob(std::string(80, 'a')))) << "stable for one job";
}

}  // namespace
}  // namespace launch::agent
