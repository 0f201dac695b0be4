// Zeek conn.log as a flow file: TSV or JSON lines, gzip-compressed or plain, recognised by
// content, so `--data conn.log` works wherever a flow file does. http.log and ftp.log beside
// it (same name with `http`/`ftp` for `conn`, or http.log/ftp.log) fill the HTTP/FTP
// features; the ct_* counts come from the meter's window over the rows in log order.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "flow/reader.h"
#include "stream/zeek_conn.h"

namespace flowsentry::stream {

// Registers Zeek conn.log with flow::open_flow_file, with these options. Idempotent (the
// options of the last call hold).
void register_zeek_format(const ZeekOptions& options = {});

// The options register_zeek_format() was given (defaults before).
const ZeekOptions& zeek_options();

// True when the file's first line is a Zeek TSV header or a JSON conn.log row.
bool looks_like_zeek_conn(const std::string& path);

// A reader over one conn.log. `follow`: a growing plain-text file read as `tail -F` does;
// next() returns kEnd while nothing new is there and more later.
Result<std::unique_ptr<flow::FlowReader>> open_zeek_conn(const std::string& path,
                                                         const ZeekOptions& options,
                                                         bool follow = false);

}  // namespace flowsentry::stream
