// Suppressions: analyst rules saying "alerts like this are expected" (a source, destination,
// service, port or alert kind), each until it expires. DetectionStage drops a matching alert
// before it is dispatched or stored and counts it.
//
// A rule matches when every field it gives matches; a field matches when the alert names at
// least one value for it and every value it names does (a burst across many sources is not
// suppressed by a rule about one of them). Values are read from the alert's kind, context
// ("proto/service/state") and payload: hosts.src/dst and any srcip/dstip, port/dsport and
// service keys, depth and node count bounded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "detect/alert.h"
#include "flow/address.h"

namespace flowsentry::detect {

struct SuppressionRule {
  int64_t id = 0;
  std::optional<std::string> kind;
  std::optional<std::string> src;  // address or CIDR
  std::optional<std::string> dst;
  std::optional<std::string> service;
  std::optional<int64_t> port;
  double expires = 0;  // seconds since the epoch; the rule stops matching then
};

// An address (lo == hi) or CIDR block as a 16-byte range; nullopt when the text is neither.
struct AddressBlock {
  flow::AddressBytes lo{}, hi{};
};
std::optional<AddressBlock> parse_address_block(const std::string& text);

// What an alert names, as the rules see it.
struct AlertFacts {
  std::string kind;
  std::vector<std::string> src, dst, services;
  std::vector<int64_t> ports;
};
AlertFacts alert_facts(const Alert& alert);

class Suppressions {
 public:
  explicit Suppressions(size_t max_rules = 1000) : max_rules_(max_rules) {}

  // Replaces the rules with the first `max_rules` of `rules`; a rule with an address that
  // does not parse or without any field is left out. Returns how many were left out.
  size_t set(const std::vector<SuppressionRule>& rules);
  // The id of the first rule in force at `now` that matches, if any.
  std::optional<int64_t> match(const Alert& alert, double now) const;
  size_t size() const { return rules_.size(); }

 private:
  struct Compiled {
    SuppressionRule rule;
    std::optional<AddressBlock> src, dst;
  };
  static bool matches(const Compiled& c, const AlertFacts& facts);
  size_t max_rules_;
  std::vector<Compiled> rules_;
};

}  // namespace flowsentry::detect
