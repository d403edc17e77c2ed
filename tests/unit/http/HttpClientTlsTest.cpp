// Unit tests of HttpClient over TLS: verification, mutual TLS, sessions, CONNECT tunnels, no SIGPIPE.
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/ssl.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "http/HttpClient.hpp"
#include "unit/http/RawServer.hpp"
#include "unit/http/ScopedEnvironment.hpp"
#include "unit/http/TestPki.hpp"

namespace launch::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Identity;
using testing::RawPeer;
using testing::RawServer;
using testing::ScopedEnvironment;
using testing::TestPki;

const TestPki& pki() {
  static const TestPki instance;
  return instance;
}

// What the server saw of one request.
struct Seen {
  int remotePort = 0;
  bool resumed = false;
  std::string clientName;  // the client certificate's CN, or empty
};

// An httplib SSLServer on loopback presenting `identity`; with `clientCa`, it requires client certificates
// signed by it.
class TlsServer {
 public:
  explicit TlsServer(const Identity& identity, const Identity* clientCa = nullptr)
      : server_([&](SSL_CTX& ctx) {
          if (SSL_CTX_use_certificate(&ctx, identity.cert.get()) != 1) return false;
          if (SSL_CTX_use_PrivateKey(&ctx, identity.key.get()) != 1) return false;
          static const unsigned char kContext[] = "launch-test";
          SSL_CTX_set_session_id_context(&ctx, kContext, sizeof kContext - 1);
          if (clientCa != nullptr) {
            X509_STORE_add_cert(SSL_CTX_get_cert_store(&ctx), clientCa->cert.get());
            SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
          }
          return true;
        }) {
    server_.Get("/hello", [this](const httplib::Request& req, httplib::Response& res) {
      Seen seen;
      seen.remotePort = req.remote_port;
      if (req.ssl != nullptr) {
        seen.resumed = SSL_session_reused(req.ssl) == 1;
        if (X509* peer = SSL_get0_peer_certificate(req.ssl)) {
          char name[256] = {0};
          X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof name);
          seen.clientName = name;
        }
      }
      {
        const std::lock_guard lock(mutex_);
        seen_.push_back(seen);
      }
      res.set_content("hello tls", "text/plain");
    });
    server_.set_tcp_nodelay(true);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }
  ~TlsServer() {
    server_.stop();
    thread_.join();
  }
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  httplib::Server& server() { return server_; }
  int port() const { return port_; }
  std::string url(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(port_);
  }
  std::vector<Seen> seen() const {
    const std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  httplib::SSLServer server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::vector<Seen> seen_;
};

HttpRequest get(const std::string& url, Headers headers = {}) {
  HttpRequest request;
  request.url = url;
  request.headers = std::move(headers);
  request.timeout = seconds(5);
  return request;
}

HttpClientOptions trusting(const Identity& ca) {
  HttpClientOptions options;
  options.tls.caPem = ca.certPem();
  options.connectTimeout = seconds(2);
  return options;
}

class HttpClientTlsTest : public ::testing::Test {
 protected:
  ScopedEnvironment environment_;
};

TEST_F(HttpClientTlsTest, VerifiesTheServerAgainstTheCaInMemory) {
  TlsServer server(pki().server);
  HttpClientOptions options = trusting(pki().ca);
  options.tls.caPem = pki().otherCa.certPem() + pki().ca.certPem();  // a bundle of several
  HttpClient client(options);
  for (const char* host : {"127.0.0.1", "localhost"}) {
    SCOPED_TRACE(host);
    for (int i = 0; i < 3; ++i) {
      auto response = client.send(get(server.url(host) + "/hello"));
      ASSERT_TRUE(response.ok()) << response.error().describe();
      EXPECT_EQ(response->body, "hello tls");
    }
  }
  std::set<int> ports;
  for (const auto& seen : server.seen()) ports.insert(seen.remotePort);
  EXPECT_EQ(ports.size(), 2U) << "one kept-alive connection per host";
}

TEST_F(HttpClientTlsTest, RefusesServersItCannotVerifyAsUnauthorized) {
  TlsServer server(pki().server);
  Identity elsewhere = testing::makeIdentity("elsewhere", &pki().ca, false, "DNS:elsewhere.test", "serverAuth");
  TlsServer mismatched(elsewhere);
  const struct {
    const char* name;
    std::string caPem;
    std::string url;
  } cases[] = {
      {"another CA", pki().otherCa.certPem(), server.url() + "/hello"},
      {"the system's CAs", "", server.url() + "/hello"},
      {"a host name the certificate does not name", pki().ca.certPem(), mismatched.url("localhost") + "/hello"},
      {"an address the certificate does not name", pki().ca.certPem(), mismatched.url("127.0.0.1") + "/hello"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    HttpClientOptions options;
    options.tls.caPem = c.caPem;
    auto response = HttpClient(options).send(get(c.url));
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().code, ErrorCode::Unauthorized) << response.error().message;
    EXPECT_NE(response.error().message.find("certificate verify failed"), std::string::npos)
        << response.error().message;
    EXPECT_NE(response.error().message.find(c.url), std::string::npos);
  }
}

