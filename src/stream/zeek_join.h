// The HTTP/FTP features of a conn.log row, from http.log and ftp.log joined by uid.
//
// Bounded: a side log is read only up to the end time of the conn.log row being joined (an
// HTTP transaction or FTP command happens inside its connection, so it is logged with a
// time no later than the connection's end). Connections seen in a side log wait in a table
// until their conn.log row takes them; past ZeekOptions::max_join_entries the oldest is
// dropped and counted (evicted), so an http.log whose connections never reach conn.log cannot
// grow it.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "flow/zeek_log.h"
#include "stream/line_input.h"
#include "stream/zeek_conn.h"

namespace flowsentry::stream {

class AppLogJoin {
 public:
  struct Counters {
    uint64_t rows = 0;      // side-log rows joined into the table
    uint64_t rejected = 0;  // side-log lines that did not parse (not flows: only counted)
    uint64_t evicted = 0;   // connections dropped from a full table before their conn row
  };

  // Either input may be null (that log is absent).
  AppLogJoin(std::unique_ptr<LineInput> http, std::unique_ptr<LineInput> ftp, size_t max_entries);

  // Reads the side logs up to `until` (the connection's end time) and hands over (and
  // forgets) what they say of `uid`.
  AppCounts take(const std::string& uid, double until);

  const Counters& counters() const { return counters_; }
  size_t entries() const { return by_uid_.size(); }

 private:
  struct Side {
    std::unique_ptr<LineInput> in;
    flow::ZeekLogParser parser;
    bool http = false;
    bool done = false;
    bool pending = false;  // a row read past `until`, joined on a later call
    double pending_ts = 0;
    std::string pending_uid;
    AppCounts pending_delta;
  };
  void advance(Side& side, double until);
  bool read_row(Side& side);
  void add(const std::string& uid, const AppCounts& delta);

  std::vector<Side> sides_;
  std::unordered_map<std::string, AppCounts> by_uid_;
  std::deque<std::string> order_;  // uids in the order they entered the table
  size_t max_entries_;
  Counters counters_;
  std::string line_;
  std::vector<flow::ZeekValue> values_;
};

}  // namespace flowsentry::stream
