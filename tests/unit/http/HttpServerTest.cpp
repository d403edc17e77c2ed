// Unit tests of HttpServer: routes answered to GET and HEAD, 404 and 405, malformed and silent clients, a taken
// port refused by name, and stop() ending the serving thread.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>

#include "http/HttpClient.hpp"
#include "http/HttpServer.hpp"

namespace launch::http {
namespace {

// Sends raw bytes to 127.0.0.1:port and returns everything the server sends back before closing.
std::string exchange(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return "connect failed";
  }
  (void)!::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string answer;
  char buffer[4096];
  ssize_t got = 0;
  while ((got = ::recv(fd, buffer, sizeof buffer, 0)) > 0) answer.append(buffer, static_cast<size_t>(got));
  ::close(fd);
  return answer;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto listening = HttpServer::listen("127.0.0.1:0", std::chrono::milliseconds(300));
    ASSERT_TRUE(listening.ok()) << listening.error().describe();
    server_ = std::move(listening).value();
    server_->route("/healthz", [] { return ServerResponse{200, "text/plain", "ok"}; });
    server_->route("/readyz", [this] {
      return ready_ ? ServerResponse{200, "text/plain", "ok"} : ServerResponse{503, "text/plain", "not synced"};
    });
    server_->route("/boom", []() -> ServerResponse { throw std::runtime_error("no metrics"); });
    server_->start();
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  std::unique_ptr<HttpServer> server_;
  std::atomic<bool> ready_{false};
  HttpClient client_{HttpClientOptions{}};
};

struct RouteCase {
  std::string name;
  std::string method;
  std::string path;
  long status;
  std::string body;
};

class HttpServerRoutes : public HttpServerTest, public ::testing::WithParamInterface<RouteCase> {};

TEST_P(HttpServerRoutes, AnswerAsRouted) {
  HttpRequest request;
  request.method = GetParam().method;
  request.url = url(GetParam().path);
  request.timeout = std::chrono::seconds(5);
  auto response = client_.send(request);
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, GetParam().status);
  EXPECT_EQ(response->body, GetParam().body);
}

INSTANTIATE_TEST_SUITE_P(
    HttpServer, HttpServerRoutes,
    ::testing::Values(RouteCase{"Get", "GET", "/healthz", 200, "ok"},
                      RouteCase{"QueryIgnored", "GET", "/healthz?verbose=1", 200, "ok"},
                      RouteCase{"HeadHasNoBody", "HEAD", "/healthz", 200, ""},
                      RouteCase{"HandlerStatus", "GET", "/readyz", 503, "not synced"},
                      RouteCase{"UnknownPath", "GET", "/nope", 404, "not found\n"},
                      RouteCase{"OtherMethod", "POST", "/healthz", 405, "only GET and HEAD are served\n"},
                      RouteCase{"ThrowingHandler", "GET", "/boom", 500, "the handler failed: no metrics\n"}),
    [](const auto& info) { return info.param.name; });

TEST_F(HttpServerTest, AnswersWithLengthAndClosesTheConnection) {
  ready_ = true;
  const std::string answer = exchange(server_->port(), "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(answer, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
}

TEST_F(HttpServerTest, RefusesAMalformedRequestAndOutlivesASilentClient) {
  EXPECT_EQ(exchange(server_->port(), "nonsense\r\n\r\n").rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0U);
  // A client that connects and says nothing is dropped after a while; the next one is answered.
  const int silent = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(server_->port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(silent, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  const auto started = std::chrono::steady_clock::now();
  const std::string answer = exchange(server_->port(), "GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_NE(answer.find("\r\n\r\nok"), std::string::npos) << answer;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  ::close(silent);
}

TEST(HttpServer, RefusesATakenPortAndAMalformedAddressByName) {
  auto first = HttpServer::listen("127.0.0.1:0");
  ASSERT_TRUE(first.ok());
  auto taken = HttpServer::listen("127.0.0.1:" + std::to_string((*first)->port()));
  ASSERT_FALSE(taken.ok());
  EXPECT_NE(taken.error().message.find("cannot listen on 127.0.0.1:"), std::string::npos) << taken.error().message;
  EXPECT_NE(taken.error().message.find("in use"), std::string::npos) << taken.error().message;
  auto malformed = HttpServer::listen("127.0.0.1:http");
  ASSERT_FALSE(malformed.ok());
  EXPECT_NE(malformed.error().message.find("the port must be a number"), std::string::npos);
  auto badHost = HttpServer::listen("my-host:8080");
  ASSERT_FALSE(badHost.ok());
  EXPECT_NE(badHost.error().message.find("IP address"), std::string::npos);
}

TEST(HttpServer, StopEndsServingAndFreesThePort) {
  auto server = HttpServer::listen("127.0.0.1:0");
  ASSERT_TRUE(server.ok());
  const int port = (*server)->port();
  (*server)->route("/healthz", [] { return ServerResponse{}; });
  (*server)->start();
  const auto started = std::chrono::steady_clock::now();
  (*server)->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
  server->reset();
  EXPECT_TRUE(HttpServer::listen("127.0.0.1:" + std::to_string(port)).ok()) << "the port was not released";
}

}  // namespace
}  // namespace launch::http
