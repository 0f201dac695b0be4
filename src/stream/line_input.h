// Lines of a text log, bounded in memory: a file read through zlib (gzip-compressed or plain,
// told apart by content), or a growing file followed as `tail -F` does (appends, rename and a
// new file, truncation). A line longer than the limit is skipped to its end and reported, so
// a hostile file never makes a buffer grow past the limit.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"

namespace flowsentry::stream {

class LineInput {
 public:
  enum class Got {
    kLine,     // `line` holds the next line, without its '\n'
    kTooLong,  // a line past the limit was skipped; `line` holds its first bytes
    kWait,     // a followed file has nothing more yet
    kEnd,      // end of the file (never for a followed file)
  };
  virtual ~LineInput() = default;
  Got next(std::string& line);
  int64_t line_number() const { return line_number_; }

 protected:
  explicit LineInput(size_t max_line) : max_line_(max_line) {}
  // Reads up to `size` bytes: > 0 bytes read, 0 nothing now (at the end), -1 error.
  virtual ssize_t read_some(char* buf, size_t size) = 0;
  virtual bool follows() const = 0;
  // A followed file was replaced or truncated: bytes of the old file still buffered go
  // (after the read in progress, see fill()).
  void restart() { restarted_ = true; }

 private:
  bool fill();

  size_t max_line_;
  std::string buf_;
  size_t pos_ = 0;
  bool skipping_ = false;  // inside an over-long line
  bool restarted_ = false;
  int64_t line_number_ = 0;
};

// A file through zlib: gzip members are inflated, anything else is read as it is.
Result<std::unique_ptr<LineInput>> open_lines(const std::string& path, size_t max_line);

// A growing plain-text file: reads what was appended; when the path names a new file (rotation
// by rename) the old one is read to its end first, then the new one from its start; when the
// file shrinks (truncation) reading starts again at its start. The file may not exist yet.
std::unique_ptr<LineInput> follow_lines(const std::string& path, size_t max_line);

// The first bytes of a file, inflated when it is gzip (for recognising its format).
std::string peek_file(const std::string& path, size_t bytes);

}  // namespace flowsentry::stream
