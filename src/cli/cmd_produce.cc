// flowsentry produce: sends flows to a Kafka topic at a steady rate, from a file or the built-in
// generator, with delivery reports checked and each message stamped with its send time.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <deque>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "stream/file_source.h"
#include "stream/generator.h"
#include "stream/kafka_producer.h"
#include "stream/message.h"
#include "stream/rate_limiter.h"

namespace flowsentry::cli {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Burst {
  uint64_t flows = 0;
  double at_seconds = 0;
};

struct ProduceOpts {
  std::string config;
  std::vector<std::string> set;
  std::string brokers;
  std::string topic;
  std::string data;
  std::string format;
  double eps = 0;
  bool loop = false;
  uint64_t count = 0;
  std::vector<std::string> bursts;
  bool shuffle = false;
  double malformed_rate = 0;
  uint64_t seed = 1;
  bool quiet = false;
};

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) {
  g_stop = true;
}

Result<Burst> parse_burst(const std::string& text) {
  auto at = text.find('@');
  Burst b;
  auto bad = [&] {
    return make_error(ErrorCode::kInvalidArgument,
                      "expected N@T: N attack flows injected T seconds after the start",
                      "--inject-burst " + text);
  };
  if (at == std::string::npos) return bad();
  auto [p1, e1] = std::from_chars(text.data(), text.data() + at, b.flows);
  auto [p2, e2] = std::from_chars(text.data() + at + 1, text.data() + text.size(), b.at_seconds);
  if (e1 != std::errc() || p1 != text.data() + at || e2 != std::errc() ||
      p2 != text.data() + text.size() || b.at_seconds < 0 || b.flows == 0) {
    return bad();
  }
  return b;
}

// Where the flows come from: a file (optionally shuffled, looped) or the generator.
class FlowFeed {
 public:
  static Result<std::unique_ptr<FlowFeed>> open(const ProduceOpts& o) {
    std::unique_ptr<FlowFeed> f(new FlowFeed());
    if (o.data.starts_with("generator:")) {
      auto scenario = stream::parse_scenario(o.data.substr(10));
      if (!scenario.ok()) return scenario.error();
      stream::GeneratorSourceOptions g;
      g.generator.seed = o.seed;
      g.generator.scenario = *scenario;
      g.wall_clock = true;  // live traffic: event time is now
      f->source_ = std::make_unique<stream::GeneratorSource>(g);
      return f;
    }
    stream::FileSourceOptions fo;
    fo.loop = o.loop && !o.shuffle;  // a shuffled file is held in memory and looped there
    auto src = stream::FileSource::open(o.data, fo);
    if (!src.ok()) return src.error();
    f->source_ = std::move(src.value());
    if (o.shuffle) {
      while (!f->source_->at_end()) {
        auto n = f->source_->next_batch(f->all_, 65536, 0ms);
        if (!n.ok()) return n.error();
      }
      if (f->all_.empty()) {
        return make_error(ErrorCode::kInvalidArgument, "no valid flow in the file", o.data);
      }
      stream::Rng rng(o.seed);
      for (size_t i = f->all_.size() - 1; i > 0; --i) {
        std::swap(f->all_[i], f->all_[rng.below(i + 1)]);
      }
      f->shuffled_ = true;
      f->loop_ = o.loop;
    }
    return f;
  }

  // Next flow, or nullptr at the end.
  const flow::FlowRecord* next() {
    if (shuffled_) {
      if (pos_ == all_.size()) {
        if (!loop_) return nullptr;
        pos_ = 0;
      }
      return &all_[pos_++];
    }
    if (buf_pos_ == buf_.size()) {
      buf_.clear();
      buf_pos_ = 0;
      while (buf_.empty() && !source_->at_end()) {
        auto n = source_->next_batch(buf_, 4096, 0ms);
        if (!n.ok()) {
          error_ = n.error();
          return nullptr;
        }
      }
      if (buf_.empty()) return nullptr;
    }
    return &buf_[buf_pos_++];
  }

  uint64_t rejected() {
    std::vector<stream::Rejected> r;
    source_->take_rejected(r);
    rejected_ += r.size();
    return rejected_;
  }
  const std::optional<Error>& error() const { return error_; }