TEST_F(HttpClientTlsTest, InsecureSkipVerifyAcceptsAnyServer) {
  Identity selfSigned = testing::makeIdentity("nobody", nullptr, false, "DNS:nowhere.test");
  TlsServer server(selfSigned);
  HttpClientOptions options;
  options.tls.insecureSkipVerify = true;
  auto response = HttpClient(options).send(get(server.url() + "/hello"));
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->body, "hello tls");
}

TEST_F(HttpClientTlsTest, AnUnusableCaBundleIsUnauthorized) {
  TlsServer server(pki().server);
  HttpClientOptions options;
  options.tls.caPem = "not a certificate";
  auto response = HttpClient(options).send(get(server.url() + "/hello"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::Unauthorized);
}

TEST_F(HttpClientTlsTest, PresentsAClientCertificateForMutualTls) {
  TlsServer server(pki().server, &pki().ca);
  TlsConfig withCert;
  withCert.caPem = pki().ca.certPem();
  withCert.clientCertPem = pki().client.certPem();
  withCert.clientKeyPem = pki().client.keyPem();

  HttpClientOptions options;
  options.tls = withCert;
  auto response = HttpClient(options).send(get(server.url() + "/hello"));
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->body, "hello tls");
  ASSERT_FALSE(server.seen().empty());
  EXPECT_EQ(server.seen().back().clientName, "launch-client");

  // The certificate and key in one PEM, as some kubeconfigs have them.
  options.tls.clientCertPem = pki().client.certPem() + pki().client.keyPem();
  options.tls.clientKeyPem.clear();
  ASSERT_TRUE(HttpClient(options).send(get(server.url() + "/hello")).ok());

  // Without a certificate the server refuses; a request carrying its own TLS settings gets its own
  // connection, never one made with other credentials.
  HttpClient client(trusting(pki().ca));
  auto refused = client.send(get(server.url() + "/hello"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::Unauthorized) << refused.error().message;

  HttpRequest rotating = get(server.url() + "/hello");
  for (int i = 0; i < 2; ++i) {
    const TlsConfig copy = withCert;  // a fresh object each time, as rotating credentials are
    rotating.tls = &copy;
    auto accepted = client.send(rotating);
    ASSERT_TRUE(accepted.ok()) << accepted.error().describe();
  }
  auto stillRefused = client.send(get(server.url() + "/hello"));
  ASSERT_FALSE(stillRefused.ok()) << "a request without the certificate reused a connection made with it";

  TlsConfig wrongKey = withCert;
  wrongKey.clientKeyPem = pki().ca.keyPem();
  rotating.tls = &wrongKey;
  auto mismatch = client.send(rotating);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().code, ErrorCode::Unauthorized);
  EXPECT_EQ(mismatch.error().message.find("PRIVATE KEY"), std::string::npos) << "no key material in messages";
}

TEST_F(HttpClientTlsTest, ResumesTlsSessions) {
  TlsServer server(pki().server);
  HttpClient client(trusting(pki().ca));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send(get(server.url() + "/hello", {{"Connection", "close"}})).ok());
  }
  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 3U);
  EXPECT_FALSE(seen[0].resumed);
  EXPECT_TRUE(seen[1].resumed);
  EXPECT_TRUE(seen[2].resumed);
}

TEST_F(HttpClientTlsTest, ATlsHandshakeThatNeverEndsTimesOut) {
  RawServer mute([](RawPeer& peer) { peer.readRequest(); });
  HttpClientOptions options = trusting(pki().ca);
  options.connectTimeout = milliseconds(300);
  const auto started = std::chrono::steady_clock::now();
  auto response = HttpClient(options).send(get("https://127.0.0.1:" + std::to_string(mute.port()) + "/"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::Timeout) << response.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(1));
}

