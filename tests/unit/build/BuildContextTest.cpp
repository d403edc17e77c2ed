// BuildContext: the tar made from a context directory: what goes in, what stays out, modes, the size limit
// and byte-identical archives for equal trees.
#include "build/BuildContext.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace launch::build {
namespace {

namespace fs = std::filesystem;

class BuildContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("build-context-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "src");
    fs::create_directories(dir_ / ".git/objects");
    std::ofstream(dir_ / "Dockerfile") << "FROM scratch\n";
    std::ofstream(dir_ / "src/train.py") << "print('hi')\n";
    std::ofstream(dir_ / "run.sh") << "#!/bin/sh\n";
    fs::permissions(dir_ / "run.sh", fs::perms::owner_exec, fs::perm_options::add);
    std::ofstream(dir_ / ".git/HEAD") << "ref: refs/heads/main\n";
    fs::create_symlink("/etc/hostname", dir_ / "escape");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::map<std::string, TarEntry> entries(const std::string& tar) {
    auto read = readTar(tar);
    EXPECT_TRUE(read.ok());
    std::map<std::string, TarEntry> byPath;
    if (read.ok()) {
      for (auto& e : *read) byPath[e.path] = e;
    }
    return byPath;
  }

  fs::path dir_;
};

TEST_F(BuildContextTest, HoldsTheFilesButNotGitOrSymlinks) {
  auto tar = makeBuildContext(dir_);
  ASSERT_TRUE(tar.ok()) << tar.error().message;
  const auto files = entries(*tar);
  EXPECT_EQ(files.size(), 3U);
  EXPECT_EQ(files.at("Dockerfile").content, "FROM scratch\n");
  EXPECT_EQ(files.at("src/train.py").content, "print('hi')\n");
  EXPECT_EQ(files.at("run.sh").mode, 0755);
  EXPECT_EQ(files.at("src/train.py").mode, 0644);
  EXPECT_EQ(files.count(".git/HEAD"), 0U);
  EXPECT_EQ(files.count("escape"), 0U) << "a symlink could carry a file from outside the checkout";
}

TEST_F(BuildContextTest, LeavesOutWhatItsDockerignoreExcludesBeforeTheSizeLimitCounts) {
  fs::create_directories(dir_ / "data/keep");
  std::ofstream(dir_ / "data/huge.bin") << std::string(4096, 'x');
  std::ofstream(dir_ / "data/keep/labels.csv") << "a,b\n";
  std::ofstream(dir_ / "debug.log") << "noise\n";
  std::ofstream(dir_ / ".dockerignore") << "# not for the image\ndata\n!data/keep/labels.csv\n*.log\nDockerfile\n";
  BuildContextOptions options;
  options.maxBytes = 1024;  // data/huge.bin alone is over it, but it is left out
  auto tar = makeBuildContext(dir_, {TarEntry{"Dockerfile", "FROM scratch\n", 0644}}, options);
  ASSERT_TRUE(tar.ok()) << tar.error().message;
  const auto files = entries(*tar);
  EXPECT_EQ(files.count("data/huge.bin"), 0U);
  EXPECT_EQ(files.count("debug.log"), 0U);
  EXPECT_EQ(files.count("data/keep/labels.csv"), 1U) << "an exception re-includes a file of an excluded directory";
  EXPECT_EQ(files.count("src/train.py"), 1U);
  EXPECT_EQ(files.count(".dockerignore"), 1U) << "docker sends the .dockerignore itself";
  EXPECT_EQ(files.count("Dockerfile"), 1U) << "the build's Dockerfile is sent whatever the patterns say";

  std::ofstream(dir_ / ".dockerignore") << "data\nrun[0-9.sh\n";
  auto refused = makeBuildContext(dir_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find(".dockerignore line 2"), std::string::npos) << refused.error().message;
}

TEST_F(BuildContextTest, ExtraEntriesAreAddedOrReplaceFiles) {
  auto tar = makeBuildContext(
      dir_, {{"Dockerfile.launch", "FROM python:3.12-slim\n", 0644}, {"Dockerfile", "FROM busybox\n", 0644}});
  ASSERT_TRUE(tar.ok()) << tar.error().message;
  const auto files = entries(*tar);
  EXPECT_EQ(files.at("Dockerfile.launch").content, "FROM python:3.12-slim\n");
  EXPECT_EQ(files.at("Dockerfile").content, "FROM busybox\n");
}

TEST_F(BuildContextTest, EqualTreesGiveEqualArchives) {
  auto first = makeBuildContext(dir_);
  auto second = makeBuildContext(dir_);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, *second);
}

TEST_F(BuildContextTest, ALargerContextIsRefusedWithTheFix) {
  BuildContextOptions options;
  options.maxBytes = 10;
  auto tar = makeBuildContext(dir_, {}, options);
  ASSERT_FALSE(tar.ok());
  EXPECT_EQ(tar.error().code, ErrorCode::Invalid);
  EXPECT_NE(tar.error().message.find("subdirectory"), std::string::npos) << tar.error().message;
}

TEST_F(BuildContextTest, AMissingDirectoryIsAnError) {
  auto tar = makeBuildContext(dir_ / "nowhere");
  ASSERT_FALSE(tar.ok());
  EXPECT_NE(tar.error().message.find("nowhere"), std::string::npos);
}

}  // namespace
}  // namespace launch::build
