// Unit tests of HttpClient against a local cpp-httplib server: bodies, headers, streaming, errors,
// timeouts and connection reuse.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "fakes/FakeHttpServer.hpp"
#include "http/HttpClient.hpp"

namespace launch::http {
namespace {

using launch::testing::FakeHttpServer;

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.server().Get("/hello", [this](const httplib::Request& req, httplib::Response& res) {
      {
        const std::lock_guard lock(mutex_);
        ports_.insert(req.remote_port);
      }
      res.set_header("X-Echo", req.get_header_value("X-Token"));
      res.set_content("hello", "text/plain");
    });
    server_.server().Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.status = 201;
      res.set_content(req.body + "|" + req.get_header_value("Content-Type"), "text/plain");
    });
    server_.server().Get("/missing", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content(R"({"kind":"Status"})", "application/json");
    });
    server_.server().Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      res.set_content("late", "text/plain");
    });
    server_.server().Get("/stream", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("application/json", [](size_t, httplib::DataSink& sink) {
        for (int i = 0; i < 5; ++i) {
          const std::string line = "{\"n\":" + std::to_string(i) + "}\n";
          if (!sink.write(line.data(), line.size())) return false;
        }
        sink.done();
        return true;
      });
    });
    server_.start();
  }

  FakeHttpServer server_;
  std::mutex mutex_;
  std::set<int> ports_;
  HttpClient client_{HttpClientOptions{}};
};

TEST_F(HttpClientTest, SendsHeadersAndReadsTheAnswer) {
  auto response = client_.send({"GET", server_.url() + "/hello", {{"X-Token", "abc"}}, {}, std::chrono::seconds(5)});
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(response->header("x-echo").value_or(""), "abc");
  EXPECT_FALSE(response->header("X-Absent").has_value());
}

TEST_F(HttpClientTest, PostsABody) {
  auto response = client_.send(
      {"POST", server_.url() + "/echo", {{"Content-Type", "application/json"}}, "{\"a\":1}", std::chrono::seconds(5)});
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "{\"a\":1}|application/json");
}

TEST_F(HttpClientTest, AnyHttpStatusIsAValue) {
  auto response = client_.send({"GET", server_.url() + "/missing", {}, {}, std::chrono::seconds(5)});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 404);
}

TEST_F(HttpClientTest, ReusesItsConnection) {
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(client_.send({"GET", server_.url() + "/hello", {}, {}, std::chrono::seconds(5)}).ok());
  EXPECT_EQ(ports_.size(), 1U) << "each request opened a new connection";
}

TEST_F(HttpClientTest, StreamsTheBodyAndCanStopEarly) {
  std::string all;
  auto response =
      client_.stream({"GET", server_.url() + "/stream", {}, {}, std::chrono::seconds(5)}, [&](std::string_view chunk) {
        all.append(chunk);
        return true;
      });
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(all, "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n");

  int calls = 0;
  auto stopped = client_.stream({"GET", server_.url() + "/stream", {}, {}, std::chrono::seconds(5)},
                                [&](std::string_view) { return ++calls < 1; });
  EXPECT_TRUE(stopped.ok()) << "a transfer stopped by its handler is not an error";
  EXPECT_EQ(calls, 1);
}

TEST_F(HttpClientTest, TimesOut) {
  const auto started = std::chrono::steady_clock::now();
  auto response = client_.send({"GET", server_.url() + "/slow", {}, {}, std::chrono::milliseconds(300)});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::Timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
}

TEST_F(HttpClientTest, ARefusedConnectionIsUnavailableAndNamesTheUrl) {
  const std::string url = server_.url() + "/hello";
  server_.stop();
  auto response = client_.send({"GET", url, {}, {}, std::chrono::seconds(2)});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::Unavailable);
  EXPECT_NE(response.error().message.find(url), std::string::npos) << response.error().message;
}

TEST_F(HttpClientTest, ServesManyThreadsAtOnce) {
  constexpr int kThreads = 8;
  constexpr int kRequests = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRequests; ++i) {
        const std::string token = std::to_string(t) + "-" + std::to_string(i);
        auto response =
            i % 2 == 0
                ? client_.send({"GET", server_.url() + "/hello", {{"X-Token", token}}, {}, std::chrono::seconds(5)})
                : client_.send({"POST",
                                server_.url() + "/echo",
                                {{"Content-Type", "text/plain"}},
                                token,
                                std::chrono::seconds(5)});
        const bool right =
            response.ok() && (i % 2 == 0 ? response->body == "hello" && response->header("X-Echo") == token
                                         : response->body == token + "|text/plain");
        if (!right) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0) << "answers went to the wrong thread or failed";
}

TEST(UrlEncode, EscapesReservedCharacters) {
  EXPECT_EQ(urlEncode("a b/c=d&e~f_g.h-i"), "a%20b%2Fc%3Dd%26e~f_g.h-i");
  EXPECT_EQ(urlEncode("launch.dev/job in (a,b)"), "launch.dev%2Fjob%20in%20%28a%2Cb%29");
}

}  // namespace
}  // namespace launch::http
