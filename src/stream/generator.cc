#include "stream/generator.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <numbers>
#include <span>

#include <fmt/format.h>

namespace flowsentry::stream {

using flow::FlowRecord;
namespace f = flow;

Result<Scenario> parse_scenario(std::string_view name) {
  if (name == "normal") return Scenario::kNormal;
  if (name == "attack") return Scenario::kAttack;
  if (name == "drift") return Scenario::kDrift;
  return make_error(
      ErrorCode::kInvalidArgument,
      fmt::format("unknown generator scenario '{}': use normal, attack or drift", name));
}

const char* scenario_name(Scenario s) {
  switch (s) {
    case Scenario::kNormal:
      return "normal";
    case Scenario::kAttack:
      return "attack";
    case Scenario::kDrift:
      return "drift";
  }
  return "?";
}

// --- Rng ------------------------------------------------------------------------------------

namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}
}  // namespace

Rng::Rng(uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}

uint64_t Rng::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double Rng::normal() {
  // Box-Muller; one value per call keeps the sequence simple to reason about.
  double u1 = uniform();
  double u2 = uniform();
  if (u1 < 1e-300) u1 = 1e-300;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
}

uint64_t Rng::below(uint64_t n) {
  return n == 0 ? 0 : next() % n;
}

double Rng::lognormal(double p10, double p50, double p90) {
  if (p50 <= 0) return 0;
  if (p10 <= 0) p10 = p50 / 4;
  if (p90 <= p10) return p50;
  // The 10th and 90th percentiles of a normal lie 1.2816 standard deviations from the median.
  const double sigma = (std::log(p90) - std::log(p10)) / (2 * 1.2816);
  return std::exp(std::log(p50) + sigma * normal());
}

// --- profiles -------------------------------------------------------------------------------

