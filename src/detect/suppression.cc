#include "detect/suppression.h"

#include <algorithm>
#include <charconv>

namespace flowsentry::detect {

std::optional<AddressBlock> parse_address_block(const std::string& text) {
  const auto slash = text.find('/');
  auto addr = flow::parse_address(text.substr(0, slash));
  if (!addr) return std::nullopt;
  AddressBlock b{*addr, *addr};
  if (slash == std::string::npos) return b;
  int bits = -1;
  const char* first = text.data() + slash + 1;
  const char* last = text.data() + text.size();
  auto [p, ec] = std::from_chars(first, last, bits);
  if (ec != std::errc() || p != last || first == last) return std::nullopt;
  // An IPv4 prefix counts from the mapped form's 96 leading bits.
  const bool v4 = text.find(':') == std::string::npos;
  const int max = v4 ? 32 : 128;
  if (bits < 0 || bits > max) return std::nullopt;
  if (v4) bits += 96;
  for (int i = bits; i < 128; ++i) {
    const auto byte = static_cast<size_t>(i / 8);
    const auto mask = static_cast<uint8_t>(0x80u >> (i % 8));
    b.lo[byte] = static_cast<uint8_t>(b.lo[byte] & ~mask);
    b.hi[byte] = static_cast<uint8_t>(b.hi[byte] | mask);
  }
  return b;
}

namespace {

constexpr int kMaxDepth = 6;
constexpr int kMaxNodes = 10000;  // a hostile or huge payload costs at most this much

void add_unique(std::vector<std::string>& out, const std::string& v) {
  if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
}

void add_strings(std::vector<std::string>& out, const nlohmann::json& v) {
  if (v.is_string()) add_unique(out, v.get<std::string>());
  if (!v.is_array()) return;
  for (const auto& e : v) {
    if (e.is_string()) add_unique(out, e.get<std::string>());
  }
}

void walk(const nlohmann::json& j, int depth, int& nodes, AlertFacts& out) {
  if (depth > kMaxDepth || ++nodes > kMaxNodes) return;
  if (j.is_array()) {
    for (const auto& e : j) walk(e, depth + 1, nodes, out);
    return;
  }
  if (!j.is_object()) return;
  for (const auto& [k, v] : j.items()) {
    if (k == "srcip") add_strings(out.src, v);
    if (k == "dstip") add_strings(out.dst, v);
    if (k == "service") add_strings(out.services, v);
    if ((k == "port" || k == "dsport") && v.is_number_integer()) {
      const auto p = v.get<int64_t>();
      if (std::find(out.ports.begin(), out.ports.end(), p) == out.ports.end()) {
        out.ports.push_back(p);
      }
    }
    if (k == "hosts" && v.is_object()) {
      if (v.contains("src")) add_strings(out.src, v["src"]);
      if (v.contains("dst")) add_strings(out.dst, v["dst"]);
    }
    walk(v, depth + 1, nodes, out);
  }
}

bool in_block(const AddressBlock& b, const std::string& ip) {
  auto a = flow::parse_address(ip);
  return a && b.lo <= *a && *a <= b.hi;
}

}  // namespace

AlertFacts alert_facts(const Alert& alert) {
  AlertFacts f;
  f.kind = alert.kind_or_type();
  // "proto/service/state": the context of flow-based alerts.
  const auto& c = alert.context;
  const auto a = c.find('/');
  const auto b = a == std::string::npos ? a : c.find('/', a + 1);
  if (b != std::string::npos && c.find('/', b + 1) == std::string::npos) {
    add_unique(f.services, c.substr(a + 1, b - a - 1));
  }
  int nodes = 0;
  walk(alert.payload, 0, nodes, f);
  return f;
}

size_t Suppressions::set(const std::vector<SuppressionRule>& rules) {
  rules_.clear();
  size_t left_out = 0;
  for (const auto& r : rules) {
    if (rules_.size() >= max_rules_) {
      ++left_out;
      continue;
    }
    Compiled c{r, std::nullopt, std::nullopt};
    const bool any = r.kind || r.src || r.dst || r.service || r.port;
    if (r.src) c.src = parse_address_block(*r.src);
    if (r.dst) c.dst = parse_address_block(*r.dst);
    if (!any || (r.src && !c.src) || (r.dst && !c.dst)) {
      ++left_out;
      continue;
    }
    rules_.push_back(std::move(c));
  }
  return left_out;
}

bool Suppressions::matches(const Compiled& c, const AlertFacts& f) {
  const auto& r = c.rule;
  if (r.kind && *r.kind != f.kind) return false;
  auto all_in = [](const AddressBlock& b, const std::vector<std::string>& ips) {
    return !ips.empty() &&
           std::all_of(ips.begin(), ips.end(), [&](const auto& ip) { return in_block(b, ip); });
  };
  if (c.src && !all_in(*c.src, f.src)) return false;
  if (c.dst && !all_in(*c.dst, f.dst)) return false;
  if (r.service &&
      (f.services.empty() || std::any_of(f.services.begin(), f.services.end(),
                                         [&](const auto& s) { return s != *r.service; }))) {
    return false;
  }
  if (r.port && (f.ports.empty() || std::any_of(f.ports.begin(), f.ports.end(),
                                                [&](int64_t p) { return p != *r.port; }))) {
    return false;
  }
  return true;
}

std::optional<int64_t> Suppressions::match(const Alert& alert, double now) const {
  if (rules_.empty()) return std::nullopt;
  const auto facts = alert_facts(alert);
  for (const auto& c : rules_) {
    if (c.rule.expires > now && matches(c, facts)) return c.rule.id;
  }
  return std::nullopt;
}

}  // namespace flowsentry::detect
