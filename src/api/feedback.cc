// Analyst feedback and suppression rules: POST /api/v1/flows/{id}/feedback,
// POST /api/v1/alerts/{id}/feedback, GET /api/v1/feedback, DELETE /api/v1/feedback/{id},
// GET|POST /api/v1/suppressions, DELETE /api/v1/suppressions/{id}. Bodies are validated
// strictly here (400 naming the field); the store keeps them.
#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "api/http_util.h"
#include "api/routes.h"

namespace flowsentry::api {
namespace {

using Req = Request;
using Res = Response;

constexpr size_t kMaxBodyBytes = 16 << 10;  // a label and a note; far below api.max_body_mb
constexpr size_t kMaxNote = 2000;
constexpr size_t kMaxAnalyst = 100;
constexpr size_t kMaxText = 200;  // kind, service, address
constexpr double kMaxRuleSeconds = 90.0 * 86400;

void store_failed(Res& res, const Error& e) {
  if (e.code == ErrorCode::kNotFound) return send_error(res, 404, e.message + ": " + e.where);
  send_error(res, 503, "store update failed: " + e.message);
}

// The body as a JSON object with only `allowed` keys, else a 413/400 already sent.
std::optional<nlohmann::json> body_object(const Req& req, Res& res,
                                          std::initializer_list<const char*> allowed) {
  if (req.body.size() > kMaxBodyBytes) {
    send_error(res, 413,
               fmt::format("request body is too large (at most {} bytes)", kMaxBodyBytes));
    return std::nullopt;
  }
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    send_error(res, 400, "body must be a JSON object", {{"/", "invalid JSON or not an object"}});
    return std::nullopt;
  }
  std::vector<Problem> problems;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& key = it.key();
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
      problems.push_back({"/" + key.substr(0, 60), "unknown field"});
    }
  }
  if (!problems.empty()) {
    send_error(res, 400, "bad body", problems);
    return std::nullopt;
  }
  return body;
}

// A string field: nullopt when absent or null; a Problem when not a string, empty or too long.
std::optional<std::string> text_field(const nlohmann::json& body, const char* key, size_t max,
                                      std::vector<Problem>& problems, size_t min = 1) {
  if (!body.contains(key) || body[key].is_null()) return std::nullopt;
  const auto& v = body[key];
  const std::string field = std::string("/") + key;
  if (!v.is_string()) {
    problems.push_back({field, "expected a string"});
    return std::nullopt;
  }
  auto s = v.get<std::string>();
  if (s.size() < min || s.size() > max) {
    problems.push_back({field, fmt::format("expected {} to {} characters", min, max)});
    return std::nullopt;
  }
  return s;
}

std::vector<std::string> model_classes(const ApiContext& ctx) {
  if (const auto scorer = ctx.current_scorer(); scorer && !scorer->meta().classes.empty()) {
    return scorer->meta().classes;
  }
  return {flow::kAttackCategories.begin(), flow::kAttackCategories.end()};
}

