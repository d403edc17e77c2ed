// Tests of how a source reaches the Kaniko pod: which git URLs become git:// contexts (a table), and the
// tar.gz of a checked-out directory read back entry by entry.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "build/KanikoContext.hpp"
#include "util/Files.hpp"
#include "util/TarArchive.hpp"

namespace launch::build {
namespace {

namespace fs = std::filesystem;

const std::string kCommit = "0123456789abcdef0123456789abcdef01234567";

TEST(KanikoGitContext, WhichSourcesKanikoClonesItself) {
  struct Case {
    std::string url;
    std::string ref;
    std::string subdirectory;
    std::string identity;
    std::optional<std::string> context;  // nullopt: needs an uploaded context
    std::string subPath;
    bool plainHttp = false;
  };
  const std::vector<Case> cases = {
      {"https://github.com/acme/train.git", "", "", "git:" + kCommit, "git://github.com/acme/train.git##" + kCommit, "",
       false},
      {"https://github.com/acme/train.git", "main", "app/", "git:" + kCommit,
       "git://github.com/acme/train.git##" + kCommit, "app", false},
      {"https://github.com/acme/train", "v1.2", "", "git:" + kCommit, "git://github.com/acme/train##" + kCommit, "",
       false},
      {"https://github.com/acme/train.git", "refs/pull/7/head", "", "git:" + kCommit,
       "git://github.com/acme/train.git#refs/pull/7/head#" + kCommit, "", false},
      {"https://github.com/acme/train.git", "refs/heads/dev", "", "git:" + kCommit,
       "git://github.com/acme/train.git##" + kCommit, "", false},
      {"http://git.internal:3000/ml/repo.git", "", "", "git:" + kCommit,
       "git://git.internal:3000/ml/repo.git##" + kCommit, "", true},
      {"ssh://git@github.com/acme/train.git", "", "", "git:" + kCommit, std::nullopt, "", false},
      {"git@github.com:acme/train.git", "", "", "git:" + kCommit, std::nullopt, "", false},
      {"git://git.internal/repo.git", "", "", "git:" + kCommit, std::nullopt, "", false},
      {"https://user:token@github.com/acme/train.git", "", "", "git:" + kCommit, std::nullopt, "", false},
      {"https://github.com/acme/train.git", "", "", "sha256:" + std::string(64, 'a'), std::nullopt, "", false},
      {"https://github.com/acme/train.git", "", "", "git:main", std::nullopt, "", false},
  };
  for (const auto& c : cases) {
    api::GitSource git{c.url, c.ref, c.subdirectory, "", std::nullopt};
    const auto context = kanikoGitContext(git, c.identity);
    ASSERT_EQ(context.has_value(), c.context.has_value()) << c.url << " " << c.identity;
    if (!context) continue;
    EXPECT_EQ(context->context, *c.context) << c.url;
    EXPECT_EQ(context->subPath, c.subPath) << c.url;
    EXPECT_EQ(context->plainHttp, c.plainHttp) << c.url;
  }
}

class KanikoArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("launch-kaniko-ctx-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "ctx" / "src" / "pkg");
    fs::create_directories(dir_ / "ctx" / ".git" / "objects");
    write("ctx/train.py", "print('hi')\n");
    write("ctx/src/pkg/model.py", "class Model: pass\n");
    write("ctx/run.sh", "#!/bin/sh\nexec python train.py\n");
    fs::permissions(dir_ / "ctx" / "run.sh", fs::perms::owner_exec, fs::perm_options::add);
    write("ctx/Dockerfile", "FROM python:3.12\n");
    write("ctx/.git/objects/big", std::string(1000, 'g'));
    write("outside.txt", "secret\n");
    fs::create_symlink("train.py", dir_ / "ctx" / "alias.py");
    fs::create_symlink("../outside.txt", dir_ / "ctx" / "escape.txt");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& relative, const std::string& content) {
    ASSERT_TRUE(writeFile((dir_ / relative).string(), content).ok());
  }

