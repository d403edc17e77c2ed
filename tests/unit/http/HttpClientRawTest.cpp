// Unit tests of HttpClient against raw socket servers: framings, keep-alive, timeouts, streams, proxies.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "http/HttpClient.hpp"
#include "unit/http/RawServer.hpp"
#include "unit/http/ScopedEnvironment.hpp"

namespace launch::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::RawPeer;
using testing::RawRequest;
using testing::RawServer;
using testing::ScopedEnvironment;
using testing::serveEach;
using SteadyClock = std::chrono::steady_clock;

HttpRequest request(std::string method, std::string url, Headers headers = {}, std::string body = {},
                    milliseconds timeout = seconds(5)) {
  HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.headers = std::move(headers);
  r.body = std::move(body);
  r.timeout = timeout;
  return r;
}

// Heads the server saw, in order.
class HeadLog {
 public:
  void add(const RawRequest& request) {
    const std::lock_guard lock(mutex_);
    requests_.push_back(request);
  }
  std::vector<RawRequest> all() const {
    const std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<RawRequest> requests_;
};

class HttpClientRawTest : public ::testing::Test {
 protected:
  ScopedEnvironment environment_;  // no proxy from the machine's environment
};

TEST_F(HttpClientRawTest, ReadsEveryBodyFraming) {
  const struct {
    const char* name;
    const char* method;
    std::string response;
    bool serverCloses;  // after its answer
    long status;
    std::string body;
    std::pair<std::string, std::string> header;  // expected in the answer; empty name: none
    std::string absentHeader;
    bool reused;  // the second request goes over the first connection
  } cases[] = {
      {"content length",
       "GET",
       "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello",
       false,
       200,
       "hello",
       {"x-a", "1"},
       "",
       true},
      {"empty content length", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, 200, "", {}, "", true},
      {"chunked with trailers",
       "GET",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: "
       "t\r\n\r\n",
       false,
       200,
       "hello world",
       {"X-Trailer", "t"},
       "",
       true},
      {"read until close",
       "GET",
       "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello until close",
       true,
       200,
       "hello until close",
       {"Content-Type", "text/plain"},
       "",
       false},
      {"HTTP/1.0", "GET", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false, 200, "ok", {}, "", false},
      {"HTTP/1.0 keep-alive",
       "GET",
       "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
       false,
       200,
       "ok",
       {},
       "",
       true},
      {"Connection: close",
       "GET",
       "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
       false,
       200,
       "ok",
       {},
       "",
       false},
      {"204 has no body",
       "DELETE",
       "HTTP/1.1 204 No Content\r\nX-B: 2\r\n\r\n",
       false,
       204,
       "",
       {"X-B", "2"},
       "",
       true},
      {"304 has no body",
       "GET",
       "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
       false,
       304,
       "",
       {},
       "",
       true},
      {"HEAD reads no body",
       "HEAD",
       "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
       false,
       200,
       "",
       {"Content-Length", "100"},
       "",
       true},
      {"interim answers are skipped",
       "GET",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
       false,
       200,
       "ok",
       {},
       "Link",
       true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    RawServer server([&](RawPeer& peer) {
      while (peer.readRequest()) {
        if (!peer.write(c.response) || c.serverCloses) return;
      }
    });
    HttpClient client{HttpClientOptions{}};
    for (int i = 0; i < 2; ++i) {
      auto response = client.send(request(c.method, server.url() + "/shape"));
      ASSERT_TRUE(response.ok()) << response.error().describe();
      EXPECT_EQ(response->status, c.status);
      EXPECT_EQ(response->body, c.body);
      if (!c.header.first.empty()) {
        EXPECT_EQ(response->header(c.header.first).value_or("<none>"), c.header.second);
      }
      if (!c.absentHeader.empty()) {
        EXPECT_FALSE(response->header(c.absentHeader).has_value());
      }
    }
    EXPECT_EQ(server.connections(), c.reused ? 1 : 2);
  }
}

TEST_F(HttpClientRawTest, StreamsAChunkedBodyAsItsPiecesArrive) {
  RawServer server([](RawPeer& peer) {
    if (!peer.readRequest()) return;
    const std::string body = "4\r\none\n\r\n4\r\ntwo\n\r\n6\r\nthree\n\r\n0\r\n\r\n";
    peer.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (size_t at = 0; at < body.size(); at += 3) {
      peer.write(body.substr(at, 3));
      std::this_thread::sleep_for(milliseconds(2));
    }
    peer.readRequest();
  });
  HttpClient client{HttpClientOptions{}};
  std::string all;
  int calls = 0;
  auto response = client.stream(request("GET", server.url() + "/watch"), [&](std::string_view chunk) {
    all.append(chunk);
    ++calls;
    return true;
  });
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->body.empty()) << "a streamed body goes to the handler only";
  EXPECT_EQ(all, "one\ntwo\nthree\n");
  EXPECT_GT(calls, 1);
}

TEST_F(HttpClientRawTest, SendsHostLengthAndTheCallersHeaders) {
  HeadLog log;
  RawServer server(serveEach([&](const RawRequest& r) {
    log.add(r);
    return std::string("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  }));
  const std::string authority = "127.0.0.1:" + std::to_string(server.port());
  const struct {
    const char* name;
    HttpRequest request;
    std::string requestLine;
    std::vector<std::string> lines;   // header lines expected, exactly
    std::vector<std::string> absent;  // header names not expected
    std::string body;
  } cases[] = {
      {"GET sends no length",
       request("GET", server.url() + "/a/b?c=d%2Fe&f"),
       "GET /a/b?c=d%2Fe&f HTTP/1.1",
       {"Host: " + authority, "Accept: */*"},
       {"Content-Length", "Expect", "Transfer-Encoding"},
       ""},
      {"POST without body sends length 0",
       request("POST", server.url() + "/p"),
       "POST /p HTTP/1.1",
       {"Content-Length: 0"},
       {"Expect"},
       ""},
      {"PUT sends its length",
       request("PUT", server.url() + "/p", {{"Content-Type", "text/plain"}}, "12345"),
       "PUT /p HTTP/1.1",
       {"Content-Length: 5", "Content-Type: text/plain"},
       {"Expect"},
       "12345"},
      {"a large PATCH sends no Expect",
       request("PATCH", server.url() + "/p", {}, std::string(200000, 'x')),
       "PATCH /p HTTP/1.1",
       {"Content-Length: 200000"},
       {"Expect"},
       std::string(200000, 'x')},
      {"DELETE without body sends no length",
       request("DELETE", server.url() + "/d"),
       "DELETE /d HTTP/1.1",
       {},
       {"Content-Length"},
       ""},
      {"headers as given",
       request("GET", server.url() + "/", {{"X-Token", "abc"}, {"X-Empty", ""}, {"Accept", "a/b"}}),
       "GET / HTTP/1.1",
       {"X-Token: abc", "X-Empty:", "Accept: a/b"},
       {},
       ""},
      {"the caller's Host wins",
       request("GET", server.url() + "/", {{"Host", "bucket.s3.example"}}),
       "GET / HTTP/1.1",
       {"Host: bucket.s3.example"},
       {},
       ""},
      {"no path", request("GET", server.url()), "GET / HTTP/1.1", {}, {}, ""},
  };
  HttpClient client{HttpClientOptions{}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto response = client.send(c.request);
    ASSERT_TRUE(response.ok()) << response.error().describe();
    const RawRequest seen = log.all().back();
    EXPECT_EQ(seen.requestLine(), c.requestLine);
    for (const auto& line : c.lines)
      EXPECT_NE((seen.head + "\r\n").find("\r\n" + line + "\r\n"), std::string::npos) << line;
    for (const auto& name : c.absent) EXPECT_FALSE(seen.header(name).has_value()) << name;
    EXPECT_EQ(seen.body, c.body);
    size_t hosts = 0;
    for (size_t at = seen.head.find("\r\nHost:"); at != std::string::npos; at = seen.head.find("\r\nHost:", at + 1)) {
      ++hosts;
    }
    EXPECT_EQ(hosts, 1U) << "one Host header";
  }
}

TEST_F(HttpClientRawTest, RefusesHeadersThatWouldSplitTheRequest) {
  HttpClient client{HttpClientOptions{}};
  const std::vector<HttpRequest> cases = {
      request("GET", "http://127.0.0.1:1/", {{"X-A", "v\r\nX-Injected: 1"}}),
      request("GET", "http://127.0.0.1:1/", {{"X A", "v"}}),
      request("GET /x HTTP/1.1\r\n", "http://127.0.0.1:1/"),
  };
  for (const auto& r : cases) {
    auto response = client.send(r);
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().code, ErrorCode::Invalid) << response.error().message;
  }
}

constexpr const char* kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

TEST_F(HttpClientRawTest, AStaleKeptAliveConnectionIsRetriedOnceOnAFreshOne) {
  // The first connection answers one request, then reads the next and resets without answering, as a server
  // that closed an idle connection does; the pooled connection still looked alive to the client.
  std::atomic<int> accepted{0};
  std::atomic<int> requests{0};
  RawServer server([&](RawPeer& peer) {
    const int connection = ++accepted;
    for (int i = 0; peer.readRequest(); ++i) {
      ++requests;
      if (connection == 1 && i == 1) {
        peer.resetOnClose();
        return;
      }
      peer.write(kOk);
    }
  });
  HttpClient client{HttpClientOptions{}};
  ASSERT_TRUE(client.send(request("GET", server.url() + "/1")).ok());
  auto retried = client.send(request("POST", server.url() + "/2", {}, "payload"));
  ASSERT_TRUE(retried.ok()) << retried.error().describe();
  EXPECT_EQ(retried->body, "ok");
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(requests, 3);
}

TEST_F(HttpClientRawTest, AFreshConnectionThatFailsIsNotRetried) {
  // The first connection answers once, then drops; every later connection drops its request.
  std::atomic<int> accepted{0};
  RawServer server([&](RawPeer& peer) {
    const int connection = ++accepted;
    if (!peer.readRequest()) return;
    if (connection == 1) {
      peer.write(kOk);
      if (!peer.readRequest()) return;
    }
    peer.resetOnClose();
  });
  HttpClient client{HttpClientOptions{}};
  ASSERT_TRUE(client.send(request("GET", server.url() + "/1")).ok());
  auto failed = client.send(request("GET", server.url() + "/2"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::Unavailable);
  EXPECT_TRUE(failed.error().reason.empty()) << "the request reached the server";
  EXPECT_EQ(server.connections(), 2) << "retried on one fresh connection, not more";
}

TEST_F(HttpClientRawTest, ARequestThatAsksToCloseIsNotKept) {
  RawServer server(serveEach([](const RawRequest&) { return kOk; }));
  HttpClient client{HttpClientOptions{}};
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(client.send(request("GET", server.url() + "/", {{"Connection", "close"}})).ok());
  }
  EXPECT_EQ(server.connections(), 2);
}

TEST_F(HttpClientRawTest, GoesOverAUnixSocket) {
  const std::string path = "/tmp/launch-http-test-" + std::to_string(::getpid()) + ".sock";
  HeadLog log;
  RawServer server(serveEach([&](const RawRequest& r) {
                     log.add(r);
                     return std::string("HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\nOK");
                   }),
                   RawServer::Family::Unix, path);
  ASSERT_TRUE(server.listening());
  HttpClientOptions options;
  options.unixSocket = path;
  HttpClient client(options);
  for (int i = 0; i < 2; ++i) {
    auto response = client.send(request("GET", "http://docker/v1.41/_ping"));
    ASSERT_TRUE(response.ok()) << response.error().describe();
    EXPECT_EQ(response->body, "OK");
  }
  EXPECT_EQ(server.connections(), 1) << "kept alive over the socket";
  const auto heads = log.all();
  ASSERT_EQ(heads.size(), 2U);
  EXPECT_EQ(heads[0].requestLine(), "GET /v1.41/_ping HTTP/1.1");
  EXPECT_EQ(heads[0].header("Host").value_or(""), "docker") << "no default port in Host";

  HttpClientOptions missing;
  missing.unixSocket = path + ".missing";
  auto refused = HttpClient(missing).send(request("GET", "http://docker/_ping"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().reason, kReasonConnectFailed);
}

TEST_F(HttpClientRawTest, AnIpv6ServerIsReachedByItsBracketedAddress) {
  HeadLog log;
  RawServer server(serveEach([&](const RawRequest& r) {
                     log.add(r);
                     return std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nv6");
                   }),
                   RawServer::Family::Ipv6);
  if (!server.listening()) GTEST_SKIP() << "no IPv6 loopback here";
  const std::string url = "http://[::1]:" + std::to_string(server.port()) + "/six";
  auto response = HttpClient(HttpClientOptions{}).send(request("GET", url));
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->body, "v6");
  EXPECT_EQ(log.all().at(0).header("Host").value_or(""), "[::1]:" + std::to_string(server.port()));
}

// Answers the head of a chunked stream, then `after` (nothing more when empty) until the client leaves.
RawServer::Handler streamThenIdle(std::function<void(RawPeer&)> after = {}) {
  return [after = std::move(after)](RawPeer& peer) {
    if (!peer.readRequest()) return;
    peer.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    if (after) after(peer);
    peer.readRequest();  // returns when the client closes the connection or the server stops
  };
}

TEST_F(HttpClientRawTest, TheWholeRequestTimesOut) {
  RawServer silent([](RawPeer& peer) {
    while (peer.readRequest()) {
    }
  });
  RawServer stalled(streamThenIdle([](RawPeer& peer) { peer.write("3\r\nabc\r\n"); }));
  HttpClient client{HttpClientOptions{}};
  const struct {
    const char* name;
    std::string url;
    bool streamed;
  } cases[] = {{"no answer", silent.url() + "/", false}, {"a stalled stream", stalled.url() + "/", true}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto started = SteadyClock::now();
    auto r = request("GET", c.url, {}, {}, milliseconds(300));
    auto response = c.streamed ? client.stream(r, [](std::string_view) { return true; }) : client.send(r);
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().code, ErrorCode::Timeout);
    EXPECT_NE(response.error().message.find("GET " + c.url), std::string::npos) << response.error().message;
    EXPECT_LT(SteadyClock::now() - started, seconds(1));
  }
}

TEST_F(HttpClientRawTest, ASlowStreamIsDroppedAsDead) {
  std::atomic<bool> done{false};
  RawServer trickle(streamThenIdle([&](RawPeer& peer) {
    for (int i = 0; i < 40 && !done; ++i) {
      if (!peer.write("1\r\nx\r\n")) return;
      std::this_thread::sleep_for(milliseconds(100));
    }
  }));
  HttpClientOptions options;
  options.lowSpeedBytes = 1000;  // per second; the server sends about 60
  options.lowSpeedWindow = seconds(1);
  HttpClient client(options);
  const auto started = SteadyClock::now();
  auto response = client.stream(request("GET", trickle.url() + "/watch", {}, {}, milliseconds(0)),
                                [](std::string_view) { return true; });
  done = true;
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.error().message.find("fewer than 1000 bytes"), std::string::npos) << response.error().message;
  EXPECT_LT(SteadyClock::now() - started, milliseconds(2500));
}

TEST_F(HttpClientRawTest, TheStopConditionEndsAnIdleStream) {
  RawServer idle(streamThenIdle([](RawPeer& peer) { peer.write("6\r\nfirst\n\r\n"); }));
  HttpClient client{HttpClientOptions{}};
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(200));
    stop = true;
  });
  std::string seen;
  int polls = 0;
  const auto started = SteadyClock::now();
  auto response = client.stream(
      request("GET", idle.url() + "/watch", {}, {}, milliseconds(0)),
      [&](std::string_view chunk) {
        seen.append(chunk);
        return true;
      },
      [&] {
        ++polls;
        return stop.load();
      });
  stopper.join();
  ASSERT_TRUE(response.ok()) << "a stopped stream is not an error: " << response.error().describe();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(seen, "first\n");
  EXPECT_GE(polls, 1);
  EXPECT_LT(SteadyClock::now() - started, milliseconds(2000)) << "polled about once a second";
}

