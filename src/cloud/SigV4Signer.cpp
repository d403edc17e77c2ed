// SigV4 signing: canonical request, string to sign, key derivation and the signed headers or query.
#include "cloud/SigV4Signer.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <utility>
#include <vector>

#include "cloud/AwsTimestamp.hpp"
#include "util/Crypto.hpp"

namespace launch::cloud {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string toLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool isUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes; a '%' that does not start a valid escape stays as it is. '+' stays '+': SigV4 does not
// treat it as a space.
std::string percentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = hexValue(text[i + 1]);
      const int low = hexValue(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

// Header values: trimmed, and every run of white space (folded continuation lines included) made one space.
std::string canonicalHeaderValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pendingSpace = false;
  for (const char c : value) {
    if (isSpace(c)) {
      pendingSpace = !out.empty();
      continue;
    }
    if (pendingSpace) out.push_back(' ');
    pendingSpace = false;
    out.push_back(c);
  }
  return out;
}

// Headers that proxies and HTTP stacks add, drop or rewrite on the way: signing them would break the signature.
bool isUnsignable(std::string_view lowerName) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "authorization", "user-agent",        "x-amzn-trace-id", "connection",
      "expect",        "transfer-encoding", "upgrade",         "proxy-authorization"};
  if (std::find(kNames.begin(), kNames.end(), lowerName) != kNames.end()) return true;
  return lowerName.rfind("sec-websocket-", 0) == 0;
}

// RFC 3986 section 5.2.4, on '/'-separated segments; empty segments go too, and a trailing slash stays.
std::string normalizePath(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string out = "/";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '/';
    out += segments[i];
  }
  if (!segments.empty() && !path.empty() && path.back() == '/') out += '/';
  return out;
}

using QueryParameters = std::vector<std::pair<std::string, std::string>>;

// Splits a query string into encoded (name, value) pairs: each side decoded, then encoded the SigV4 way.
QueryParameters canonicalQueryParameters(std::string_view query) {
  QueryParameters parameters;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view pair = query.substr(start, end - start);
    if (!pair.empty()) {
      const size_t equals = pair.find('=');
      const std::string_view name = pair.substr(0, equals);
      const std::string_view value = equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1);
      parameters.emplace_back(sigV4UriEncode(percentDecode(name), false), sigV4UriEncode(percentDecode(value), false));
    }
    start = end + 1;
  }
  return parameters;
}

std::string joinQuery(QueryParameters parameters) {
  std::sort(parameters.begin(), parameters.end());
  std::string out;
  for (const auto& [name, value] : parameters) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

bool isHexSha256(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) { return hexValue(c) >= 0; });
}

}  // namespace

std::string sigV4UriEncode(std::string_view text, bool keepSlash) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (isUnreserved(c) || (keepSlash && c == '/')) {
      out.push_back(c);
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    out.push_back('%');
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0x0F]);
  }
  return out;
}

Result<SigV4Request> SigV4Request::fromUrl(std::string method, std::string_view url, http::Headers headers,
                                           std::string body) {
  // Errors quote the URL without its query, which may carry a presigned token.
  const std::string shown(url.substr(0, url.find('?')));
  const size_t schemeEnd = url.find("://");
  if (schemeEnd == std::string_view::npos) {
    return makeError(ErrorCode::Invalid, "URL \"" + shown + "\" has no scheme; write it as https://host/path");
  }
  const std::string scheme = toLower(url.substr(0, schemeEnd));
  const std::string_view rest = url.substr(schemeEnd + 3);
  const size_t authorityEnd = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authorityEnd);
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (authority.empty()) {
    return makeError(ErrorCode::Invalid, "URL \"" + shown + "\" has no host");
  }

  // Host as HttpClient (and the curl CLI) sends it: without the scheme's default port.
  std::string host(authority);
  const size_t portColon = host.rfind(':');
  if (portColon != std::string::npos && host.find(']', portColon) == std::string::npos) {
    const std::string port = host.substr(portColon + 1);
    if ((scheme == "https" && port == "443") || (scheme == "http" && port == "80")) host.resize(portColon);
  }

  SigV4Request request;
  request.method = std::move(method);
  request.body = std::move(body);
  request.headers = std::move(headers);
  std::string_view target = authorityEnd == std::string_view::npos ? std::string_view{} : rest.substr(authorityEnd);
  if (const size_t hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  const size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (request.path.empty()) request.path = "/";
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));

  const bool hasHost = std::any_of(request.headers.begin(), request.headers.end(),
                                   [](const auto& header) { return toLower(header.first) == "host"; });
  if (!hasHost) request.headers.emplace_back("Host", host);
  return request;
}

