// ArchiveFetcher: downloads a job's archive source from one kind of object store (s3://, gs://), so that
// SourceCheckout knows nothing of cloud credentials; the set of fetchers an agent has, and how to make it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "build/BuildContextStore.hpp"
#include "util/Result.hpp"

namespace launch::build {

class ArchiveFetcher {
 public:
  virtual ~ArchiveFetcher() = default;

  // The whole object at `url` (s3://bucket/key or gs://bucket/object). Errors start with
  // "spec.source.archive.url: ", say what to fix and never hold a secret; their code is Invalid when trying
  // again cannot help (no such object, access denied, no credentials), Unavailable when it may.
  virtual Result<std::string> download(const std::string& url) = 0;
};

// One fetcher per object-store scheme; a null one refuses its scheme, naming what to configure.
struct ArchiveFetchers {
  std::shared_ptr<ArchiveFetcher> s3;   // s3://
  std::shared_ptr<ArchiveFetcher> gcs;  // gs://
};

// Fetchers for the clouds `clients` has credentials for (clients.aws: s3://, clients.google: gs://), with the
// same region and endpoints the build context store uses. clients.http must outlive the fetchers.
ArchiveFetchers makeArchiveFetchers(const BuildContextStoreClients& clients);

// An object URL taken apart: "s3://bucket/a/b.tar.gz" -> {"bucket", "a/b.tar.gz"}.
struct ObjectLocation {
  std::string bucket;
  std::string object;
};

// Parses `url` of the given scheme ("s3" or "gs"); the error names spec.source.archive.url and the form.
Result<ObjectLocation> parseObjectUrl(std::string_view url, std::string_view scheme);

}  // namespace launch::build
