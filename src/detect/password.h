// Password guessing: many short, established connections from one source to one target's
// authentication service (ssh, ftp, telnet, rdp, smtp, pop3, imap; HTTP(S) logins with a
// higher threshold) within an event-time window. FTP control flows whose USER/PASS did not log
// in are counted as failed logins in the evidence.
#pragma once

#include <string>
#include <vector>

#include "detect/behaviour_evidence.h"
#include "detect/host_table.h"

namespace flowsentry::detect {

struct PasswordState {
  double start = 0;
  Tally tally;
  uint64_t attempts = 0;
  uint64_t ftp_failed_logins = 0;
  double bytes = 0;
  bool alerted = false;
  Examples examples;
};

// "ssh", "ftp", … for an authentication port or service; empty when the flow is not one.
std::string auth_service(const flow::FlowRecord& f);

class PasswordDetector {
 public:
  explicit PasswordDetector(const BehaviourOptions& options);
  void observe(const flow::FlowRecord& f, double t, std::vector<Alert>& out);
  size_t entries() const { return table_.size(); }
  size_t approx_bytes() const { return table_.size() * 700; }

 private:
  const BehaviourOptions& opt_;
  HostTable<PasswordState> table_;
};

}  // namespace flowsentry::detect