// An HTTP proxy that only tunnels: answers CONNECT, then copies bytes both ways to 127.0.0.1 at the port asked.
RawServer::Handler tunnelling(std::vector<std::string>& connects, std::mutex& mutex) {
  return [&connects, &mutex](RawPeer& peer) {
    auto connect = peer.readRequest();
    if (!connect) return;
    {
      const std::lock_guard lock(mutex);
      connects.push_back(connect->requestLine() + " | Host: " + connect->header("Host").value_or(""));
    }
    const std::string line = connect->requestLine();
    const auto colon = line.rfind(':');
    const int port = std::stoi(line.substr(colon + 1, line.find(' ', colon) - colon - 1));
    const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(upstream, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      peer.write("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
      ::close(upstream);
      return;
    }
    peer.write("HTTP/1.1 200 Connection established\r\n\r\n");
    pollfd fds[2] = {{peer.fd(), POLLIN, 0}, {upstream, POLLIN, 0}};
    char buffer[16384];
    for (bool open = true; open;) {
      if (::poll(fds, 2, 200) < 0) break;
      for (int i = 0; i < 2 && open; ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        const ssize_t n = ::recv(fds[i].fd, buffer, sizeof buffer, 0);
        open = n > 0 && ::send(fds[1 - i].fd, buffer, static_cast<size_t>(n), MSG_NOSIGNAL) == n;
      }
    }
    ::close(upstream);
  };
}

TEST_F(HttpClientTlsTest, TunnelsThroughTheHttpsProxyOfTheEnvironment) {
  TlsServer origin(pki().server);
  std::vector<std::string> connects;
  std::mutex mutex;
  RawServer proxy(tunnelling(connects, mutex));
  environment_.set("HTTPS_PROXY", "127.0.0.1:" + std::to_string(proxy.port()));
  HttpClient client(trusting(pki().ca));
  const std::string url = "https://origin.test:" + std::to_string(origin.port()) + "/hello";
  for (int i = 0; i < 2; ++i) {
    auto response = client.send(get(url));
    ASSERT_TRUE(response.ok()) << response.error().describe();
    EXPECT_EQ(response->body, "hello tls");
  }
  const std::lock_guard lock(mutex);
  ASSERT_EQ(connects.size(), 1U) << "the tunnel is kept alive";
  const std::string target = "origin.test:" + std::to_string(origin.port());
  EXPECT_EQ(connects[0], "CONNECT " + target + " HTTP/1.1 | Host: " + target);
}

TEST_F(HttpClientTlsTest, AProxyRefusingTheTunnelIsAConnectFailure) {
  RawServer proxy([](RawPeer& peer) {
    if (peer.readRequest()) peer.write("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
  });
  environment_.set("https_proxy", "http://127.0.0.1:" + std::to_string(proxy.port()));
  auto response = HttpClient(trusting(pki().ca)).send(get("https://origin.test/"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().reason, kReasonConnectFailed);
  EXPECT_NE(response.error().message.find("403"), std::string::npos) << response.error().message;
}

// Counts SIGPIPEs while alive, instead of letting one end the test binary.
class SigpipeCounter {
 public:
  SigpipeCounter() {
    count_ = 0;
    struct sigaction action {};
    action.sa_handler = [](int) { ++count_; };
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGPIPE, &action, &previous_);
  }
  ~SigpipeCounter() { ::sigaction(SIGPIPE, &previous_, nullptr); }
  SigpipeCounter(const SigpipeCounter&) = delete;
  SigpipeCounter& operator=(const SigpipeCounter&) = delete;
  int count() const { return count_; }

 private:
  static inline std::atomic<int> count_{0};
  struct sigaction previous_ {};
};

// Reads the start of a request (over TLS when `ctx` is set), then resets the connection.
RawServer::Handler resetAfterTheHead(SSL_CTX* ctx) {
  return [ctx](RawPeer& peer) {
    peer.resetOnClose();
    if (ctx == nullptr) {
      peer.readSome(1024);
      return;
    }
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, peer.fd());
    char buffer[1024];
    if (SSL_accept(ssl) == 1) SSL_read(ssl, buffer, sizeof buffer);
    SSL_free(ssl);
  };
}

TEST_F(HttpClientTlsTest, AServerClosingMidUploadIsAnErrorNotASigpipe) {
  // The upload is far larger than the socket buffers, so the client is still writing when the server goes.
  const std::string body(48 << 20, 'x');
  const std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> serverCtx(SSL_CTX_new(TLS_server_method()), &SSL_CTX_free);
  SSL_CTX_use_certificate(serverCtx.get(), pki().server.cert.get());
  SSL_CTX_use_PrivateKey(serverCtx.get(), pki().server.key.get());
  const struct {
    const char* name;
    SSL_CTX* ctx;
    const char* scheme;
  } cases[] = {{"plain", nullptr, "http"}, {"tls", serverCtx.get(), "https"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    RawServer server(resetAfterTheHead(c.ctx));
    SigpipeCounter sigpipes;
    HttpRequest upload = get(std::string(c.scheme) + "://127.0.0.1:" + std::to_string(server.port()) + "/upload");
    upload.method = "POST";
    upload.body = body;
    upload.timeout = seconds(10);
    auto response = HttpClient(trusting(pki().ca)).send(upload);
    EXPECT_EQ(sigpipes.count(), 0);
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().code, ErrorCode::Unavailable) << response.error().message;
  }
}

}  // namespace
}  // namespace launch::http
