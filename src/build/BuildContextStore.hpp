// BuildContextStore: the bucket a Kaniko build's tar.gz context is uploaded to for the build pod to fetch
// (S3 or Google Cloud Storage), and removed from once the build is over.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cloud/AwsCredentials.hpp"
#include "cloud/GoogleTokenSource.hpp"
#include "http/HttpClient.hpp"
#include "util/Result.hpp"

namespace launch::build {

// spec.builder.kaniko.buildContextStore taken apart: "s3://bucket/some/prefix" -> {"s3", "bucket", "some/prefix"}.
struct BuildContextLocation {
  std::string scheme;  // "s3" or "gs"
  std::string bucket;
  std::string prefix;  // without leading or trailing '/'; may be empty
  // The object key of a name under the prefix ("prefix/name", or "name" without a prefix).
  std::string key(const std::string& name) const { return prefix.empty() ? name : prefix + "/" + name; }
};

// Errors say which forms are accepted; Azure Blob URLs are refused as not supported yet.
Result<BuildContextLocation> parseBuildContextStore(std::string_view url);

class BuildContextStore {
 public:
  virtual ~BuildContextStore() = default;

  // Uploads (or replaces) the object `name` under the store's prefix.
  virtual Status put(const std::string& name, const std::string& archive) = 0;
  // Deletes it; an object that is already gone is fine.
  virtual Status remove(const std::string& name) = 0;
  // What kaniko's --context takes to read the object: s3://bucket/prefix/name or gs://bucket/prefix/name.
  virtual std::string contextUrl(const std::string& name) const = 0;
  // Environment the executor needs to read the store (region, a custom endpoint); never a secret.
  virtual std::vector<std::pair<std::string, std::string>> executorEnv() const { return {}; }
  // The store's URL, for logs and errors.
  virtual std::string describe() const = 0;
};

// The error code of a store's HTTP answer other than success (S3 and GCS answer alike).
ErrorCode storeErrorCode(long httpStatus);

// What openBuildContextStore needs for either kind of store. The HTTP client must outlive the store.
struct BuildContextStoreClients {
  http::HttpClient* http = nullptr;
  std::shared_ptr<cloud::AwsCredentialProvider> aws;  // for s3:// (e.g. AwsCredentialChain::makeDefault)
  std::string awsRegion = "us-east-1";
  std::string s3Endpoint;                            // a custom S3 endpoint (MinIO, moto), used path-style; empty: AWS
  std::shared_ptr<cloud::GoogleTokenSource> google;  // for gs:// (a GoogleCachedTokenSource)
  std::string gcsEndpoint;                           // empty: https://storage.googleapis.com
};

// The store for a buildContextStore URL; an error names what is missing (credentials for its kind).
Result<std::unique_ptr<BuildContextStore>> openBuildContextStore(std::string_view url,
                                                                 const BuildContextStoreClients& clients);

}  // namespace launch::build
