#include "cli/service.h"

#include <charconv>

#include <fmt/format.h>

#include "collect/collector_source.h"
#include "common/log.h"
#include "detect/options.h"
#include "stream/file_source.h"
#include "stream/generator.h"
#include "stream/live_source.h"

namespace flowsentry::cli {

Service::~Service() {
  stop_api();
  if (reloader_) reloader_->stop();
  if (dispatcher_) dispatcher_->flush(std::chrono::seconds(2));
  detection_.reset();
  dispatcher_.reset();
  if (siem_) siem_->flush(std::chrono::seconds(2));
}

Status Service::load_model(const std::string& dir) {
  auto s = model::Scorer::load(dir);
  if (!s.ok()) return s.error();
  models_.set(std::shared_ptr<const model::Scorer>(std::move(s.value())));
  module_logger("model")->info("model {} loaded from {} (threshold {:.4f})",
                               models_.get()->model_version(), dir, models_.get()->threshold());
  return {};
}

Status Service::load_models() {
  reloader_ = std::make_unique<pipeline::ModelReloader>(pipeline::reload_options(config_), models_,
                                                        nullptr);
  return reloader_->load_initial();
}

void Service::start_reloading() {
  if (!reloader_) return;
  reloader_->set_store(store_.get());
  reloader_->start();
}

void Service::reload_model() {
  if (reloader_) reloader_->request();
}

Status Service::open_store(const std::string& url) {
  store::StoreOptions o;
  o.url = url;
  o.retention_days = static_cast<int>(config_.get_int("store.retention_days"));
  o.pool_max = static_cast<int>(config_.get_int("store.pool_max"));
  o.feature_sample = config_.get_double("store.feature_sample");
  o.keep_features = config_.get_bool("store.keep_features");
  auto s = store::open_store(o);
  if (!s.ok()) return s.error();
  maintenance_.reset();  // it holds the store being replaced
  store_ = std::move(s.value());
  // Retention and partitions ahead: now, then hourly, until the service goes.
  maintenance_ = std::make_unique<store::Maintenance>(*store_);
  maintenance_->start();
  return {};
}

Status Service::start_detection(bool bursts, bool drift, detect::BehaviourScope scope) {
  auto siem = siem::Outputs::from_config(config_);
  if (!siem.ok()) return siem.error();
  siem_ = std::move(siem.value());
  dispatcher_ = std::make_unique<detect::Dispatcher>(detect::dispatcher_options(config_),
                                                     detect::notifiers_from_config(config_, true));
  if (!siem_->empty()) {
    dispatcher_->log().on_alert([s = siem_.get()](const detect::AlertRecord& r) {
      if (r.disposition != "suppressed") s->alert(r.alert);
    });
  }
  auto options = pipeline::detection_options(config_);
  options.bursts = bursts;
  options.drift = drift;
  // Behaviour detectors need every flow: they run where drift does, and on an alerter only for
  // the target-keyed tables it is sent flow summaries for.
  options.behaviour.scope = scope;
  options.behaviour.enabled =
      options.behaviour.enabled && (drift || scope == detect::BehaviourScope::kTargetKeyed);
  const auto scorer = models_.get();
  options.model_calibrated = scorer && scorer->meta().calibration.has_value();
  detect::MixReference reference;
  if (scorer) reference = pipeline::mix_reference(scorer->artifact().reference);
  detection_ = std::make_unique<pipeline::DetectionStage>(options, std::move(reference),
                                                          *dispatcher_, store_.get());
  if (scorer) {
    detection_->know_categories(pipeline::mix_vocabulary(scorer->artifact().reference));
  }
  return {};
}

pipeline::Pipeline::Observer Service::siem_observer(bool normal_only) {
  if (!siem_ || siem_->empty()) return {};
  return [s = siem_.get(), normal_only](std::span<const model::ScoredFlow> batch) {
    s->observe(batch, normal_only);
  };
}

Status Service::start_api(int port, std::function<nlohmann::json()> pipeline_status) {
  api::ApiOptions o;
  o.host = config_.get_string("api.host");
  o.port = port;
  o.max_body_bytes = static_cast<size_t>(config_.get_int("api.max_body_mb")) << 20;
  o.threads = static_cast<int>(config_.get_int("api.threads"));
  o.query_threads = static_cast<int>(config_.get_int("api.query_threads"));
  o.token = config_.get_string("api.token");
  o.insecure_no_token = config_.get_bool("api.insecure_no_token");
  o.allowed_hosts = api::split_list(config_.get_string("api.allowed_hosts"));
  o.max_connections = static_cast<int>(config_.get_int("api.max_connections"));
  o.max_connections_per_client =
      static_cast<int>(config_.get_int("api.max_connections_per_client"));
  o.idle_timeout_s = static_cast<int>(config_.get_int("api.idle_timeout_s"));
  o.request_timeout_s = static_cast<int>(config_.get_int("api.request_timeout_s"));
  o.max_explain_flows = static_cast<size_t>(config_.get_int("api.max_explain_flows"));
  o.access_log = config_.get_bool("api.access_log");
  o.tls_cert = config_.get_string("api.tls_cert");
  o.tls_key = config_.get_string("api.tls_key");
  api::ApiContext ctx;
  ctx.models = &models_;
  ctx.store = store_.get();
  ctx.pipeline_status = std::move(pipeline_status);
  if (dispatcher_) {
    ctx.alert_test = [d = dispatcher_.get()] {
      detect::Alert a;
      a.type = "test";
      a.context = fmt::format("{:.3f}", wall_seconds());  // never cooled down
      a.severity = detect::Severity::kInfo;
      a.summary = "flowsentry test alert";
      a.time = wall_seconds();
      d->submit(a);
      d->flush(std::chrono::seconds(15));
      auto results = nlohmann::json::array();
      auto records = d->log().alerts();
      if (!records.empty()) {
        for (const auto& r : d->log().deliveries_for(records.back().id)) {
          results.push_back({{"notifier", r.notifier},
                             {"ok", r.ok},
                             {"detail", r.error.empty() ? r.status : r.status + ": " + r.error}});
        }
      }
      return nlohmann::json{{"results", results}};
    };
  }
  api_ = std::make_unique<api::ApiServer>(o, ctx);
  auto bound = api_->start();
  if (!bound.ok()) return bound.error();
  return {};
}

void Service::stop_api() {
  if (api_) api_->stop();
}

Result<std::unique_ptr<stream::Source>> open_source(const std::string& data, double eps, bool loop,
                                                    bool follow) {
  if (data.starts_with("generator")) {
    // generator[:SCENARIO[:SEED]]
    std::string rest = data.size() > 10 ? data.substr(10) : "attack";
    auto colon = rest.find(':');
    stream::GeneratorSourceOptions o;
    auto scenario = stream::parse_scenario(rest.substr(0, colon));
    if (!scenario.ok()) return scenario.error();
    o.generator.scenario = *scenario;
    if (colon != std::string::npos) {
      auto seed = rest.substr(colon + 1);
      auto [p, ec] = std::from_chars(seed.data(), seed.data() + seed.size(), o.generator.seed);
      if (ec != std::errc() || p != seed.data() + seed.size()) {
        return make_error(ErrorCode::kInvalidArgument, "seed '" + seed + "' is not a number", data);
      }
    }
    o.eps = eps;
    o.wall_clock = true;
    return std::unique_ptr<stream::Source>(new stream::GeneratorSource(o));
  }
  if (data.starts_with("iface:")) {
    // A live interface: flows as they close, never ending; eps and loop do not apply.
    auto live = stream::LiveCaptureSource::open(data.substr(6));
    if (!live.ok()) return live.error();
    return std::unique_ptr<stream::Source>(std::move(live.value()));
  }
  if (data.starts_with(collect::kIpfixScheme)) {
    // A UDP collector (IPFIX, NetFlow v5/v9): flows as exporters send them, never ending.
    auto collector = collect::CollectorSource::open(data);
    if (!collector.ok()) return collector.error();
    return std::unique_ptr<stream::Source>(std::move(collector.value()));
  }
  stream::FileSourceOptions o;
  o.eps = eps;
  o.loop = loop && !follow;
  o.follow = follow;
  auto f = stream::FileSource::open(data, o);
  if (!f.ok()) return f.error();
  return std::unique_ptr<stream::Source>(std::move(f.value()));
}

std::string progress_line(const pipeline::PipelineStats& s, double seconds) {
  return fmt::format("{} flows scored ({:.0f}/s), {} stored, {} anomalies, {} rejected", s.scored,
                     seconds > 0 ? static_cast<double>(s.scored) / seconds : 0.0, s.stored,
                     s.anomalies, s.rejected);
}

}  // namespace flowsentry::cli