  static std::map<std::string, TarEntry> entriesOf(const std::string& archive) {
    auto entries = readTar(archive);
    EXPECT_TRUE(entries.ok()) << entries.error().message;
    std::map<std::string, TarEntry> byPath;
    if (entries) {
      for (auto& e : *entries) byPath[e.path] = e;
    }
    return byPath;
  }

  fs::path dir_;
};

TEST_F(KanikoArchiveTest, TheContextWithTheDockerfileToBuild) {
  auto archive = archiveBuildContext(dir_ / "ctx", "Dockerfile", "FROM python:3.12-slim\nCOPY . /app\n");
  ASSERT_TRUE(archive.ok()) << archive.error().message;
  ASSERT_GE(archive->size(), 2U);
  EXPECT_EQ(static_cast<unsigned char>((*archive)[0]), 0x1f) << "gzip";
  EXPECT_EQ(static_cast<unsigned char>((*archive)[1]), 0x8b) << "gzip";
  const auto entries = entriesOf(*archive);
  std::vector<std::string> paths;
  paths.reserve(entries.size());
  for (const auto& [path, entry] : entries) paths.push_back(path);
  // No .git, and no symlinks (one points outside the checkout).
  EXPECT_EQ(paths, (std::vector<std::string>{"Dockerfile", "run.sh", "src/pkg/model.py", "train.py"}));
  EXPECT_EQ(entries.at("Dockerfile").content, "FROM python:3.12-slim\nCOPY . /app\n") << "the given Dockerfile wins";
  EXPECT_EQ(entries.at("run.sh").mode & 0111, 0111);
  EXPECT_EQ(entries.at("train.py").mode & 0111, 0);
}

TEST_F(KanikoArchiveTest, AGeneratedDockerfileInASubdirectory) {
  auto archive = archiveBuildContext(dir_ / "ctx", "launch/Dockerfile.generated", "FROM scratch\n");
  ASSERT_TRUE(archive.ok()) << archive.error().message;
  const auto entries = entriesOf(*archive);
  EXPECT_EQ(entries.at("launch/Dockerfile.generated").content, "FROM scratch\n");
  EXPECT_EQ(entries.at("Dockerfile").content, "FROM python:3.12\n") << "the source's own file stays";
}

TEST_F(KanikoArchiveTest, EqualInputsGiveEqualArchives) {
  auto first = archiveBuildContext(dir_ / "ctx", "Dockerfile", "FROM x\n");
  auto second = archiveBuildContext(dir_ / "ctx", "Dockerfile", "FROM x\n");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, *second);
}

TEST_F(KanikoArchiveTest, RefusesContextsThatAreTooLargeAndDockerfilesOutside) {
  auto large = archiveBuildContext(dir_ / "ctx", "Dockerfile", "FROM x\n", 20);
  ASSERT_FALSE(large.ok());
  EXPECT_NE(large.error().message.find("larger than"), std::string::npos) << large.error().message;
  auto outside = archiveBuildContext(dir_ / "ctx", "a/../../Dockerfile", "FROM x\n");
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().code, ErrorCode::Invalid);
  auto missing = archiveBuildContext(dir_ / "nope", "Dockerfile", "FROM x\n");
  ASSERT_FALSE(missing.ok());
}

TEST_F(KanikoArchiveTest, TellsTheSourcesDockerfileFromAGeneratedOne) {
  EXPECT_TRUE(sourceHasDockerfile(dir_ / "ctx", "Dockerfile", "FROM python:3.12\n"));
  EXPECT_FALSE(sourceHasDockerfile(dir_ / "ctx", "Dockerfile", "FROM python:3.11\n"));
  EXPECT_FALSE(sourceHasDockerfile(dir_ / "ctx", "Dockerfile.gpu", "FROM python:3.12\n"));
}

}  // namespace
}  // namespace launch::build
