// Tests of source checkout: a real git repository made by the test (branch, tag, commit, subdirectory,
// bad refs), and tar.gz archives served over HTTP (digest check, paths that would escape).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "build/SourceCheckout.hpp"
#include "fakes/FakeHttpServer.hpp"
#include "util/Crypto.hpp"
#include "util/Subprocess.hpp"
#include "util/TarArchive.hpp"

namespace launch::build {
namespace {

namespace fs = std::filesystem;

std::string sh(const std::string& script) {
  auto run = runProcess({"sh", "-c", script}, {{"GIT_AUTHOR_NAME", "t"},
                                               {"GIT_AUTHOR_EMAIL", "t@example.com"},
                                               {"GIT_COMMITTER_NAME", "t"},
                                               {"GIT_COMMITTER_EMAIL", "t@example.com"}});
  EXPECT_TRUE(run && run->exitCode == 0) << script << ": " << (run ? run->stderrText : run.error().message);
  std::string out = run ? run->stdoutText : "";
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string readText(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class SourceCheckoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("launch-src-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    fs::create_directories(base_ / "repo");
    const std::string repo = (base_ / "repo").string();
    sh("cd " + repo + " && git init -q -b main && mkdir -p app && echo one > app/version && git add . && " +
       "git commit -qm one && git tag v1");
    first_ = sh("cd " + repo + " && git rev-parse HEAD");
    sh("cd " + repo + " && echo two > app/version && git commit -qam two");
    second_ = sh("cd " + repo + " && git rev-parse HEAD");
    url_ = "file://" + repo;
  }
  void TearDown() override { fs::remove_all(base_); }

  api::GitSource gitSource(const std::string& ref, const std::string& subdirectory = "") {
    api::GitSource g;
    g.url = url_;
    g.ref = ref;
    g.subdirectory = subdirectory;
    return g;
  }

  fs::path base_;
  std::string url_;
  std::string first_;
  std::string second_;
  http::HttpClient http_{http::HttpClientOptions{}};
};

TEST_F(SourceCheckoutTest, ChecksOutTheRefAndNamesItsCommit) {
  struct Case {
    std::string ref;
    std::string commit;
    const char* version;
  };
  const Case cases[] = {
      {"", second_, "two\n"}, {"main", second_, "two\n"}, {"v1", first_, "one\n"}, {first_, first_, "one\n"}};
  SourceCheckout checkout(http_);
  for (const auto& c : cases) {
    auto out = checkout.fetch(gitSource(c.ref, "app"), base_ / "work");
    ASSERT_TRUE(out) << c.ref << ": " << out.error().message;
    EXPECT_EQ(out->identity, "git:" + c.commit) << c.ref;
    EXPECT_EQ(out->context, base_ / "work" / "app");
    EXPECT_EQ(readText(out->context / "version"), c.version) << c.ref;
  }
}

TEST_F(SourceCheckoutTest, RefusesBadRefsAndSubdirectoriesWithTheField) {
  SourceCheckout checkout(http_);
  struct Case {
    api::GitSource source;
    const char* field;
  };
  const Case cases[] = {{gitSource("no-such-branch"), "spec.source.git.ref"},
                        {gitSource("main", "../outside"), "spec.source.git.subdirectory"},
                        {gitSource("main", "missing"), "spec.source.git.subdirectory"}};
  for (const auto& c : cases) {
    auto out = checkout.fetch(c.source, base_ / "work");
    ASSERT_FALSE(out) << c.field;
    EXPECT_EQ(out.error().code, ErrorCode::Invalid) << out.error().message;
    EXPECT_EQ(out.error().message.rfind(c.field, 0), 0U) << out.error().message;
  }
}

TEST_F(SourceCheckoutTest, FetchesAndChecksArchives) {
  auto archive =
      writeTar({{"train.py", "print('hi')\n", 0755}, {"pkg/data.txt", "data\n", 0644}}, TarCompression::Gzip);
  ASSERT_TRUE(archive);
  auto evil = writeTar({{"../evil", "x", 0644}}, TarCompression::Gzip);
  testing::FakeHttpServer server;
  server.server().Get("/code.tar.gz", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(*archive, "application/gzip");
  });
  server.server().Get("/evil.tar.gz", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(evil ? *evil : std::string(), "application/gzip");
  });
  server.start();
  SourceCheckout checkout(http_);
  const std::string digest = sha256Hex(*archive);

  auto out = checkout.fetch(api::ArchiveSource{server.url() + "/code.tar.gz", digest}, base_ / "archive");
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->identity, "sha256:" + digest);
  EXPECT_EQ(readText(base_ / "archive" / "pkg" / "data.txt"), "data\n");
  EXPECT_TRUE((fs::status(base_ / "archive" / "train.py").permissions() & fs::perms::owner_exec) != fs::perms::none);

  struct Case {
    api::ArchiveSource source;
    const char* field;
  };
  const Case cases[] = {
      {{server.url() + "/code.tar.gz", std::string(64, '0')}, "spec.source.archive.sha256"},
      {{server.url() + "/missing.tar.gz", ""}, "download of"},
      {{"ftp://example.com/code.tar.gz", ""}, "spec.source.archive.url"},
  };
  for (const auto& c : cases) {
    auto failed = checkout.fetch(c.source, base_ / "archive");
    ASSERT_FALSE(failed) << c.field;
    EXPECT_EQ(failed.error().message.rfind(c.field, 0), 0U) << failed.error().message;
  }
  // A presigned URL's signature and token stay out of the message (it goes to the job's status and Events).
  auto presigned = checkout.fetch(
      api::ArchiveSource{server.url() + "/missing.tar.gz?X-Amz-Signature=deadbeef&X-Amz-Security-Token=t0ken", ""},
      base_ / "archive");
  ASSERT_FALSE(presigned);
  EXPECT_EQ(presigned.error().message.find("deadbeef"), std::string::npos) << presigned.error().message;
  EXPECT_EQ(presigned.error().message.find("t0ken"), std::string::npos) << presigned.error().message;
  EXPECT_NE(presigned.error().message.find("X-Amz-Signature=REDACTED"), std::string::npos) << presigned.error().message;
  if (evil) {
    auto escaped = checkout.fetch(api::ArchiveSource{server.url() + "/evil.tar.gz", ""}, base_ / "evil");
    ASSERT_FALSE(escaped);
    EXPECT_FALSE(fs::exists(base_ / "evil"));
  }
}

TEST(StaysInside, KeepsPathsWithinTheirRoot) {
  struct Case {
    const char* path;
    bool inside;
  };
  const Case cases[] = {{"", true},      {"a/b", true},   {"./a", true},       {"a/../b", true},
                        {"../a", false}, {"/etc", false}, {"a/../../b", false}};
  for (const auto& c : cases) EXPECT_EQ(staysInside(c.path), c.inside) << c.path;
}

}  // namespace
}  // namespace launch::build