struct SigV4Signer::Canonical {
  std::string canonicalRequest;
  std::string stringToSign;
  std::string date;     // YYYYMMDD
  std::string amzDate;  // YYYYMMDD'T'HHMMSS'Z'
  std::string credential;
  std::string signedHeaders;
  std::string payloadHash;
  http::Headers addedHeaders;         // header signing: what goes on the request besides Authorization
  QueryParameters presignParameters;  // query signing: the X-Amz-* parameters, encoded, in URL order
};

SigV4Signer::SigV4Signer(std::string region, std::string service, SigV4Options options)
    : region_(std::move(region)), service_(std::move(service)), options_(options) {}

Result<SigV4Signer::Canonical> SigV4Signer::canonicalize(const SigV4Request& request, const AwsCredentials& credentials,
                                                         std::chrono::system_clock::time_point time, bool presigned,
                                                         std::chrono::seconds expires) const {
  if (region_.empty() || service_.empty()) {
    return makeError(ErrorCode::Invalid, "SigV4 signer needs a region and a service name (e.g. us-east-1, sagemaker)");
  }
  if (credentials.accessKeyId.empty() || credentials.secretAccessKey.empty()) {
    return makeError(ErrorCode::Unauthorized, "AWS credentials" +
                                                  (credentials.source.empty() ? "" : " from " + credentials.source) +
                                                  " lack an access key id or a secret access key");
  }
  if (request.method.empty()) return makeError(ErrorCode::Invalid, "request to sign has no HTTP method");
  if (!request.path.empty() && request.path.front() != '/') {
    return makeError(ErrorCode::Invalid, "request path \"" + request.path + "\" must start with '/'");
  }

  Canonical canonical;
  canonical.amzDate = formatAmzDate(time);
  canonical.date = canonical.amzDate.substr(0, 8);
  const std::string scope = canonical.date + "/" + region_ + "/" + service_ + "/aws4_request";
  canonical.credential = credentials.accessKeyId + "/" + scope;

  if (request.payloadHash) {
    if (*request.payloadHash != "UNSIGNED-PAYLOAD" && *request.payloadHash != "STREAMING-UNSIGNED-PAYLOAD-TRAILER" &&
        !isHexSha256(*request.payloadHash)) {
      return makeError(ErrorCode::Invalid, "payload hash must be 64 hex digits of SHA-256 or UNSIGNED-PAYLOAD, not \"" +
                                               *request.payloadHash + "\"");
    }
    canonical.payloadHash = *request.payloadHash;
  } else {
    canonical.payloadHash = sha256Hex(request.body);
  }

  const bool withToken = !credentials.sessionToken.empty();
  // Header names, lower case, in sorted order; each with its values in the order they came.
  std::map<std::string, std::vector<std::string>> headers;
  bool hasHost = false;
  for (const auto& [name, value] : request.headers) {
    std::string key = toLower(canonicalHeaderValue(name));
    if (key.empty() || isUnsignable(key)) continue;
    if (key == "host") hasHost = true;
    // The signer owns these: a stale value from an earlier attempt must not be signed.
    if (key == "x-amz-date" || (key == "x-amz-security-token" && withToken) ||
        (key == "x-amz-content-sha256" && options_.addContentSha256Header && !presigned)) {
      continue;
    }
    headers[key].push_back(canonicalHeaderValue(value));
  }
  if (!hasHost) {
    return makeError(ErrorCode::Invalid, "request to sign has no Host header; set it to the endpoint's host[:port]");
  }

  if (!presigned) {
    headers["x-amz-date"].push_back(canonical.amzDate);
    canonical.addedHeaders.emplace_back("X-Amz-Date", canonical.amzDate);
    if (withToken) {
      if (options_.signSessionToken) headers["x-amz-security-token"].push_back(credentials.sessionToken);
      canonical.addedHeaders.emplace_back("X-Amz-Security-Token", credentials.sessionToken);
    }
    if (options_.addContentSha256Header) {
      headers["x-amz-content-sha256"].push_back(canonical.payloadHash);
      canonical.addedHeaders.emplace_back("X-Amz-Content-Sha256", canonical.payloadHash);
    }
  }

  std::string canonicalHeaders;
  for (const auto& [name, values] : headers) {
    if (!canonical.signedHeaders.empty()) canonical.signedHeaders += ';';
    canonical.signedHeaders += name;
    canonicalHeaders += name;
    canonicalHeaders += ':';
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) canonicalHeaders += ',';
      canonicalHeaders += values[i];
    }
    canonicalHeaders += '\n';
  }

  QueryParameters query = canonicalQueryParameters(request.query);
  if (presigned) {
    if (expires < std::chrono::seconds{1} || expires > std::chrono::hours{24 * 7}) {
      return makeError(ErrorCode::Invalid, "presigned URL lifetime must be between 1 second and 7 days");
    }
    auto& parameters = canonical.presignParameters;
    parameters.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
    parameters.emplace_back("X-Amz-Credential", sigV4UriEncode(canonical.credential, false));
    parameters.emplace_back("X-Amz-Date", canonical.amzDate);
    parameters.emplace_back("X-Amz-SignedHeaders", sigV4UriEncode(canonical.signedHeaders, false));
    parameters.emplace_back("X-Amz-Expires", std::to_string(expires.count()));
    for (const auto& parameter : parameters) query.push_back(parameter);
    if (withToken) {
      parameters.emplace_back("X-Amz-Security-Token", sigV4UriEncode(credentials.sessionToken, false));
      if (options_.signSessionToken) query.push_back(parameters.back());
    }
  }

  std::string path = request.path.empty() ? "/" : request.path;
  if (options_.normalizePath) path = normalizePath(path);
  path = options_.doubleEncodePath ? sigV4UriEncode(path, true) : sigV4UriEncode(percentDecode(path), true);

  canonical.canonicalRequest = request.method + '\n' + path + '\n' + joinQuery(std::move(query)) + '\n' +
                               canonicalHeaders + '\n' + canonical.signedHeaders + '\n' + canonical.payloadHash;
  canonical.stringToSign =
      std::string(kAlgorithm) + '\n' + canonical.amzDate + '\n' + scope + '\n' + sha256Hex(canonical.canonicalRequest);
  return canonical;
}

