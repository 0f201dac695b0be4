// JSON lines to a file with size-based rotation: when a record would take the file past
// max_bytes, PATH becomes PATH.1, PATH.1 becomes PATH.2, ... and PATH.keep is deleted.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "siem/transport.h"

namespace flowsentry::siem {

struct FileOptions {
  std::string path;
  uint64_t max_bytes = 100ull << 20;
  int keep = 5;  // rotated files kept
};

class FileTransport : public Transport {
 public:
  explicit FileTransport(FileOptions options) : opt_(std::move(options)) {}
  ~FileTransport() override;
  Delivery deliver(const std::string& record) override;
  void idle() override;

 private:
  Delivery open();
  void rotate();

  FileOptions opt_;
  std::FILE* file_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace flowsentry::siem
