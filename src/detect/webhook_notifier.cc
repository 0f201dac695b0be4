// HTTP notifiers over libcurl: the generic JSON webhook and Slack incoming webhooks, plus the log
// notifier. One attempt per send(); the Dispatcher retries.
#include <curl/curl.h>

#include <mutex>

#include <fmt/format.h>

#include "common/log.h"
#include "common/version.h"
#include "detect/notifier.h"

namespace flowsentry::detect {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t discard(char*, size_t size, size_t n, void*) {
  return size * n;
}

SendResult post_json(const std::string& url, const std::string& body, const HttpOptions& o) {
  global_init();
  SendResult r;
  CURL* curl = curl_easy_init();
  if (!curl) {
    r.retryable = true;
    r.error = "could not create a libcurl handle";
    return r;
  }
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout_s * 1000));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout_s * 1000));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, kUserAgent);
  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);

  r.http_status = static_cast<int>(status);
  if (code != CURLE_OK) {
    // curl_easy_strerror names the failure without the URL (which holds the webhook secret).
    r.retryable = code != CURLE_UNSUPPORTED_PROTOCOL && code != CURLE_URL_MALFORMAT;
    r.error = code == CURLE_OPERATION_TIMEDOUT
                  ? fmt::format("timed out after {:g} s", o.timeout_s)
                  : fmt::format("request failed: {}", curl_easy_strerror(code));
    return r;
  }
  if (status >= 200 && status < 300) {
    r.ok = true;
    return r;
  }
  r.retryable = status >= 500 || status == 429 || status == 408;
  r.error = fmt::format("HTTP {}", status);
  return r;
}

class WebhookNotifier final : public Notifier {
 public:
  WebhookNotifier(std::string name, std::string url, HttpOptions o, bool slack,
                  std::string dashboard_url = {})
      : name_(std::move(name)),
        url_(std::move(url)),
        opt_(o),
        slack_(slack),
        dashboard_url_(std::move(dashboard_url)) {}
  const std::string& name() const override { return name_; }
  SendResult send(const Alert& alert) override {
    const auto body = slack_ ? slack_message(alert, dashboard_url_) : alert.to_json();
    return post_json(url_, body.dump(), opt_);
  }

 private:
  std::string name_;
  std::string url_;
  HttpOptions opt_;
  bool slack_;
  std::string dashboard_url_;
};

class LogNotifier final : public Notifier {
 public:
  const std::string& name() const override { return name_; }
  SendResult send(const Alert& a) override {
    module_logger("detect")->warn("ALERT [{}] {}: {} | {}", severity_name(a.severity), a.key(),
                                  a.summary, a.payload.dump());
    return {true, false, 0, {}};
  }

 private:
  std::string name_ = "log";
};

// Slack reads <...> in mrkdwn and text as links and mentions (<!channel>, <@U123>): values that
// come from traffic (categories, keys, summaries) are escaped as Slack documents.
std::string slack_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// "10.0.0.5:4431 → 10.0.0.9:22 " for an example flow with addresses, else "".
std::string example_hosts(const nlohmann::json& f) {
  if (!f.contains("srcip") || !f.contains("dstip") || !f["srcip"].is_string() ||
      !f["dstip"].is_string()) {
    return "";
  }
  auto end = [&](const char* ip, const char* port) {
    auto s = f[ip].get<std::string>();
    if (f.contains(port)) s += ":" + f[port].dump();
    return s;
  };
  return end("srcip", "sport") + " → " + end("dstip", "dsport") + " ";
}

std::string field_text(const nlohmann::json& v) {
  if (v.is_string()) return slack_escape(v.get<std::string>());
  if (v.is_number_float()) return fmt::format("{:.4g}", v.get<double>());
  if (v.is_object() && v.contains("proto")) {
    return slack_escape(fmt::format("{}/{}/{}", v.value("proto", ""), v.value("service", ""),
                                    v.value("state", "")));
  }
  return slack_escape(v.dump());
}

// "Hosts: <URL/#/hosts/10.0.0.5|10.0.0.5>, …"; empty when the alert names no host.
std::string host_links(const Alert& a, std::string_view dashboard_url) {
  std::string base(dashboard_url);
  while (base.ends_with('/')) base.pop_back();
  std::string out;
  for (const auto& ip : alert_hosts(a)) {
    out += out.empty() ? "Hosts: " : ", ";
    const auto shown = slack_escape(ip);
    out +=
        base.empty() ? shown : fmt::format("<{}/#/hosts/{}|{}>", slack_escape(base), shown, shown);
  }
  return out;
}

}  // namespace

nlohmann::json slack_message(const Alert& a, std::string_view dashboard_url) {
  const std::string sev = severity_name(a.severity);
  const char* icon = a.severity == Severity::kCritical  ? ":rotating_light:"
                     : a.severity == Severity::kWarning ? ":warning:"
                                                        : ":information_source:";
  nlohmann::json msg;
  const std::string summary = slack_escape(a.summary);
  msg["text"] = fmt::format("{} flowsentry {} [{}]: {}", icon, a.kind_or_type(), sev, summary);
  auto fields = nlohmann::json::array();
  for (const auto& [k, v] : a.payload.items()) {
    if (fields.size() == 10) break;  // Slack's limit per section
    if (v.is_array() || (v.is_object() && !v.contains("proto"))) continue;
    fields.push_back({{"type", "mrkdwn"}, {"text", fmt::format("*{}*\n{}", k, field_text(v))}});
  }
  auto blocks = nlohmann::json::array();
  blocks.push_back(
      {{"type", "header"},
       {"text", {{"type", "plain_text"}, {"text", "flowsentry: " + a.kind_or_type()}}}});
  blocks.push_back(
      {{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", icon + (" " + summary)}}}});
  if (!fields.empty()) blocks.push_back({{"type", "section"}, {"fields", fields}});
  if (auto links = host_links(a, dashboard_url); !links.empty()) {
    blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", links}}}});
  }
  if (a.payload.contains("example_flows") && !a.payload["example_flows"].empty()) {
    std::string ex;
    for (const auto& f : a.payload["example_flows"]) {
      ex += slack_escape(
          fmt::format("• id {} {}{}/{}/{} score {}\n", f.value("id", nlohmann::json()).dump(),
                      example_hosts(f), f.value("proto", ""), f.value("service", ""),
                      f.value("state", ""), field_text(f.value("score", nlohmann::json(0.0)))));
    }
    blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", ex}}}});
  }
  blocks.push_back({{"type", "context"},
                    {"elements",
                     {{{"type", "mrkdwn"},
                       {"text", fmt::format("{} | severity {} | key `{}`", iso8601(a.time), sev,
                                            slack_escape(a.key()))}}}}});
  msg["blocks"] = blocks;
  return msg;
}

std::unique_ptr<Notifier> make_webhook_notifier(std::string url, HttpOptions options) {
  return std::make_unique<WebhookNotifier>("webhook", std::move(url), options, false);
}

std::unique_ptr<Notifier> make_slack_notifier(std::string url, HttpOptions options,
                                              std::string dashboard_url) {
  return std::make_unique<WebhookNotifier>("slack", std::move(url), options, true,
                                           std::move(dashboard_url));
}

std::unique_ptr<Notifier> make_log_notifier() {
  return std::make_unique<LogNotifier>();
}

}  // namespace flowsentry::detect