namespace {

struct Range {
  double p10 = 0, p50 = 0, p90 = 0;
};

// One kind of flow, shaped after the UNSW-NB15 training rows of that (attack_cat, proto,
// service, state): percentiles of the base quantities; everything else is derived.
struct Profile {
  std::string_view attack_cat;
  std::string_view proto, service, state;
  Range dur, spkts, dpkts, smean, dmean;
  int sttl, dttl, ct_state_ttl;
  Range sjit, djit, synack, ackdat;
  Range sloss, dloss;
  Range response_body_len;
  int trans_depth;
  Range ct_srv, ct_dst, ct_port, ct_pair;
  double ftp_login_prob;
};

// TTL pairs and ct_state_ttl as the data set has them: benign hosts 31/29 (class 0); attack
// hosts 254 or 62 towards 252 (class 1) and one-way floods 254 with no reply (class 2).
constexpr Profile kTcpPlain{"Normal",
                            "tcp",
                            "-",
                            "FIN",
                            {0.015, 0.52, 1.48},
                            {10, 16, 78},
                            {6, 14, 74},
                            {53, 64, 252},
                            {44, 65, 743},
                            31,
                            29,
                            0,
                            {16, 2200, 8300},
                            {2.3, 111, 400},
                            {0.0005, 0.042, 0.11},
                            {0.00013, 0.032, 0.1},
                            {1, 3, 8},
                            {1, 3, 25},
                            {},
                            0,
                            {2, 5, 12},
                            {1, 2, 7},
                            {1, 1, 4},
                            {1, 2, 6},
                            0};
constexpr Profile kTcpHttp{"Normal",
                           "tcp",
                           "http",
                           "FIN",
                           {0.4, 1.0, 1.6},
                           {10, 10, 14},
                           {8, 10, 18},
                           {79, 84, 132},
                           {82, 145, 565},
                           31,
                           29,
                           0,
                           {464, 6073, 10074},
                           {67, 206, 7742},
                           {0.0005, 0.052, 0.11},
                           {0.00013, 0.044, 0.097},
                           {1, 2, 3},
                           {1, 2, 5},
                           {83, 195, 3924},
                           1,
                           {1, 2, 5},
                           {1, 2, 6},
                           {1, 1, 2},
                           {1, 2, 4},
                           0};
constexpr Profile kUdpDns{
    "Normal",  "udp",     "dns",        "CON",        {0.00098, 0.00106, 0.00115},
    {2, 2, 2}, {2, 2, 2}, {65, 73, 73}, {81, 89, 89}, 31,
    29,        0,         {},           {},           {},
    {},        {},        {},           {},           0,
    {1, 3, 5}, {1, 3, 6}, {1, 1, 2},    {1, 1, 2},    0};
constexpr Profile kUdpOther{"Normal",
                            "udp",
                            "-",
                            "CON",
                            {0.001, 0.0044, 0.1},
                            {2, 4, 4},
                            {2, 4, 4},
                            {73, 132, 142},
                            {76, 76, 89},
                            31,
                            29,
                            0,
                            {0.5, 1.6, 34},
                            {0.5, 1.4, 34},
                            {},
                            {},
                            {},
                            {},
                            {},
                            0,
                            {4, 8, 14},
                            {2, 4, 7},
                            {1, 1, 1},
                            {1, 3, 4},
                            0};
constexpr Profile kTcpSmtp{"Normal",
                           "tcp",
                           "smtp",
                           "FIN",
                           {0.022, 0.2, 0.82},
                           {52, 52, 52},
                           {40, 42, 42},
                           {715, 716, 721},
                           {80, 80, 82},
                           31,
                           29,
                           0,
                           {23, 456, 1553},
                           {1, 15.6, 52},
                           {0.00048, 0.00054, 0.00063},
                           {0.000125, 0.00014, 0.00017},
                           {18, 18, 18},
                           {8, 8, 8},
                           {},
                           0,
                           {1, 1, 2},
                           {1, 3, 6},
                           {1, 1, 1},
                           {1, 1, 2},
                           0};
constexpr Profile kTcpFtp{"Normal",
                          "tcp",
                          "ftp",
                          "FIN",
                          {0.34, 1.28, 2.44},
                          {12, 16, 52},
                          {12, 14, 54},
                          {50, 56, 133},
                          {55, 57, 69},
                          31,
                          29,
                          0,
                          {684, 3927, 8895},
                          {37, 108, 253},
                          {0.0005, 0.056, 0.12},
                          {0.00013, 0.048, 0.106},
                          {3, 4, 11},
                          {4, 4, 15},
                          {},
                          0,
                          {1, 1, 2},
                          {1, 2, 7},
                          {1, 1, 1},
                          {1, 2, 4},
                          0.4};
constexpr Profile kTcpFtpData{"Normal",
                              "tcp",
                              "ftp-data",
                              "FIN",
                              {0.0031, 0.1, 0.47},
                              {6, 8, 14},
                              {6, 8, 12},
                              {53, 53, 638},
                              {53, 236, 735},
                              31,
                              29,
                              0,
                              {28, 1409, 4695},
                              {0.6, 67, 1794},
                              {0.00046, 0.00051, 0.00058},
                              {0.00012, 0.000136, 0.00018},
                              {1, 1, 4},
                              {1, 2, 4},
                              {},
                              0,
                              {2, 3, 6},
                              {2, 5, 8},
                              {1, 1, 1},
                              {1, 3, 4},
                              0};
constexpr Profile kTcpSsh{"Normal",
                          "tcp",
                          "ssh",
                          "FIN",
                          {0.017, 0.99, 5.1},
                          {70, 100, 332},
                          {60, 100, 354},
                          {79, 145, 178},
                          {125, 171, 212},
                          31,
                          29,
                          0,
                          {18, 624, 3255},
                          {1, 430, 3136},
                          {0.00052, 0.0006, 0.00065},
                          {0.000127, 0.00014, 0.00017},
                          {17, 22, 78},
                          {17, 32, 103},
                          {},
                          0,
                          {1, 1, 2},
                          {1, 3, 6},
                          {1, 1, 1},
                          {1, 1, 2},
                          0};

constexpr Profile kGenericDns{
    "Generic",   "udp",       "dns",        "INT",       {0.000003, 0.000008, 0.000011},
    {2, 2, 2},   {0, 0, 0},   {57, 57, 57}, {0, 0, 0},   254,
    0,           2,           {},           {},          {},
    {},          {},          {},           {},          0,
    {7, 24, 43}, {3, 14, 36}, {3, 14, 36},  {3, 23, 43}, 0};
constexpr Profile kDosUnas{"DoS",
                           "unas",
                           "-",
                           "INT",
                           {0.000003, 0.000008, 0.000009},
                           {2, 2, 2},
                           {0, 0, 0},
                           {100, 100, 100},
                           {0, 0, 0},
                           254,
                           0,
                           2,
                           {},
                           {},
                           {},
                           {},
                           {},
                           {},
                           {},
                           0,
                           {3, 7, 10},
                           {2, 3, 5},
                           {2, 3, 4},
                           {3, 6, 9},
                           0};
constexpr Profile kExploitsHttp{"Exploits",
                                "tcp",
                                "http",
                                "FIN",
                                {0.21, 0.49, 1.56},
                                {10, 10, 18},
                                {6, 8, 26},
                                {75, 87, 163},
                                {45, 159, 1058},
                                254,
                                252,
                                1,
                                {1107, 2597, 7271},
                                {55, 150, 3296},
                                {0.007, 0.048, 0.099},
                                {0.026, 0.05, 0.095},
                                {2, 2, 3},
                                {1, 2, 11},
                                {0, 0, 4586},
                                1,
                                {1, 1, 2},
                                {1, 1, 2},
                                {1, 1, 1},
                                {1, 1, 2},
                                0};
constexpr Profile kReconTcp{"Reconnaissance",
                            "tcp",
                            "-",
                            "FIN",
                            {0.63, 0.84, 1.5},
                            {10, 10, 10},
                            {8, 8, 8},
                            {56, 56, 56},
                            {44, 44, 44},
                            254,
                            252,
                            1,
                            {5417, 6213, 10741},
                            {136, 159, 303},
                            {0.0072, 0.0485, 0.0986},
                            {0.027, 0.051, 0.098},
                            {2, 2, 2},
                            {1, 1, 1},
                            {},
                            0,
                            {1, 1, 5},
                            {1, 1, 2},
                            {1, 1, 1},
                            {1, 1, 1},
                            0};

struct Weighted {
  const Profile* profile;
  double weight;
};

constexpr std::array kNormalMix{
    Weighted{&kTcpPlain, 40},  Weighted{&kTcpHttp, 18}, Weighted{&kUdpDns, 20},
    Weighted{&kUdpOther, 6},   Weighted{&kTcpSmtp, 5},  Weighted{&kTcpFtp, 4},
    Weighted{&kTcpFtpData, 4}, Weighted{&kTcpSsh, 3},
};
// After the drift point: UDP/DNS heavy, more ssh and smtp, little http.
constexpr std::array kDriftedMix{
    Weighted{&kTcpPlain, 15},  Weighted{&kTcpHttp, 3}, Weighted{&kUdpDns, 45},
    Weighted{&kUdpOther, 17},  Weighted{&kTcpSmtp, 8}, Weighted{&kTcpFtp, 1},
    Weighted{&kTcpFtpData, 1}, Weighted{&kTcpSsh, 10},
};
constexpr std::array kAttackMix{
    Weighted{&kGenericDns, 50},
    Weighted{&kDosUnas, 20},
    Weighted{&kExploitsHttp, 15},
    Weighted{&kReconTcp, 15},
};

const Profile& pick(Rng& rng, std::span<const Weighted> mix) {
  double total = 0;
  for (const auto& w : mix) total += w.weight;
  double x = rng.uniform() * total;
  for (const auto& w : mix) {
    if (x < w.weight) return *w.profile;
    x -= w.weight;
  }
  return *mix.back().profile;
}

double sample(Rng& rng, const Range& r) {
  return rng.lognormal(r.p10, r.p50, r.p90);
}
double sample_count(Rng& rng, const Range& r, double lo = 0, double hi = 1e12) {
  return std::clamp(std::round(sample(rng, r)), lo, hi);
}
// Six significant digits, as the data set prints its reals.
double round6(double v) {
  if (v == 0) return 0;
  double scale = std::pow(10.0, 5 - static_cast<int>(std::floor(std::log10(std::fabs(v)))));
  return std::round(v * scale) / scale;
}

FlowRecord make_flow(Rng& rng, const Profile& p) {
  FlowRecord r;
  r.proto = p.proto;
  r.service = p.service;
  r.state = p.state;
  const bool tcp = p.proto == "tcp";
  const double dur = round6(sample(rng, p.dur));
  const double spkts = sample_count(rng, p.spkts, tcp ? 2 : 1);
  const double dpkts = p.dpkts.p50 > 0 ? sample_count(rng, p.dpkts, tcp ? 2 : 1) : 0;
  const double smean = sample_count(rng, p.smean, 28, 1500);
  const double dmean = dpkts > 0 ? sample_count(rng, p.dmean, 28, 1500) : 0;
  r[f::kDur] = dur;
  r[f::kSpkts] = spkts;
  r[f::kDpkts] = dpkts;
  r[f::kSbytes] = spkts * smean;
  r[f::kDbytes] = dpkts * dmean;
  r[f::kSmean] = smean;
  r[f::kDmean] = dmean;
  // Derived as in the data set: rate and loads from packets, bytes and duration.
  if (dur > 0) {
    r[f::kRate] = round6((spkts + dpkts - 1) / dur);
    r[f::kSload] = spkts > 1 ? round6(8 * r[f::kSbytes] * (spkts - 1) / (spkts * dur)) : 0;
    r[f::kDload] = dpkts > 1 ? round6(8 * r[f::kDbytes] * (dpkts - 1) / (dpkts * dur)) : 0;
  }
  r[f::kSinpkt] = spkts > 1 ? round6(dur * 1000 / (spkts - 1)) : 0;
  r[f::kDinpkt] = dpkts > 1 ? round6(dur * 1000 / (dpkts - 1)) : 0;
  r[f::kSttl] = p.sttl;
  r[f::kDttl] = p.dttl;
  r[f::kCtStateTtl] = p.ct_state_ttl;
  r[f::kSjit] = round6(sample(rng, p.sjit));
  r[f::kDjit] = round6(sample(rng, p.djit));
  r[f::kSloss] = std::min(spkts, sample_count(rng, p.sloss));
  r[f::kDloss] = std::min(dpkts, sample_count(rng, p.dloss));
  if (tcp) {
    r[f::kSwin] = 255;
    r[f::kDwin] = 255;
    r[f::kStcpb] = static_cast<double>(rng.below(4294967296ULL));
    r[f::kDtcpb] = static_cast<double>(rng.below(4294967296ULL));
    r[f::kSynack] = round6(sample(rng, p.synack));
    r[f::kAckdat] = round6(sample(rng, p.ackdat));
    r[f::kTcprtt] = round6(r[f::kSynack] + r[f::kAckdat]);
  }
  r[f::kTransDepth] = p.trans_depth;
  r[f::kResponseBodyLen] = p.trans_depth > 0 ? sample_count(rng, p.response_body_len) : 0;
  r[f::kCtFlwHttpMthd] = p.trans_depth > 0 ? 1 : 0;
  if (p.ftp_login_prob > 0 && rng.uniform() < p.ftp_login_prob) {
    r[f::kIsFtpLogin] = 1;
    r[f::kCtFtpCmd] = 1;
  }
  const double ct_srv = sample_count(rng, p.ct_srv, 1, 63);
  r[f::kCtSrvSrc] = ct_srv;
  r[f::kCtSrvDst] = std::clamp(ct_srv + static_cast<double>(rng.below(3)) - 1, 1.0, 63.0);
  const double ct_dst = sample_count(rng, p.ct_dst, 1, 63);
  r[f::kCtDstLtm] = ct_dst;
  r[f::kCtSrcLtm] = std::clamp(ct_dst + static_cast<double>(rng.below(3)) - 1, 1.0, 63.0);
  r[f::kCtSrcDportLtm] = std::min(ct_dst, sample_count(rng, p.ct_port, 1, 63));
  r[f::kCtDstSportLtm] = std::min(ct_dst, sample_count(rng, p.ct_port, 1, 63));
  r[f::kCtDstSrcLtm] = sample_count(rng, p.ct_pair, 1, 63);
  r.attack_cat = std::string(p.attack_cat);
  r.label = p.attack_cat == "Normal" ? 0 : 1;
  return r;
}

}  // namespace

