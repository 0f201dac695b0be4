#include "stream/line_input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <spdlog/spdlog.h>

namespace flowsentry::stream {
namespace {

constexpr size_t kChunk = 64 << 10;
constexpr size_t kShownPrefix = 80;  // bytes of an over-long line kept for its report

class GzipLines final : public LineInput {
 public:
  GzipLines(gzFile f, std::string path, size_t max_line)
      : LineInput(max_line), f_(f), path_(std::move(path)) {}
  ~GzipLines() override { gzclose(f_); }

 protected:
  ssize_t read_some(char* buf, size_t size) override {
    if (failed_) return 0;
    const int n = gzread(f_, buf, static_cast<unsigned>(size));
    if (n < 0) {
      // A truncated or damaged gzip member: keep what was inflated, stop here.
      int code = 0;
      spdlog::warn("{}: read stopped: {}", path_, gzerror(f_, &code));
      failed_ = true;
      return 0;
    }
    return n;
  }
  bool follows() const override { return false; }

 private:
  gzFile f_;
  std::string path_;
  bool failed_ = false;
};

class FollowedLines final : public LineInput {
 public:
  FollowedLines(std::string path, size_t max_line) : LineInput(max_line), path_(std::move(path)) {}
  ~FollowedLines() override {
    if (fd_ >= 0) close(fd_);
  }

 protected:
  ssize_t read_some(char* buf, size_t size) override {
    if (fd_ < 0 && !reopen()) return 0;
    ssize_t n = read(fd_, buf, size);
    if (n > 0) {
      offset_ += n;
      return n;
    }
    struct stat now {};
    if (stat(path_.c_str(), &now) == 0 && (now.st_ino != ino_ || now.st_dev != dev_)) {
      // Rotated: the old file is read to its end (above), the new one from its start.
      restart();
      if (!reopen()) return 0;
      return read_some(buf, size);
    }
    struct stat cur {};
    if (fstat(fd_, &cur) == 0 && cur.st_size < offset_) {
      // Truncated in place: start again at the beginning.
      restart();
      lseek(fd_, 0, SEEK_SET);
      offset_ = 0;
      n = read(fd_, buf, size);
      if (n > 0) offset_ += n;
      return n > 0 ? n : 0;
    }
    return 0;
  }
  bool follows() const override { return true; }

 private:
  bool reopen() {
    if (fd_ >= 0) close(fd_);
    fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return false;
    struct stat st {};
    fstat(fd_, &st);
    ino_ = st.st_ino;
    dev_ = st.st_dev;
    offset_ = 0;
    return true;
  }

  std::string path_;
  int fd_ = -1;
  ino_t ino_ = 0;
  dev_t dev_ = 0;
  off_t offset_ = 0;
};

}  // namespace

LineInput::Got LineInput::next(std::string& line) {
  while (true) {
    const size_t nl = buf_.find('\n', pos_);
    if (nl != std::string::npos) {
      ++line_number_;
      const bool too_long = skipping_ || nl - pos_ > max_line_;
      if (!skipping_) line.assign(buf_, pos_, too_long ? kShownPrefix : nl - pos_);
      skipping_ = false;
      pos_ = nl + 1;
      return too_long ? Got::kTooLong : Got::kLine;
    }
    buf_.erase(0, pos_);
    pos_ = 0;
    if (buf_.size() > max_line_) {
      if (!skipping_) line.assign(buf_, 0, kShownPrefix);
      skipping_ = true;
      buf_.clear();
    }
    if (!fill()) {
      if (follows()) return Got::kWait;
      if (skipping_) {
        skipping_ = false;
        ++line_number_;
        return Got::kTooLong;
      }
      if (buf_.empty()) return Got::kEnd;
      // The last line has no '\n': it is still a line (perhaps cut short).
      ++line_number_;
      line = std::move(buf_);
      buf_.clear();
      return Got::kLine;
    }
  }
}

bool LineInput::fill() {
  const size_t old = buf_.size();
  buf_.resize(old + kChunk);
  const ssize_t n = read_some(buf_.data() + old, kChunk);
  buf_.resize(old + static_cast<size_t>(n > 0 ? n : 0));
  if (restarted_) {
    buf_.erase(0, old);  // a partial line of the file that was replaced or truncated
    skipping_ = false;
    restarted_ = false;
  }
  return n > 0;
}

Result<std::unique_ptr<LineInput>> open_lines(const std::string& path, size_t max_line) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return make_error(ErrorCode::kNotFound, "cannot open file", path);
  gzbuffer(f, kChunk);
  return std::unique_ptr<LineInput>(new GzipLines(f, path, max_line));
}

std::unique_ptr<LineInput> follow_lines(const std::string& path, size_t max_line) {
  return std::make_unique<FollowedLines>(path, max_line);
}

std::string peek_file(const std::string& path, size_t bytes) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return {};
  std::string out(bytes, '\0');
  const int n = gzread(f, out.data(), static_cast<unsigned>(bytes));
  gzclose(f);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

}  // namespace flowsentry::stream
