// DockerIgnore: which paths a .dockerignore leaves out (docker build's rules), and the errors for bad lines.
#include "build/DockerIgnore.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace launch::build {
namespace {

struct Case {
  std::string name;
  std::string patterns;
  std::vector<std::string> excluded;
  std::vector<std::string> kept;
};

class DockerIgnoreCases : public ::testing::TestWithParam<Case> {};

TEST_P(DockerIgnoreCases, LeaveOutWhatTheyMatch) {
  const Case& c = GetParam();
  auto ignore = DockerIgnore::parse(c.patterns);
  ASSERT_TRUE(ignore.ok()) << ignore.error().message;
  for (const auto& path : c.excluded) EXPECT_TRUE(ignore->excludes(path)) << path << " should be left out";
  for (const auto& path : c.kept) EXPECT_FALSE(ignore->excludes(path)) << path << " should be kept";
}

INSTANTIATE_TEST_SUITE_P(
    DockerIgnore, DockerIgnoreCases,
    ::testing::Values(
        Case{"Empty", "", {}, {"Dockerfile", "src/train.py"}},
        Case{"CommentsAndBlankLines", "# data\n\n   \n", {}, {"data/x.bin"}},
        Case{"ADirectoryAndAllUnderIt", "data\n", {"data", "data/x.bin", "data/deep/y.bin"}, {"src/data", "database"}},
        Case{"LeadingSlashAndDotsAreCleaned", "/data/\n./logs/../tmp\n", {"data/x", "tmp/a"}, {"logs/a"}},
        Case{"StarStaysInOneSegment", "*.log\nsrc/*.tmp\n", {"a.log", "src/b.tmp"}, {"src/a.log", "src/x/b.tmp"}},
        Case{"DoubleStarCrossesDirectories",
             "**/*.pyc\ncache/**\n",
             {"a.pyc", "src/x/b.pyc", "cache/1", "cache/a/b"},
             {"src/b.py"}},
        Case{"QuestionMarkAndClasses",
             "file?.txt\nrun[0-9].sh\nlog[!a].txt\n",
             {"file1.txt", "run7.sh", "logb.txt"},
             {"file10.txt", "runx.sh", "loga.txt"}},
        Case{"ExceptionsReincludeAndTheLastMatchWins",
             "data\n!data/keep.txt\n*.md\n!README.md\nREADME.md\n",
             {"data/x.bin", "NOTES.md", "README.md"},
             {"data/keep.txt", "src/train.py"}},
        Case{"EscapedCharactersAreLiteral", "\\*.txt\nweird\\[1\\]\n", {"*.txt", "weird[1]"}, {"a.txt", "weird1"}},
        Case{"WhitespaceAroundAPatternIsTrimmed", "  secrets.env  \r\n", {"secrets.env"}, {"env"}}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(DockerIgnore, SaysWhetherAnyPatternReincludes) {
  EXPECT_FALSE(DockerIgnore::parse("data\n*.log\n")->hasExceptions());
  EXPECT_TRUE(DockerIgnore::parse("data\n!data/keep\n")->hasExceptions());
}

TEST(DockerIgnore, AMalformedLineIsRefusedNamingIt) {
  for (const std::string text : {"ok\nrun[0-9.sh\n", "ok\nend\\\n"}) {
    auto ignore = DockerIgnore::parse(text);
    ASSERT_FALSE(ignore.ok()) << text;
    EXPECT_EQ(ignore.error().code, ErrorCode::Invalid);
    EXPECT_NE(ignore.error().message.find("line 2"), std::string::npos) << ignore.error().message;
    EXPECT_NE(ignore.error().message.find("fix the pattern"), std::string::npos) << ignore.error().message;
  }
}

}  // namespace
}  // namespace launch::build
