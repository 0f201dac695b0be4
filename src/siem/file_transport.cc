#include "siem/file_transport.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace flowsentry::siem {

FileTransport::~FileTransport() {
  if (file_) std::fclose(file_);
}

Delivery FileTransport::open() {
  file_ = std::fopen(opt_.path.c_str(), "ab");
  if (!file_) return {false, true, opt_.path + ": " + std::strerror(errno)};
  std::error_code ec;
  const auto size = std::filesystem::file_size(opt_.path, ec);
  size_ = ec ? 0 : size;
  return {true, false, {}};
}

void FileTransport::rotate() {
  std::fclose(file_);
  file_ = nullptr;
  std::error_code ec;
  const auto name = [&](int i) { return opt_.path + "." + std::to_string(i); };
  std::filesystem::remove(name(opt_.keep), ec);
  for (int i = opt_.keep - 1; i >= 1; --i) std::filesystem::rename(name(i), name(i + 1), ec);
  if (opt_.keep > 0) {
    std::filesystem::rename(opt_.path, name(1), ec);
  } else {
    std::filesystem::remove(opt_.path, ec);
  }
}

Delivery FileTransport::deliver(const std::string& record) {
  if (!file_) {
    if (auto d = open(); !d.ok) return d;
  }
  const uint64_t need = record.size() + 1;
  if (size_ > 0 && size_ + need > opt_.max_bytes) {
    rotate();
    if (auto d = open(); !d.ok) return d;
  }
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size() ||
      std::fputc('\n', file_) == EOF) {
    const std::string error = opt_.path + ": " + std::strerror(errno);
    std::fclose(file_);  // reopened on the next attempt
    file_ = nullptr;
    return {false, true, error};
  }
  size_ += need;
  return {true, false, {}};
}

void FileTransport::idle() {
  if (file_) std::fflush(file_);
}

}  // namespace flowsentry::siem
