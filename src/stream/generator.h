// The built-in traffic generator: seed-deterministic, UNSW-NB15-like flows with no data set and
// no Kafka. Values follow per-(proto, service, state) profiles taken from the shape of the
// UNSW-NB15 training set (medians and spreads of duration, packets, bytes, TTLs, timings and the
// ct_* counters), and the derived fields (rate, loads, means, inter-packet times, tcprtt) are
// computed from them as the data set does. Generated flows carry ground truth (label,
// attack_cat), so detectors and tests can check what they find.
//
// Scenarios:
//   normal  benign traffic only: TCP (plain, http, smtp, ftp, ftp-data, ssh) and UDP (dns, other)
//   attack  the normal mix with periodic attack bursts (burst_len flows every burst_every):
//           Generic DNS floods, DoS, Exploits and Reconnaissance flows with TTL 254 / 252 and
//           ct_state_ttl 1-2, tiny durations for the flooding kinds
//   drift   the normal mix, then after drift_after flows a different proto/service mix
//           (UDP and DNS heavy, ssh and smtp up, http down), all benign
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "flow/flow_record.h"
#include "stream/rate_limiter.h"
#include "stream/source.h"

namespace flowsentry::stream {

enum class Scenario { kNormal, kAttack, kDrift };

Result<Scenario> parse_scenario(std::string_view name);  // "normal" | "attack" | "drift"
const char* scenario_name(Scenario s);

struct GeneratorOptions {
  uint64_t seed = 1;
  Scenario scenario = Scenario::kNormal;
  uint64_t burst_every = 5000;   // attack: flows from one burst start to the next
  uint64_t burst_len = 200;      // attack: flows in a burst (all attacks)
  uint64_t drift_after = 10000;  // drift: flows before the mix changes
  double start_time = 1.7e9;     // stime of the first flow (epoch seconds)
  double time_step = 0.001;      // stime advance per flow
};

// A small, portable PRNG (xoshiro256**, seeded by splitmix64) so a seed gives the same flows
// with any standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next();
  double uniform();            // [0, 1)
  double normal();             // standard normal
  uint64_t below(uint64_t n);  // [0, n)
  // Log-normal with the given median whose 10th..90th percentile spread is `p10`..`p90`.
  double lognormal(double p10, double p50, double p90);

 private:
  uint64_t s_[4];
};

class FlowGenerator {
 public:
  explicit FlowGenerator(GeneratorOptions options);

  // The next flow of the scenario; its key is ("generator:<seed>", 0, sequence).
  flow::FlowRecord next();

  // One flow of a kind, independent of the scenario's schedule (also advances the sequence).
  flow::FlowRecord next_normal();
  flow::FlowRecord next_attack();

  // True if the flow at sequence `seq` is inside an attack burst (attack scenario).
  bool in_burst(uint64_t seq) const;
  uint64_t sequence() const { return seq_; }
  const GeneratorOptions& options() const { return options_; }
  std::string source_name() const;

 private:
  flow::FlowRecord finish(flow::FlowRecord rec);

  GeneratorOptions options_;
  Rng rng_;
  uint64_t seq_ = 0;
};

struct GeneratorSourceOptions {
  GeneratorOptions generator;
  double eps = 0;           // flows per second, 0 = as fast as asked
  uint64_t count = 0;       // stop after this many flows, 0 = endless
  bool wall_clock = false;  // stamp stime with the current time instead of the synthetic clock
};

class GeneratorSource final : public Source {
 public:
  explicit GeneratorSource(GeneratorSourceOptions options);

  Result<size_t> next_batch(std::vector<flow::FlowRecord>& out, size_t max,
                            std::chrono::milliseconds wait) override;
  bool at_end() const override;
  void take_rejected(std::vector<Rejected>&) override {}
  std::string describe() const override;

  FlowGenerator& generator() { return gen_; }

 private:
  GeneratorSourceOptions options_;
  FlowGenerator gen_;
  RateLimiter limiter_;
};

}  // namespace flowsentry::stream
