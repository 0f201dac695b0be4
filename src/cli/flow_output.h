// Where capture's and collect's flows go: a file (CSV with a header, or JSON lines) or a Kafka
// topic (one message per flow, keyed by source address, encoded as `produce` does).
#pragma once

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "flow/csv.h"
#include "flow/json_codec.h"
#include "stream/kafka_producer.h"
#include "stream/message.h"

namespace flowsentry::cli {

struct FlowOutputOptions {
  std::string out = "-";  // file, - for stdout
  std::string format = "csv";
  std::string brokers;  // with topic: Kafka instead of `out`
  std::string topic;
  std::string client_id;
  stream::KafkaProperties kafka_properties;  // TLS, SASL, passthrough (client_properties)
};

// With Kafka brokers, fills `out.kafka_properties` (TLS, SASL, passthrough) from the settings
// file and KEY=VALUE overrides. False after printing the error as `command`: a usage error.
bool add_kafka_settings(FlowOutputOptions& out, const std::string& config_file,
                        const std::vector<std::string>& set, const char* command);

class FlowOutput {
 public:
  static Result<std::unique_ptr<FlowOutput>> open(const FlowOutputOptions& o) {
    std::unique_ptr<FlowOutput> out(new FlowOutput);
    out->csv_ = o.format == "csv";
    if (!o.brokers.empty()) {
      auto format = stream::parse_message_format(o.format);
      if (!format.ok()) return format.error();
      out->format_ = *format;
      out->topic_ = o.topic;
      stream::ProducerConfig pc;
      pc.brokers = o.brokers;
      pc.client_id = o.client_id;
      pc.extra = o.kafka_properties;
      auto producer = stream::KafkaProducer::create(pc);
      if (!producer.ok()) return producer.error();
      out->producer_ = std::move(*producer);
      return out;
    }
    out->to_stdout_ = o.out == "-";
    out->file_ = out->to_stdout_ ? stdout : std::fopen(o.out.c_str(), "wb");
    if (!out->file_) {
      return make_error(ErrorCode::kIo, "cannot open the output file for writing", o.out);
    }
    if (out->csv_) out->write_text(flow::identity_csv_header() + "\n");
    return out;
  }
  ~FlowOutput() {
    if (file_ && !to_stdout_) std::fclose(file_);
  }

  Status write(const std::vector<flow::FlowRecord>& recs) {
    if (producer_) return send(recs);
    buf_.clear();
    for (const auto& r : recs) {
      if (csv_) {
        flow::append_identity_csv(r, buf_);
      } else {
        flow::append_json(r, buf_);
        buf_ += '\n';
      }
    }
    write_text(buf_);
    std::fflush(file_);
    return ok_ ? Status{} : make_error(ErrorCode::kIo, "write failed (disk full?)", "output");
  }

  // Waits for Kafka's delivery reports, or closes the file.
  Status finish() {
    if (producer_) return producer_->flush(std::chrono::seconds(60));
    if (!to_stdout_ && std::fclose(file_) != 0) ok_ = false;
    file_ = nullptr;
    return ok_ ? Status{} : make_error(ErrorCode::kIo, "write failed (disk full?)", "output");
  }

 private:
  FlowOutput() = default;
  Status send(const std::vector<flow::FlowRecord>& recs) {
    for (const auto& r : recs) {
      buf_.clear();
      stream::append_message(r, format_, buf_);
      if (auto st = producer_->produce(topic_, stream::message_key(r), buf_); !st.ok()) return st;
    }
    producer_->poll(std::chrono::milliseconds(0));
    return {};
  }
  void write_text(const std::string& text) {
    if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) ok_ = false;
  }

  bool csv_ = true;
  bool to_stdout_ = false;
  bool ok_ = true;
  FILE* file_ = nullptr;
  std::unique_ptr<stream::KafkaProducer> producer_;
  stream::MessageFormat format_ = stream::MessageFormat::kJson;
  std::string topic_;
  std::string buf_;
};

}  // namespace flowsentry::cli
