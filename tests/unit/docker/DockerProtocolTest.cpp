// Unit tests of the Docker protocol pieces: log frames, stream messages and the registry auth header.
#include <gtest/gtest.h>

#include "docker/DockerEngine.hpp"
#include "docker/LogFrames.hpp"
#include "util/Base64.hpp"

namespace launch::docker {
namespace {

std::string frame(char stream, const std::string& payload) {
  std::string out = {stream, 0, 0, 0};
  const auto n = static_cast<uint32_t>(payload.size());
  out += static_cast<char>((n >> 24) & 0xFF);
  out += static_cast<char>((n >> 16) & 0xFF);
  out += static_cast<char>((n >> 8) & 0xFF);
  out += static_cast<char>(n & 0xFF);
  return out + payload;
}

TEST(LogFrames, SplitsStdoutAndStderr) {
  const std::string big(70000, 'b');
  const auto out = demultiplexLogs(frame(1, "one\n") + frame(2, "err\n") + frame(1, big) + frame(1, "two\n"));
  EXPECT_EQ(out.stdoutText, "one\n" + big + "two\n");
  EXPECT_EQ(out.stderrText, "err\n");
}

TEST(LogFrames, KeepsATruncatedLastFrameAndPassesTtyOutputThrough) {
  std::string raw = frame(1, "complete\n") + frame(1, "cut short");
  raw.resize(raw.size() - 5);
  EXPECT_EQ(demultiplexLogs(raw).stdoutText, "complete\ncut ");
  EXPECT_EQ(demultiplexLogs("plain tty text\n").stdoutText, "plain tty text\n");
  EXPECT_EQ(demultiplexLogs("").stdoutText, "");
}

struct MessageCase {
  std::string name, line, text, error;
  std::string auxKey;
};
class StreamMessages : public ::testing::TestWithParam<MessageCase> {};
TEST_P(StreamMessages, AreRead) {
  const auto m = parseStreamMessage(GetParam().line);
  EXPECT_EQ(m.text, GetParam().text);
  EXPECT_EQ(m.error, GetParam().error);
  if (!GetParam().auxKey.empty()) {
    EXPECT_TRUE(m.aux.contains(GetParam().auxKey)) << m.aux.dump();
  }
}
INSTANTIATE_TEST_SUITE_P(
    Cases, StreamMessages,
    ::testing::Values(MessageCase{"Stream", R"({"stream":"Step 1/2 : FROM scratch\n"})", "Step 1/2 : FROM scratch\n",
                                  "", ""},
                      MessageCase{"Error", R"({"errorDetail":{"message":"COPY failed"},"error":"COPY failed"})", "",
                                  "COPY failed", ""},
                      MessageCase{"DetailOnly", R"({"errorDetail":{"message":"denied"}})", "", "denied", ""},
                      MessageCase{"Aux", R"({"aux":{"ID":"sha256:abc"}})", "", "", "ID"},
                      MessageCase{"Status", R"({"status":"Pushing","progress":"[==>  ]"})", "Pushing [==>  ]", "", ""},
                      MessageCase{"NotJson", "plain words", "plain words", "", ""}),
    [](const auto& info) { return info.param.name; });

TEST(RegistryAuth, EncodesCredentialsAsBase64UrlJson) {
  const auto header = registryAuthHeader({"user", "pa ss", "127.0.0.1:5000"});
  const auto json = Json::parse(*base64Decode(header));
  EXPECT_EQ(json["username"], "user");
  EXPECT_EQ(json["password"], "pa ss");
  EXPECT_EQ(json["serveraddress"], "127.0.0.1:5000");
  EXPECT_EQ(*base64Decode(registryAuthHeader({})), "{}");
}

}  // namespace
}  // namespace launch::docker