 private:
  std::unique_ptr<stream::Source> source_;
  std::vector<flow::FlowRecord> all_;
  std::vector<flow::FlowRecord> buf_;
  size_t buf_pos_ = 0;
  size_t pos_ = 0;
  bool shuffled_ = false;
  bool loop_ = false;
  uint64_t rejected_ = 0;
  std::optional<Error> error_;
};

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int run_produce(ProduceOpts o) {
  auto config = load_config(o.config, o.set);
  if (!config) return kExitUsage;
  if (o.brokers.empty()) o.brokers = config->get_string("kafka.brokers");
  if (o.topic.empty()) o.topic = config->get_string("kafka.topic");
  if (o.format.empty()) o.format = config->get_string("kafka.format");
  auto format = stream::parse_message_format(o.format);
  if (!format.ok()) {
    std::cerr << "flowsentry produce: " << format.error().to_string() << "\n";
    return kExitUsage;
  }
  std::deque<Burst> bursts;
  for (const auto& b : o.bursts) {
    auto parsed = parse_burst(b);
    if (!parsed.ok()) {
      std::cerr << "flowsentry produce: " << parsed.error().to_string() << "\n";
      return kExitUsage;
    }
    bursts.push_back(*parsed);
  }
  std::sort(bursts.begin(), bursts.end(),
            [](const Burst& a, const Burst& b) { return a.at_seconds < b.at_seconds; });

  auto feed = FlowFeed::open(o);
  if (!feed.ok()) {
    std::cerr << "flowsentry produce: " << feed.error().to_string() << "\n";
    return kExitRuntime;
  }
  stream::ProducerConfig pc;
  pc.brokers = o.brokers;
  pc.client_id = "flowsentry-produce";
  auto props = stream::client_properties(*config);
  if (!props.ok()) {
    std::cerr << "flowsentry produce: " << props.error().to_string() << "\n";
    return kExitUsage;
  }
  pc.extra = std::move(*props);
  auto producer = stream::KafkaProducer::create(pc);
  if (!producer.ok()) {
    std::cerr << "flowsentry produce: " << producer.error().to_string() << "\n";
    return kExitRuntime;
  }
  auto& p = **producer;

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  // Attack flows for injected bursts come from a generator with their own seed.
  stream::GeneratorOptions attack_opts;
  attack_opts.seed = o.seed ^ 0xb0257ULL;
  stream::FlowGenerator attacks(attack_opts);
  stream::Rng rng(o.seed);
  stream::RateLimiter limiter(o.eps);
  const auto start = Clock::now();
  auto next_report = start + 1s;
  uint64_t sent = 0, malformed = 0, injected = 0, pending_attacks = 0, errors = 0;
  uint64_t sent_at_report = 0;
  auto last_report = start;
  std::string value;
  const std::string sent_header(stream::kSentMsHeader);
  const bool progress = !o.quiet;
  const bool tty = isatty(STDERR_FILENO) != 0;
  bool exhausted = false;

  auto report = [&](bool final_line) {
    auto now = Clock::now();
    double dt = std::chrono::duration<double>(now - last_report).count();
    double rate = dt > 0 ? static_cast<double>(sent - sent_at_report) / dt : 0;
    if (final_line) {
      double total = std::chrono::duration<double>(now - start).count();
      rate = total > 0 ? static_cast<double>(sent) / total : 0;
    }
    // On a terminal the progress line rewrites itself; in a log it is one line per second.
    const bool rewrite = tty && !final_line;
    std::cerr << fmt::format(
        "{}sent {} ({:.0f}/s) delivered {} errors {} malformed {} injected {} rejected-rows {}{}",
        rewrite ? "\r" : "", sent, rate, p.delivered(), p.failed() + errors, malformed, injected,
        (*feed)->rejected(), rewrite ? "   " : "\n");
    sent_at_report = sent;
    last_report = now;
  };

  while (!g_stop && (o.count == 0 || sent < o.count) && !exhausted) {
    const auto now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - start).count();
    while (!bursts.empty() && bursts.front().at_seconds <= elapsed) {
      pending_attacks += bursts.front().flows;
      bursts.pop_front();
    }
    if (progress && now >= next_report) {
      report(false);
      next_report += 1s;
    }
    size_t allowed = limiter.acquire(1024, 100ms);
    if (o.count > 0) allowed = std::min<uint64_t>(allowed, o.count - sent);
    for (size_t i = 0; i < allowed; ++i) {
      flow::FlowRecord attack;
      const flow::FlowRecord* rec = nullptr;
      if (pending_attacks > 0) {
        attack = attacks.next_attack();
        attack.stime = static_cast<double>(now_ms()) / 1000.0;
        rec = &attack;
        --pending_attacks;
        ++injected;
      } else {
        rec = (*feed)->next();
        if (!rec) {
          exhausted = true;
          break;
        }
      }
      value.clear();
      if (o.malformed_rate > 0 && rng.uniform() < o.malformed_rate) {
        value = stream::make_malformed(*rec, *format, rng.next());
        ++malformed;
      } else {
        stream::append_message(*rec, *format, value);
      }
      stream::Headers headers{{sent_header, std::to_string(now_ms())}};
      if (auto st = p.produce(o.topic, stream::message_key(*rec), value, headers); !st.ok()) {
        ++errors;
        std::cerr << "\nflowsentry produce: " << st.error().to_string() << "\n";
        g_stop = true;
        break;
      }
      ++sent;
      // The first delivery waits for the connection (and an idempotent producer's id); wait
      // for it once so that setup is not counted in the following messages' send times.
      if (sent == 1) (void)p.flush(30s);
    }
    p.poll(0ms);
  }
  if ((*feed)->error()) {
    std::cerr << "\nflowsentry produce: " << (*feed)->error()->to_string() << "\n";
    ++errors;
  }
  auto flushed = p.flush(60s);
  if (progress && tty) std::cerr << "\n";
  report(true);
  if (!flushed.ok()) {
    std::cerr << "flowsentry produce: " << flushed.error().to_string() << "\n";
    return kExitRuntime;
  }
  return errors > 0 ? kExitRuntime : kExitOk;
}

}  // namespace

