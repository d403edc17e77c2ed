// HttpClient: routes a request, takes a kept-alive connection or opens one, and runs the exchange over it.
#include "http/HttpClient.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "http/Connection.hpp"
#include "http/ConnectionPool.hpp"
#include "http/Exchange.hpp"
#include "http/ProxyConfig.hpp"
#include "http/ResponseHead.hpp"
#include "http/TlsContext.hpp"
#include "http/Url.hpp"
#include "util/Text.hpp"

namespace launch::http {
namespace {

using SteadyClock = std::chrono::steady_clock;

// The curl CLI's connect timeout when none is set.
constexpr std::chrono::milliseconds kDefaultConnectTimeout = std::chrono::minutes(5);

bool hasHeader(const Headers& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& header) { return equalsIgnoringCase(header.first, name); });
}

// RFC 9110 token characters: what a method or a field name may hold.
bool isToken(std::string_view text) {
  static constexpr std::string_view kMarks = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kMarks.find(c) != std::string_view::npos;
  });
}

// A request that could smuggle a second request (CR or LF in a field) is refused; no value is quoted back.
Status validate(const HttpRequest& request) {
  if (!isToken(request.method)) return makeError(ErrorCode::Invalid, "the method is not an HTTP token");
  for (const auto& [name, value] : request.headers) {
    if (!isToken(name)) return makeError(ErrorCode::Invalid, "the header name '" + name + "' is not an HTTP token");
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return makeError(ErrorCode::Invalid, "the value of header " + name + " holds CR, LF or NUL");
    }
  }
  return {};
}

Error prefixed(const HttpRequest& request, Error error) {
  error.message = request.method + " " + redactedForMessages(request.url) + ": " + error.message;
  return error;
}

// How a request reaches its origin, and the pool key of the connections that do so.
struct Route {
  std::string key;
  const Url* proxy = nullptr;       // the proxy to connect to, or null
  bool tunnel = false;              // https through the proxy: CONNECT, then TLS with the origin
  std::shared_ptr<TlsContext> tls;  // for https
};

std::string requestHead(const HttpRequest& request, const Url& url, const Route& route) {
  const bool absoluteForm = route.proxy != nullptr && !route.tunnel;
  std::string head = request.method + " ";
  head += absoluteForm ? url.scheme + "://" + url.authority() + url.target : url.target;
  head += " HTTP/1.1\r\n";
  if (!hasHeader(request.headers, "Host")) head += "Host: " + url.authority() + "\r\n";
  if (!url.userinfo.empty() && !hasHeader(request.headers, "Authorization")) {
    head += "Authorization: " + basicAuthorization(url) + "\r\n";
  }
  if (absoluteForm && !route.proxy->userinfo.empty()) {
    head += "Proxy-Authorization: " + basicAuthorization(*route.proxy) + "\r\n";
  }
  if (!hasHeader(request.headers, "Accept")) head += "Accept: */*\r\n";  // as the curl CLI sends
  for (const auto& [name, value] : request.headers) {
    head += name;
    head += value.empty() ? ":" : ": ";
    head += value;
    head += "\r\n";
  }
  const bool bodyMethod = request.method == "POST" || request.method == "PUT" || request.method == "PATCH";
  if ((bodyMethod || !request.body.empty()) && !hasHeader(request.headers, "Content-Length") &&
      !hasHeader(request.headers, "Transfer-Encoding")) {
    head += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  head += "\r\n";
  return head;
}

bool asksToClose(const Headers& headers) {
  return std::any_of(headers.begin(), headers.end(), [](const auto& header) {
    return equalsIgnoringCase(header.first, "Connection") && listsToken(header.second, "close");
  });
}

// Asks the proxy for a tunnel to the origin. Failures carry kReasonConnectFailed: the origin saw nothing.
Status openTunnel(Connection& connection, const Url& url, const Url& proxy, Deadline until,
                  std::chrono::milliseconds timeout) {
  std::string head = "CONNECT " + url.hostAndPort() + " HTTP/1.1\r\nHost: " + url.hostAndPort() + "\r\n";
  if (!proxy.userinfo.empty()) head += "Proxy-Authorization: " + basicAuthorization(proxy) + "\r\n";
  head += "\r\n";
  Exchange::Limits limits;
  limits.deadline = until;
  limits.timeout = timeout;
  Exchange exchange(connection, limits);
  auto failed = [&](const std::string& what, ErrorCode code = ErrorCode::Unavailable) {
    Error error = makeError(code, "the proxy " + proxy.hostAndPort() + " " + what);
    error.reason = kReasonConnectFailed;
    return error;
  };
  if (auto sent = exchange.send(head, {}); !sent) return failed("took no CONNECT: " + sent.error().message);
  auto answer = exchange.readHead();
  if (!answer) return failed("did not answer CONNECT: " + answer.error().message, answer.error().code);
  if (answer->status < 200 || answer->status >= 300) {
    return failed("refused a tunnel to " + url.hostAndPort() + " (HTTP " + std::to_string(answer->status) + ")");
  }
  if (auto body = exchange.readBody({}, [](std::string_view) { return true; }); !body || !exchange.endedCleanly()) {
    return failed("sent bytes after its CONNECT answer");
  }
  return {};
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (equalsIgnoringCase(key, name)) return value;
  }
  return std::nullopt;
}