std::string SigV4Signer::signatureOf(const AwsCredentials& credentials, std::string_view date,
                                     std::string_view stringToSign) const {
  const std::string dateKey = hmacSha256("AWS4" + credentials.secretAccessKey, date);
  const std::string regionKey = hmacSha256(dateKey, region_);
  const std::string serviceKey = hmacSha256(regionKey, service_);
  const std::string signingKey = hmacSha256(serviceKey, "aws4_request");
  return toHex(hmacSha256(signingKey, stringToSign));
}

Result<SigV4Signature> SigV4Signer::sign(const SigV4Request& request, const AwsCredentials& credentials,
                                         std::chrono::system_clock::time_point time) const {
  auto canonical = canonicalize(request, credentials, time, false, std::chrono::seconds{0});
  if (!canonical) return canonical.error();
  SigV4Signature signature;
  signature.signature = signatureOf(credentials, canonical->date, canonical->stringToSign);
  signature.authorization = std::string(kAlgorithm) + " Credential=" + canonical->credential +
                            ", SignedHeaders=" + canonical->signedHeaders + ", Signature=" + signature.signature;
  signature.headers = std::move(canonical->addedHeaders);
  signature.headers.emplace_back("Authorization", signature.authorization);
  signature.canonicalRequest = std::move(canonical->canonicalRequest);
  signature.stringToSign = std::move(canonical->stringToSign);
  return signature;
}

Result<SigV4Presignature> SigV4Signer::presign(const SigV4Request& request, const AwsCredentials& credentials,
                                               std::chrono::system_clock::time_point time,
                                               std::chrono::seconds expires) const {
  auto canonical = canonicalize(request, credentials, time, true, expires);
  if (!canonical) return canonical.error();
  SigV4Presignature presignature;
  presignature.signature = signatureOf(credentials, canonical->date, canonical->stringToSign);
  presignature.query = request.query;
  for (const auto& [name, value] : canonical->presignParameters) {
    if (!presignature.query.empty()) presignature.query += '&';
    presignature.query += name;
    presignature.query += '=';
    presignature.query += value;
  }
  presignature.query += "&X-Amz-Signature=" + presignature.signature;
  presignature.canonicalRequest = std::move(canonical->canonicalRequest);
  presignature.stringToSign = std::move(canonical->stringToSign);
  return presignature;
}

Status SigV4Signer::signHttpRequest(http::HttpRequest& request, const AwsCredentials& credentials,
                                    std::chrono::system_clock::time_point time) const {
  const bool withToken = !credentials.sessionToken.empty();
  std::erase_if(request.headers, [&](const auto& header) {
    const std::string name = toLower(header.first);
    return name == "authorization" || name == "x-amz-date" || (name == "x-amz-security-token" && withToken) ||
           (name == "x-amz-content-sha256" && options_.addContentSha256Header);
  });
  auto parsed = SigV4Request::fromUrl(request.method, request.url, request.headers);
  if (!parsed) return parsed.error();
  // The body is referenced, not copied: hash it here rather than moving it into the signing request.
  parsed->payloadHash = sha256Hex(request.body);
  auto signature = sign(*parsed, credentials, time);
  if (!signature) return signature.error();
  if (parsed->headers.size() > request.headers.size()) request.headers.push_back(parsed->headers.back());  // Host
  for (auto& header : signature->headers) request.headers.push_back(std::move(header));
  return {};
}

}  // namespace launch::cloud