// --- FlowGenerator --------------------------------------------------------------------------

FlowGenerator::FlowGenerator(GeneratorOptions options) : options_(options), rng_(options.seed) {}

std::string FlowGenerator::source_name() const {
  return fmt::format("generator:{}", options_.seed);
}

bool FlowGenerator::in_burst(uint64_t seq) const {
  if (options_.scenario != Scenario::kAttack || options_.burst_every == 0) return false;
  // The first burst starts one period in, so a run opens with normal traffic.
  if (seq < options_.burst_every) return false;
  return seq % options_.burst_every < options_.burst_len;
}

FlowRecord FlowGenerator::finish(FlowRecord rec) {
  rec.key = flow::RecordKey{source_name(), 0, static_cast<int64_t>(seq_)};
  rec.id = static_cast<int64_t>(seq_) + 1;
  rec.stime = options_.start_time + static_cast<double>(seq_) * options_.time_step;
  ++seq_;
  return rec;
}

FlowRecord FlowGenerator::next_normal() {
  const bool drifted = options_.scenario == Scenario::kDrift && seq_ >= options_.drift_after;
  if (drifted) return finish(make_flow(rng_, pick(rng_, kDriftedMix)));
  return finish(make_flow(rng_, pick(rng_, kNormalMix)));
}