struct HttpClient::Transport {
  ConnectionPool pool;
  TlsContextCache tls;
  ProxyConfig proxies;
};

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), transport_(std::make_unique<Transport>()) {
  // Read once: the environment does not change under a running client (and getenv races with setenv).
  if (options_.unixSocket.empty()) {
    transport_->proxies = ProxyConfig::fromEnvironment([](const char* name) { return std::getenv(name); });
  }
}

HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::send(const HttpRequest& request) { return perform(request, nullptr, nullptr); }

Result<HttpResponse> HttpClient::stream(const HttpRequest& request, const BodyChunkHandler& onChunk,
                                        const StopCondition& shouldStop) {
  return perform(request, &onChunk, shouldStop ? &shouldStop : nullptr);
}

Result<HttpResponse> HttpClient::perform(const HttpRequest& request, const BodyChunkHandler* onChunk,
                                         const StopCondition* shouldStop) {
  const auto started = SteadyClock::now();
  auto url = parseUrl(request.url);
  if (!url) return url.error();
  if (auto valid = validate(request); !valid) return prefixed(request, valid.error());

  Exchange::Limits limits;
  limits.deadline = request.timeout.count() > 0 ? started + request.timeout : kNoDeadline;
  limits.timeout = request.timeout;
  limits.shouldStop = shouldStop;
  limits.lowSpeedBytes = options_.lowSpeedWindow.count() > 0 ? options_.lowSpeedBytes : 0;
  limits.lowSpeedWindow = options_.lowSpeedWindow;

  // The route: unix socket, direct, or through a proxy; TLS settings split the pool.
  Route route;
  route.key = url->scheme + "://" + toLower(url->host) + ":" + std::to_string(url->port);
  if (url->https()) {
    auto tls = transport_->tls.get(request.tls != nullptr ? *request.tls : options_.tls);
    if (!tls) return prefixed(request, tls.error());
    route.tls = tls->context;
    route.key += " tls:" + tls->key;
  }
  if (!options_.unixSocket.empty()) {
    route.key = "unix:" + options_.unixSocket + (url->https() ? " " + route.key : "");
  } else {
    auto proxy = transport_->proxies.proxyFor(*url);
    if (!proxy) return prefixed(request, proxy.error());
    route.proxy = *proxy;
    if (route.proxy != nullptr && url->https()) {
      route.tunnel = true;
      route.key += " via:" + route.proxy->hostAndPort();
    } else if (route.proxy != nullptr) {
      route.key = "proxy:" + route.proxy->hostAndPort();  // one proxy connection serves every http origin
    }
  }
  const std::string head = requestHead(request, *url, route);

  for (int attempt = 1;; ++attempt) {
    std::unique_ptr<Connection> connection = transport_->pool.take(route.key);
    const bool reused = connection != nullptr;
    if (!reused) {
      const auto connectTimeout =
          options_.connectTimeout.count() > 0 ? options_.connectTimeout : kDefaultConnectTimeout;
      const Deadline until = std::min(limits.deadline, SteadyClock::now() + connectTimeout);
      auto opened = !options_.unixSocket.empty() ? Connection::openUnix(options_.unixSocket, until)
                    : route.proxy != nullptr     ? Connection::openTcp(route.proxy->host, route.proxy->port, until)
                                                 : Connection::openTcp(url->host, url->port, until);
      if (!opened) {
        Error error = opened.error();
        if (route.proxy != nullptr) error.message = "the proxy: " + error.message;
        return prefixed(request, error);
      }
      connection = std::move(*opened);
      if (route.tunnel) {
        if (auto tunnel = openTunnel(*connection, *url, *route.proxy, until, connectTimeout); !tunnel) {
          return prefixed(request, tunnel.error());
        }
      }
      if (route.tls != nullptr) {
        if (auto secured = connection->startTls(route.tls, url->host, url->port, until); !secured) {
          return prefixed(request, secured.error());
        }
      }
    }

    HttpResponse response;
    auto sink = [&](std::string_view data) {
      if (onChunk != nullptr) return (*onChunk)(data);
      response.body.append(data);
      return true;
    };
    Exchange exchange(*connection, limits);
    bool keepAlive = false;
    Status outcome = exchange.send(head, request.body);
    if (outcome) {
      auto answer = exchange.readHead();
      if (answer) {
        keepAlive = answer->keepAlive();
        auto framing = bodyFraming(*answer, request.method);
        response.status = answer->status;
        response.headers = std::move(answer->headers);
        auto trailers = framing ? exchange.readBody(*framing, sink) : Result<Headers>(framing.error());
        if (trailers) {
          response.headers.insert(response.headers.end(), trailers->begin(), trailers->end());
          keepAlive = keepAlive && framing->kind != BodyFraming::Kind::UntilClose;
        } else {
          outcome = trailers.error();
        }
      } else {
        outcome = answer.error();
      }
    }
    // A transfer ended by the stop condition or the handler is a success; its connection is not reused.
    if (exchange.stopped()) return response;
    if (!outcome) {
      // The server closed a kept-alive connection while it was idle: the request never got an answer.
      const bool stale = reused && !exchange.receivedAny() && outcome.error().code == ErrorCode::Unavailable;
      if (stale && attempt == 1) continue;
      return prefixed(request, outcome.error());
    }
    if (keepAlive && exchange.endedCleanly() && !asksToClose(request.headers)) {
      transport_->pool.park(route.key, std::move(connection));
    }
    return response;
  }
}

std::string urlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

}  // namespace launch::http