nlohmann::json feedback_json(const store::Feedback& f) {
  auto opt = [](const std::optional<std::string>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  return {{"id", f.id},
          {"flow_id", opt(f.flow_id)},
          {"alert_id", opt(f.alert_id)},
          {"label", store::feedback_label_name(f.label)},
          {"attack_cat", opt(f.attack_cat)},
          {"analyst", f.analyst},
          {"note", f.note},
          {"created", f.created}};
}

nlohmann::json suppression_json(const store::Suppression& s) {
  auto opt = [](const std::optional<std::string>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  return {{"id", s.id},
          {"kind", opt(s.kind)},
          {"src", opt(s.src)},
          {"dst", opt(s.dst)},
          {"service", opt(s.service)},
          {"port", s.port ? nlohmann::json(*s.port) : nlohmann::json(nullptr)},
          {"analyst", s.analyst},
          {"note", s.note},
          {"created", s.created},
          {"expires", s.expires}};
}

std::optional<int64_t> id_segment(const std::string& text) {
  int64_t id = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || p != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

// label, attack_cat, analyst, note: what both feedback routes take.
std::optional<store::Feedback> parse_feedback(const ApiContext& ctx, const Req& req, Res& res) {
  auto body = body_object(req, res, {"label", "attack_cat", "analyst", "note"});
  if (!body) return std::nullopt;
  std::vector<Problem> problems;
  store::Feedback f;
  auto label = text_field(*body, "label", kMaxText, problems);
  if (!label && problems.empty()) problems.push_back({"/label", "required"});
  if (label) {
    if (auto l = store::parse_feedback_label(*label)) {
      f.label = *l;
    } else {
      problems.push_back({"/label", "expected true_positive, false_positive or benign_expected"});
    }
  }
  f.attack_cat = text_field(*body, "attack_cat", kMaxText, problems);
  if (f.attack_cat) {
    auto classes = model_classes(ctx);
    if (std::find(classes.begin(), classes.end(), *f.attack_cat) == classes.end()) {
      problems.push_back({"/attack_cat", fmt::format("expected one of the model's classes: {}",
                                                     fmt::join(classes, ", "))});
    }
  }
  auto analyst = text_field(*body, "analyst", kMaxAnalyst, problems);
  if (!analyst && !body->contains("analyst")) problems.push_back({"/analyst", "required"});
  f.analyst = analyst.value_or("");
  f.note = text_field(*body, "note", kMaxNote, problems, 0).value_or("");
  if (!problems.empty()) {
    send_error(res, 400, "bad body", problems);
    return std::nullopt;
  }
  return f;
}

void add_feedback(const ApiContext& ctx, const Req& req, Res& res, bool on_flow) {
  const auto& target = req.matches[1];
  if (on_flow && !store::decode_flow_id(target)) {
    return send_error(res, 400, "bad flow id", {{"id", "not an id this API returned"}});
  }
  auto f = parse_feedback(ctx, req, res);
  if (!f) return;
  (on_flow ? f->flow_id : f->alert_id) = target;
  auto stored = ctx.store->add_feedback(*f);
  if (!stored.ok()) return store_failed(res, stored.error());
  send_json(res, feedback_json(*stored), 201);
}

void list_feedback(const ApiContext& ctx, const Req& req, Res& res) {
  std::vector<Problem> problems;
  store::FeedbackFilter filter;
  if (req.has_param("label")) {
    filter.label = store::parse_feedback_label(req.get_param_value("label"));
    if (!filter.label) {
      problems.push_back({"label", "expected true_positive, false_positive or benign_expected"});
    }
  }
  if (req.has_param("since")) {
    const auto text = req.get_param_value("since");
    double since = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), since);
    if (ec != std::errc() || p != text.data() + text.size() || !std::isfinite(since)) {
      problems.push_back({"since", "expected epoch seconds"});
    } else {
      filter.since = since;
    }
  }
  std::optional<int64_t> before;
  if (req.has_param("cursor") && !req.get_param_value("cursor").empty()) {
    before = id_segment(req.get_param_value("cursor"));
    if (!before) problems.push_back({"cursor", "not a cursor this API returned as 'next'"});
  }
  const int limit = int_param(req, "limit", 100, 1, 1000, problems);
  if (!problems.empty()) return send_error(res, 400, "bad query parameter", problems);
  auto page = ctx.store->list_feedback(filter, before, limit);
  if (!page.ok()) return send_error(res, 503, "store query failed: " + page.error().message);
  auto items = nlohmann::json::array();
  for (const auto& f : page->items) items.push_back(feedback_json(f));
  nlohmann::json next = nullptr;
  if (page->next) next = std::to_string(*page->next);
  send_json(res, {{"feedback", std::move(items)}, {"next", std::move(next)}});
}

void delete_by_id(const Req& req, Res& res, const std::function<Status(int64_t)>& del) {
  auto id = id_segment(req.matches[1]);
  if (!id) return send_error(res, 400, "bad id", {{"id", "expected a positive integer"}});
  if (auto st = del(*id); !st.ok()) return store_failed(res, st.error());
  send_json(res, {{"ok", true}});
}

void list_suppressions(const ApiContext& ctx, const Req& req, Res& res) {
  std::vector<Problem> problems;
  const int limit = int_param(req, "limit", 100, 1, 1000, problems);
  if (!problems.empty()) return send_error(res, 400, "bad query parameter", problems);
  auto rules = ctx.store->list_suppressions(wall_seconds(), limit);
  if (!rules.ok()) return send_error(res, 503, "store query failed: " + rules.error().message);
  auto arr = nlohmann::json::array();
  for (const auto& r : *rules) arr.push_back(suppression_json(r));
  send_json(res, {{"suppressions", std::move(arr)}});
}

// expires: epoch seconds in (now, now + 90 days]; absent = now + 90 days.
std::optional<double> rule_expiry(const nlohmann::json& body, double now,
                                  std::vector<Problem>& problems) {
  if (!body.contains("expires") || body["expires"].is_null()) return now + kMaxRuleSeconds;
  const auto& v = body["expires"];
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() <= now ||
      v.get<double>() > now + kMaxRuleSeconds) {
    problems.push_back({"/expires", "expected epoch seconds in the next 90 days"});
    return std::nullopt;
  }
  return v.get<double>();
}