TEST_F(HttpClientRawTest, AHandlerThatStopsEndsTheTransferAndItsConnection) {
  RawServer server(
      serveEach([](const RawRequest&) { return "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"; }));
  HttpClient client{HttpClientOptions{}};
  int calls = 0;
  auto stopped = client.stream(request("GET", server.url() + "/"), [&](std::string_view) { return ++calls < 1; });
  ASSERT_TRUE(stopped.ok()) << stopped.error().describe();
  EXPECT_EQ(stopped->status, 200);
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(client.send(request("GET", server.url() + "/")).ok());
  EXPECT_EQ(server.connections(), 2) << "a connection left mid-body is not reused";
}

TEST_F(HttpClientRawTest, AFailedConnectSaysTheRequestNeverLeft) {
  // A port nobody listens on: bound, then closed.
  int closedPort = 0;
  {
    RawServer gone([](RawPeer&) {});
    closedPort = gone.port();
  }
  const struct {
    const char* name;
    std::string url;
  } cases[] = {
      {"refused", "http://127.0.0.1:" + std::to_string(closedPort) + "/x"},
      {"unknown host", "http://no-such-host.invalid/x"},
  };
  HttpClient client{HttpClientOptions{}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto response = client.send(request("POST", c.url, {}, "{}"));
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(response.error().reason, kReasonConnectFailed);
    EXPECT_EQ(response.error().message.rfind("POST " + c.url + ": ", 0), 0U) << response.error().message;
  }
}