Command add_produce_command(CLI::App& root) {
  auto* app = root.add_subcommand("produce", "Send flows to a Kafka topic at a steady rate");
  auto opts = std::make_shared<ProduceOpts>();
  app->add_option("--config", opts->config, "TOML settings file (for kafka.* defaults)");
  app->add_option("--set", opts->set,
                  "Override a setting, KEY=VALUE (repeatable): kafka.security_protocol, "
                  "kafka.sasl_*, kafka.ssl_*, kafka.properties.KEY");
  app->add_option("--brokers", opts->brokers, "Kafka bootstrap servers (default kafka.brokers)");
  app->add_option("--topic", opts->topic, "Topic (default kafka.topic)");
  app->add_option("--data", opts->data,
                  "Flow file (CSV, JSON lines, pcap/pcapng), or generator:normal|attack|drift")
      ->required();
  app->add_option("--eps", opts->eps, "Messages per second (0 = as fast as possible)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app->add_flag("--loop", opts->loop, "Start the file again at its end");
  app->add_option("--count", opts->count, "Stop after this many messages (0 = no limit)")
      ->capture_default_str();
  app->add_option("--format", opts->format, "Message encoding (default kafka.format)")
      ->check(CLI::IsMember({"json", "csv"}));
  app->add_option("--inject-burst", opts->bursts,
                  "N@T: inject N attack flows T seconds after the start (repeatable)");
  app->add_flag("--shuffle", opts->shuffle, "Shuffle the file's flows (reads it into memory)");
  app->add_option("--malformed-rate", opts->malformed_rate,
                  "Fraction of messages sent deliberately malformed (dead-letter tests)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--seed", opts->seed, "Seed for the generator, shuffling and malformed picks")
      ->capture_default_str();
  app->add_flag("--quiet", opts->quiet, "Only the final summary line on stderr");
  app->footer(
      "Each message carries its send time in the flowsentry-sent-ms header (milliseconds since\n"
      "the epoch) for end-to-end latency. A progress line (sent, rate, delivered, errors) is\n"
      "printed on stderr once per second. Exits 1 if any message was not delivered.\n"
      "Example: flowsentry produce --brokers $(scripts/kafka brokers) --topic flows \\\n"
      "           --data generator:normal --eps 10000 --count 100000 --inject-burst 200@5");
  return {app, [opts] { return run_produce(*opts); }};
}

}  // namespace flowsentry::cli