void add_suppression(const ApiContext& ctx, const Req& req, Res& res) {
  auto body = body_object(req, res,
                          {"kind", "src", "dst", "service", "port", "expires", "analyst", "note"});
  if (!body) return;
  std::vector<Problem> problems;
  store::Suppression r;
  r.kind = text_field(*body, "kind", kMaxText, problems);
  r.service = text_field(*body, "service", kMaxText, problems);
  for (auto [key, out] : {std::pair{"src", &r.src}, std::pair{"dst", &r.dst}}) {
    *out = text_field(*body, key, kMaxText, problems);
    if (*out && !store::parse_address_range(**out).ok()) {
      problems.push_back({std::string("/") + key, "expected an address or CIDR block"});
    }
  }
  if (body->contains("port") && !(*body)["port"].is_null()) {
    const auto& p = (*body)["port"];
    if (!p.is_number_integer() || p.get<int64_t>() < 0 || p.get<int64_t>() > 65535) {
      problems.push_back({"/port", "expected an integer in 0..65535"});
    } else {
      r.port = p.get<int64_t>();
    }
  }
  const double now = wall_seconds();
  r.expires = rule_expiry(*body, now, problems).value_or(0);
  auto analyst = text_field(*body, "analyst", kMaxAnalyst, problems);
  if (!analyst && !body->contains("analyst")) problems.push_back({"/analyst", "required"});
  r.analyst = analyst.value_or("");
  r.note = text_field(*body, "note", kMaxNote, problems, 0).value_or("");
  if (problems.empty() && !r.kind && !r.src && !r.dst && !r.service && !r.port) {
    problems.push_back({"/", "give at least one of kind, src, dst, service, port"});
  }
  if (!problems.empty()) return send_error(res, 400, "bad body", problems);
  r.created = now;
  auto stored = ctx.store->add_suppression(r);
  if (!stored.ok()) return store_failed(res, stored.error());
  send_json(res, suppression_json(*stored), 201);
}

}  // namespace

void add_feedback_routes(Router& router, const ApiContext& context) {
  const ApiContext* ctx = &context;
  auto with_store = [ctx](auto handler) {
    return [ctx, handler](const Req& req, Res& res) {
      if (!ctx->store) {
        send_error(res, 503, "this process has no store (start it with --store)");
        return;
      }
      handler(*ctx, req, res);
    };
  };
  router.add(
      "POST", "/api/v1/flows/{id}/feedback",
      with_store([](const ApiContext& c, const Req& q, Res& s) { add_feedback(c, q, s, true); }));
  router.add(
      "POST", "/api/v1/alerts/{id}/feedback",
      with_store([](const ApiContext& c, const Req& q, Res& s) { add_feedback(c, q, s, false); }));
  router.add("GET", "/api/v1/feedback", with_store(list_feedback));
  router.add("DELETE", "/api/v1/feedback/{id}",
             with_store([](const ApiContext& c, const Req& q, Res& s) {
               delete_by_id(q, s, [&](int64_t id) { return c.store->delete_feedback(id); });
             }));
  router.add("GET", "/api/v1/suppressions", with_store(list_suppressions));
  router.add("POST", "/api/v1/suppressions", with_store(add_suppression));
  router.add("DELETE", "/api/v1/suppressions/{id}",
             with_store([](const ApiContext& c, const Req& q, Res& s) {
               delete_by_id(q, s, [&](int64_t id) { return c.store->delete_suppression(id); });
             }));
}

}  // namespace flowsentry::api