TEST_F(HttpClientRawTest, AMalformedUrlIsInvalidAndNamed) {
  HttpClient client{HttpClientOptions{}};
  for (const char* url : {"ftp://example.com/file", "not a url", "http://host:99999/"}) {
    SCOPED_TRACE(url);
    auto response = client.send(request("GET", url));
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().code, ErrorCode::Invalid);
    EXPECT_NE(response.error().message.find(url), std::string::npos) << response.error().message;
  }
}

TEST_F(HttpClientRawTest, GoesThroughTheHttpProxyOfTheEnvironment) {
  HeadLog proxied;
  RawServer proxy(serveEach([&](const RawRequest& r) {
    proxied.add(r);
    return std::string("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nproxied");
  }));
  environment_.set("http_proxy", "http://user:p%40ss@127.0.0.1:" + std::to_string(proxy.port()));
  environment_.set("no_proxy", "internal.test");
  HttpClient client{HttpClientOptions{}};

  for (const char* url : {"http://origin.test/v1/x?y=1", "http://other.test:8080/"}) {
    auto response = client.send(request("GET", url));
    ASSERT_TRUE(response.ok()) << response.error().describe();
    EXPECT_EQ(response->body, "proxied");
  }
  const auto heads = proxied.all();
  ASSERT_EQ(heads.size(), 2U);
  EXPECT_EQ(heads[0].requestLine(), "GET http://origin.test/v1/x?y=1 HTTP/1.1");
  EXPECT_EQ(heads[0].header("Host").value_or(""), "origin.test");
  EXPECT_EQ(heads[0].header("Proxy-Authorization").value_or(""), "Basic dXNlcjpwQHNz");  // user:p@ss
  EXPECT_EQ(heads[1].requestLine(), "GET http://other.test:8080/ HTTP/1.1");
  EXPECT_EQ(proxy.connections(), 1) << "one kept-alive proxy connection serves every origin";

  // no_proxy: straight to the origin (which does not resolve), the proxy sees nothing.
  auto direct = client.send(request("GET", "http://api.internal.test/"));
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.error().reason, kReasonConnectFailed);
  // Loopback is never proxied.
  RawServer local(serveEach([](const RawRequest&) { return "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nlocal"; }));
  auto loopback = client.send(request("GET", local.url() + "/"));
  ASSERT_TRUE(loopback.ok()) << loopback.error().describe();
  EXPECT_EQ(loopback->body, "local");
  EXPECT_EQ(proxied.all().size(), 2U);

  // A unix socket client ignores proxies.
  HttpClientOptions options;
  options.unixSocket = "/tmp/launch-http-test-none.sock";
  auto overSocket = HttpClient(options).send(request("GET", "http://docker/_ping"));
  ASSERT_FALSE(overSocket.ok());
  EXPECT_EQ(proxied.all().size(), 2U);
}

}  // namespace
}  // namespace launch::http
