#include "detect/password.h"

#include <fmt/format.h>

namespace flowsentry::detect {

std::string auth_service(const flow::FlowRecord& f) {
  if (f.proto != "tcp") return {};
  for (const char* s : {"ssh", "ftp", "smtp", "pop3"}) {
    if (f.service == s) return s;
  }
  switch (f.dsport.value_or(-1)) {
    case 22:
      return "ssh";
    case 21:
      return "ftp";
    case 23:
      return "telnet";
    case 3389:
      return "rdp";
    case 25:
    case 465:
    case 587:
      return "smtp";
    case 110:
    case 995:
      return "pop3";
    case 143:
    case 993:
      return "imap";
    case 80:
    case 443:
    case 8080:
      return "http";
  }
  return {};
}

PasswordDetector::PasswordDetector(const BehaviourOptions& options)
    : opt_(options), table_("password_guessing", options.max_hosts, options.password_window_s) {}

void PasswordDetector::observe(const flow::FlowRecord& f, double t, std::vector<Alert>& out) {
  const std::string service = auth_service(f);
  if (service.empty() || failed_attempt(f) || f[flow::kDpkts] == 0) return;
  if (f[flow::kDur] > opt_.password_max_duration_s) return;  // a session, not an attempt
  if (f[flow::kIsFtpLogin] == 1) return;                     // the meter saw this FTP login succeed
  const int64_t port = f.dsport.value_or(0);
  const std::string key = fmt::format("{}>{}:{}", *f.srcip, *f.dstip, port);
  auto& s = table_.touch(key, t);
  if (t - s.start > opt_.password_window_s) s = PasswordState{t};
  s.tally.add(f, t);
  s.examples.add(f, opt_.max_examples);
  ++s.attempts;
  s.bytes += f[flow::kSbytes] + f[flow::kDbytes];
  if (service == "ftp" && f[flow::kCtFtpCmd] > 0 && f[flow::kIsFtpLogin] == 0) {
    ++s.ftp_failed_logins;
  }
  const uint64_t need = service == "http" ? opt_.password_http_attempts : opt_.password_attempts;
  if (s.alerted || s.attempts < need) return;
  s.alerted = true;
  nlohmann::json evidence{{"service", service},
                          {"port", port},
                          {"attempts", s.attempts},
                          {"mean_bytes", s.bytes / static_cast<double>(s.attempts)}};
  if (service == "ftp") evidence["ftp_failed_logins"] = s.ftp_failed_logins;
  out.push_back(behaviour_alert(
      "password_guessing", fmt::format("{}>{}:{}", *f.srcip, *f.dstip, service),
      s.attempts >= 5 * need ? Severity::kCritical : Severity::kWarning,
      fmt::format("password guessing: {} made {} short {} connections to {} in {:.0f} s", *f.srcip,
                  s.attempts, service, *f.dstip, s.tally.last - s.tally.first),
      s.tally, {{"src", *f.srcip}, {"dst", *f.dstip}}, std::move(evidence), s.examples));
}

}  // namespace flowsentry::detect