FlowRecord FlowGenerator::next_attack() {
  return finish(make_flow(rng_, pick(rng_, kAttackMix)));
}

FlowRecord FlowGenerator::next() {
  return in_burst(seq_) ? next_attack() : next_normal();
}

// --- GeneratorSource ------------------------------------------------------------------------

GeneratorSource::GeneratorSource(GeneratorSourceOptions options)
    : options_(options), gen_(options.generator), limiter_(options.eps) {}

Result<size_t> GeneratorSource::next_batch(std::vector<FlowRecord>& out, size_t max,
                                           std::chrono::milliseconds wait) {
  if (options_.count > 0) max = std::min<uint64_t>(max, options_.count - gen_.sequence());
  if (max == 0) return size_t{0};
  const size_t n = limiter_.acquire(max, wait);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (size_t i = 0; i < n; ++i) {
    out.push_back(gen_.next());
    if (options_.wall_clock) out.back().stime = now;
  }
  return n;
}

bool GeneratorSource::at_end() const {
  return options_.count > 0 && gen_.sequence() >= options_.count;
}

std::string GeneratorSource::describe() const {
  return fmt::format("{} ({}){}", gen_.source_name(), scenario_name(options_.generator.scenario),
                     options_.eps > 0 ? fmt::format(" at {} flows/s", options_.eps) : "");
}

}  // namespace flowsentry::stream
