// Notifier: one way of delivering an alert (Slack, a generic JSON webhook, the log). send() makes
// one attempt and says whether a retry could help; the Dispatcher owns queueing, retries and
// noise control, so notifiers stay small. Webhook URLs are secrets: never logged or returned.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "detect/alert.h"

namespace flowsentry::detect {

struct SendResult {
  bool ok = false;
  bool retryable = false;  // timeouts, connection errors, 5xx, 429
  int http_status = 0;     // 0 when no HTTP response
  std::string error;       // empty when ok; never contains the URL
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual const std::string& name() const = 0;  // "slack", "webhook", "log"
  virtual SendResult send(const Alert& alert) = 0;
};

struct HttpOptions {
  double timeout_s = 5;          // whole request
  double connect_timeout_s = 3;  // TCP/TLS connect
};

// POSTs alert.to_json() as application/json.
std::unique_ptr<Notifier> make_webhook_notifier(std::string url, HttpOptions options = {});
// POSTs a Slack incoming-webhook message (slack_message()).
std::unique_ptr<Notifier> make_slack_notifier(std::string url, HttpOptions options = {},
                                              std::string dashboard_url = {});
// Writes the alert to the "detect" logger; always succeeds.
std::unique_ptr<Notifier> make_log_notifier();

// The Slack message for an alert: `text` (fallback and notification line) and `blocks` with a
// header, the summary and the key fields. With the dashboard's public URL, each host the alert
// names links to its host page (URL/#/hosts/IP).
nlohmann::json slack_message(const Alert& alert, std::string_view dashboard_url = {});

}  // namespace flowsentry::detect
