// In-memory tar writing and reading through libarchive.
#include "util/TarArchive.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

namespace launch {
namespace {

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct ReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

la_ssize_t appendToString(archive* /*a*/, void* user, const void* buffer, size_t length) {
  static_cast<std::string*>(user)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

Error archiveError(archive* a, const char* what) {
  const char* detail = archive_error_string(a);
  return makeError(ErrorCode::Internal,
                   std::string(what) + ": " + (detail != nullptr ? detail : "unknown libarchive error"));
}

}  // namespace

Result<std::string> writeTar(const std::vector<TarEntry>& entries, TarCompression compression) {
  std::string out;
  std::unique_ptr<archive, ArchiveDeleter> a(archive_write_new());
  archive_write_set_format_pax_restricted(a.get());
  if (compression == TarCompression::Gzip) {
    archive_write_add_filter_gzip(a.get());
    archive_write_set_filter_option(a.get(), "gzip", "timestamp", nullptr);  // no mtime in the gzip header
  }
  archive_write_set_bytes_in_last_block(a.get(), 1);
  if (archive_write_open(a.get(), &out, nullptr, appendToString, nullptr) != ARCHIVE_OK) {
    return archiveError(a.get(), "tar open");
  }
  for (const auto& entry : entries) {
    std::unique_ptr<archive_entry, EntryDeleter> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), entry.path.c_str());
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(entry.content.size()));
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), static_cast<mode_t>(entry.mode));
    archive_entry_set_mtime(e.get(), 0, 0);
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK) return archiveError(a.get(), "tar header");
    if (archive_write_data(a.get(), entry.content.data(), entry.content.size()) < 0) {
      return archiveError(a.get(), "tar data");
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) return archiveError(a.get(), "tar close");
  return out;
}

Result<std::vector<TarEntry>> readTar(std::string_view data) {
  std::unique_ptr<archive, ReadDeleter> a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_all(a.get());
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK) {
    return makeError(ErrorCode::Invalid, std::string("not an archive: ") + archive_error_string(a.get()));
  }
  std::vector<TarEntry> entries;
  archive_entry* e = nullptr;
  int rc = 0;
  while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    if (archive_entry_filetype(e) != AE_IFREG) continue;
    TarEntry entry;
    entry.path = archive_entry_pathname(e);
    entry.mode = static_cast<int>(archive_entry_perm(e));
    char buffer[16384];
    la_ssize_t n = 0;
    while ((n = archive_read_data(a.get(), buffer, sizeof buffer)) > 0)
      entry.content.append(buffer, static_cast<size_t>(n));
    if (n < 0) return makeError(ErrorCode::Invalid, std::string("corrupt archive: ") + archive_error_string(a.get()));
    entries.push_back(std::move(entry));
  }
  if (rc != ARCHIVE_EOF)
    return makeError(ErrorCode::Invalid, std::string("corrupt archive: ") + archive_error_string(a.get()));
  return entries;
}

}  // namespace launch
