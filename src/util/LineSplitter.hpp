// LineSplitter: turns a byte stream arriving in arbitrary chunks into whole lines (watch and progress streams).
#pragma once

#include <string>
#include <string_view>

namespace launch {

class LineSplitter {
 public:
  // Appends a chunk; calls onLine(std::string_view) for every complete, non-empty line (without "\r\n").
  template <typename OnLine>
  void feed(std::string_view chunk, OnLine&& onLine) {
    buffer_.append(chunk);
    size_t start = 0;
    for (size_t nl = buffer_.find('\n', start); nl != std::string::npos; nl = buffer_.find('\n', start)) {
      std::string_view line(buffer_.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty()) onLine(line);
      start = nl + 1;
    }
    buffer_.erase(0, start);
  }
  // What is left after the stream ended: a last line without a newline, if any.
  std::string_view rest() const { return buffer_; }
  size_t pendingBytes() const { return buffer_.size(); }

 private:
  std::string buffer_;
};

}  // namespace launch
