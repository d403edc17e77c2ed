// SigV4Signer: AWS Signature Version 4 for HTTP requests, in the Authorization header or as a presigned URL.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "cloud/AwsCredentials.hpp"
#include "http/HttpClient.hpp"
#include "util/Result.hpp"

namespace launch::cloud {

// The parts of a request that SigV4 covers.
struct SigV4Request {
  std::string method = "GET";
  // The path as it appears on the request line: usually percent-encoded, raw bytes are accepted too.
  std::string path = "/";
  std::string query;      // without the leading '?'; parameters as they appear on the request line
  http::Headers headers;  // must hold Host; names in any case, duplicates allowed (joined in order)
  std::string body;
  // Hex SHA-256 of the payload, or "UNSIGNED-PAYLOAD" (S3); when set the body is not hashed.
  std::optional<std::string> payloadHash;

  // Splits an absolute URL (scheme://host[:port]/path?query) into path and query, and adds a Host header
  // unless `headers` already has one. The default port of the scheme is left out of Host, as HttpClient does.
  static Result<SigV4Request> fromUrl(std::string method, std::string_view url, http::Headers headers = {},
                                      std::string body = {});
};

struct SigV4Options {
  // RFC 3986 dot-segment removal and collapsing of empty segments in the path. Every service but S3.
  bool normalizePath = true;
  // Percent-encodes the path once more, as every service but S3 expects ("%20" signs as "%2520"). When false
  // (S3) the path is decoded and encoded once, so "/a%20b" and "/a b" both sign as "/a%20b".
  bool doubleEncodePath = true;
  // Adds and signs X-Amz-Content-Sha256 with the payload hash (S3 requires it). Header signing only.
  bool addContentSha256Header = false;
  // Signs X-Amz-Security-Token. A few services want the token added after signing (AWS IoT): set false.
  bool signSessionToken = true;

  // Everything S3 wants: no normalization, single encoding, X-Amz-Content-Sha256.
  static SigV4Options forS3() { return SigV4Options{false, false, true, true}; }
};

// The result of header signing: every intermediate string (for tests and for debugging a rejected
// signature: AWS echoes its canonical request in SignatureDoesNotMatch errors) and the headers to add.
struct SigV4Signature {
  std::string canonicalRequest;
  std::string stringToSign;
  std::string signature;      // lower-case hex
  std::string authorization;  // the Authorization header's value
  // To add to the request as they are: X-Amz-Date, then X-Amz-Security-Token and X-Amz-Content-Sha256 when
  // they apply, then Authorization.
  http::Headers headers;
};

// The result of query signing (presigned URLs).
struct SigV4Presignature {
  std::string canonicalRequest;
  std::string stringToSign;
  std::string signature;
  // The request's own query followed by the X-Amz-* parameters and X-Amz-Signature: put it after '?'.
  std::string query;
};

class SigV4Signer {
 public:
  // `service` is the signing name of the service's model ("sagemaker", "ecr", "sts", "s3"), which is not
  // always its host prefix ("api.sagemaker").
  SigV4Signer(std::string region, std::string service, SigV4Options options = {});

  // Signs with the Authorization header.
  Result<SigV4Signature> sign(const SigV4Request& request, const AwsCredentials& credentials,
                              std::chrono::system_clock::time_point time) const;

  // Signs in the query string; the URL is valid for `expires` (1 s to 7 days).
  Result<SigV4Presignature> presign(const SigV4Request& request, const AwsCredentials& credentials,
                                    std::chrono::system_clock::time_point time, std::chrono::seconds expires) const;

  // Signs an HttpRequest in place: drops any previous signature headers (a retried request signs anew),
  // adds Host when missing and the signature headers.
  Status signHttpRequest(http::HttpRequest& request, const AwsCredentials& credentials,
                         std::chrono::system_clock::time_point time) const;

  const std::string& region() const { return region_; }
  const std::string& service() const { return service_; }

 private:
  struct Canonical;
  Result<Canonical> canonicalize(const SigV4Request& request, const AwsCredentials& credentials,
                                 std::chrono::system_clock::time_point time, bool presigned,
                                 std::chrono::seconds expires) const;
  std::string signatureOf(const AwsCredentials& credentials, std::string_view date,
                          std::string_view stringToSign) const;

  std::string region_;
  std::string service_;
  SigV4Options options_;
};

// URI encoding as SigV4 defines it: every byte but A-Z a-z 0-9 - . _ ~ becomes %XX (upper-case hex);
// '/' is kept when `keepSlash`.
std::string sigV4UriEncode(std::string_view text, bool keepSlash);

}  // namespace launch::cloud
