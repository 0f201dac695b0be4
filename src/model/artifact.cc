#include "model/artifact.h"

#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace flowsentry::model {
namespace {

namespace stdfs = std::filesystem;
using nlohmann::json;

Status write_file(const stdfs::path& path, std::string_view bytes) {
  // Write then rename, so a reader never sees a half-written file.
  const stdfs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      return make_error(ErrorCode::kIo, "cannot write the file (disk full or no permission?)",
                        tmp.string());
    }
  }
  std::error_code ec;
  stdfs::rename(tmp, path, ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot rename into place: " + ec.message(), path);
  return {};
}

Error corrupt(const std::string& where, const std::string& what) {
  return make_error(ErrorCode::kCorrupt,
                    what + "; the artifact is damaged: re-create it with `flowsentry train`",
                    where);
}

template <class T>
Result<T> get(const json& j, const char* key, const std::string& where) {
  if (!j.contains(key)) return corrupt(where, fmt::format("field '{}' is missing", key));
  try {
    return j.at(key).get<T>();
  } catch (const json::exception& e) {
    return corrupt(where, fmt::format("field '{}' has the wrong type: {}", key, e.what()));
  }
}

Result<json> read_json(const stdfs::path& path) {
  auto bytes = read_file(path.string());
  if (!bytes) return bytes.error();
  json j = json::parse(*bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return corrupt(path, "not a JSON object");
  return j;
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned int i = 0; i < len; ++i) out += fmt::format("{:02x}", digest[i]);
  return out;
}

Result<std::string> read_file(const std::string& path) {
  std::error_code ec;
  if (!stdfs::exists(path, ec)) {
    return make_error(ErrorCode::kNotFound,
                      "file not found (train a model with `flowsentry train --out DIR` or pass "
                      "--model with an artifact directory)",
                      path);
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) return make_error(ErrorCode::kIo, "cannot read the file", path);
  return ss.str();
}

Result<std::string> sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, "cannot open the file", path);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(in.gcount()));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  std::string out;
  for (unsigned int i = 0; i < len; ++i) out += fmt::format("{:02x}", digest[i]);
  return out;
}

json Calibration::to_json() const {
  return {{"site", site},
          {"threshold", threshold},
          {"validation_threshold", validation_threshold},
          {"target_rate", target_rate},
          {"confidence", confidence},
          {"rate_bound", rate_bound},
          {"flows", flows},
          {"rate_before", rate_before},
          {"rate_after", rate_after},
          {"data", {{"name", data.name}, {"sha256", data.sha256}, {"rows", data.rows}}},
          {"normal_flows", normal_flows},
          {"normal_fpr_before", normal_fpr_before},
          {"normal_fpr_after", normal_fpr_after},
          {"attack_flows", attack_flows},
          {"attack_recall_before", attack_recall_before},
          {"attack_recall_after", attack_recall_after},
          {"created", created}};
}

Calibration Calibration::from_json(const json& j) {
  Calibration c;
  c.site = j.value("site", "");
  c.threshold = j.value("threshold", 0.5);
  c.validation_threshold = j.value("validation_threshold", 0.0);
  c.target_rate = j.value("target_rate", 0.0);
  c.confidence = j.value("confidence", 0.0);
  c.rate_bound = j.value("rate_bound", 0.0);
  c.flows = j.value("flows", int64_t{0});
  c.rate_before = j.value("rate_before", 0.0);
  c.rate_after = j.value("rate_after", 0.0);
  if (j.contains("data") && j["data"].is_object()) {
    const auto& d = j["data"];
    c.data = {d.value("name", ""), d.value("sha256", ""), d.value("rows", int64_t{0})};
  }
  c.normal_flows = j.value("normal_flows", int64_t{0});
  c.normal_fpr_before = j.value("normal_fpr_before", 0.0);
  c.normal_fpr_after = j.value("normal_fpr_after", 0.0);
  c.attack_flows = j.value("attack_flows", int64_t{0});
  c.attack_recall_before = j.value("attack_recall_before", 0.0);
  c.attack_recall_after = j.value("attack_recall_after", 0.0);
  c.created = j.value("created", "");
  return c;
}

json ModelMeta::to_json() const {
  json j;
  j["schema_version"] = schema_version;
  j["model_version"] = model_version;
  j["created"] = created;
  j["profile"] = features.profile().name;
  j["features"] = features.names();
  j["encoders"] = features.to_json();
  j["classes"] = classes;
  j["threshold"] = threshold;
  j["threshold_rule"] = threshold_rule;
  j["target_fpr"] = target_fpr;
  j["seed"] = seed;
  j["train_rows"] = train_rows;
  j["validation_rows"] = validation_rows;
  json files = json::array();
  for (const auto& d : data)
    files.push_back({{"name", d.name}, {"sha256", d.sha256}, {"rows", d.rows}});
  j["data"] = files;
  j["data_sha256"] = data_sha256;
  j["training"] = training;
  j["models"] = {{"binary", {{"file", kBinaryModelFile}, {"sha256", binary_sha256}}},
                 {"attack_cat", {{"file", kAttackCatModelFile}, {"sha256", attack_cat_sha256}}}};
  if (calibration) j["calibration"] = calibration->to_json();
  return j;
}

Result<ModelMeta> ModelMeta::from_json(const json& j) {
  const std::string w = "meta.json";
  ModelMeta m;
  auto version = get<int>(j, "schema_version", w);
  if (!version) return version.error();
  if (*version != kSchemaVersion) {
    return make_error(ErrorCode::kIncompatible,
                      fmt::format("schema version {} is not the {} this flowsentry reads; "
                                  "re-train the model with this version (`flowsentry train`)",
                                  *version, kSchemaVersion),
                      w);
  }
  // Artifacts from before profiles have none: they use every feature.
  std::string profile_name(flow::full_profile().name);
  if (j.contains("profile")) {
    auto p = get<std::string>(j, "profile", w);
    if (!p) return p.error();
    profile_name = std::move(*p);
  }
  const flow::Profile* profile = flow::profile_by_name(profile_name);
  if (!profile) {
    return make_error(ErrorCode::kIncompatible,
                      fmt::format("feature profile '{}' is not one this flowsentry knows ({}); "
                                  "re-train the model with this version",
                                  profile_name, flow::profile_names()),
                      w);
  }
  auto names = get<std::vector<std::string>>(j, "features", w);
  if (!names) return names.error();
  if (!j.contains("encoders")) return corrupt(w, "field 'encoders' is missing");
  auto fs = FeatureSpace::from_json(j["encoders"], *profile);
  if (!fs) return corrupt(w, fs.error().message);
  if (*names != fs->names()) {
    return make_error(ErrorCode::kIncompatible,
                      fmt::format("feature list differs from this flowsentry's layout for profile "
                                  "'{}'; re-train the model with this version",
                                  profile->name),
                      w);
  }
  m.features = std::move(*fs);
  auto classes = get<std::vector<std::string>>(j, "classes", w);
  auto threshold = get<double>(j, "threshold", w);
  auto rule = get<std::string>(j, "threshold_rule", w);
  auto mv = get<std::string>(j, "model_version", w);
  if (!classes) return classes.error();
  if (!threshold) return threshold.error();
  if (!rule) return rule.error();
  if (!mv) return mv.error();
  if (classes->empty()) return corrupt(w, "field 'classes' is empty");
  if (!(*threshold >= 0 && *threshold <= 1)) return corrupt(w, "threshold is not in [0, 1]");
  m.classes = std::move(*classes);
  m.threshold = *threshold;
  m.threshold_rule = std::move(*rule);
  m.model_version = std::move(*mv);
  m.created = j.value("created", "");
  m.target_fpr = j.value("target_fpr", 0.0);
  m.seed = j.value("seed", uint64_t{0});
  m.train_rows = j.value("train_rows", int64_t{0});
  m.validation_rows = j.value("validation_rows", int64_t{0});
  m.data_sha256 = j.value("data_sha256", "");
  if (j.contains("data") && j["data"].is_array()) {
    for (const auto& d : j["data"]) {
      m.data.push_back({d.value("name", ""), d.value("sha256", ""), d.value("rows", int64_t{0})});
    }
  }
  m.training = j.value("training", json::object());
  if (j.contains("calibration")) {
    if (!j["calibration"].is_object()) return corrupt(w, "field 'calibration' is not an object");
    try {
      m.calibration = Calibration::from_json(j["calibration"]);
    } catch (const json::exception& e) {
      return corrupt(w, std::string("field 'calibration': ") + e.what());
    }
    if (m.calibration->threshold != m.threshold) {
      return corrupt(w, "calibration.threshold differs from threshold");
    }
  }
  try {
    m.binary_sha256 = j.at("models").at("binary").at("sha256").get<std::string>();
    m.attack_cat_sha256 = j.at("models").at("attack_cat").at("sha256").get<std::string>();
  } catch (const json::exception&) {
    return corrupt(w, "field 'models' lacks the model files' sha256");
  }
  return m;
}

Status save_artifact(Artifact& a, const std::string& dir) {
  std::error_code ec;
  stdfs::create_directories(dir, ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot create the directory: " + ec.message(), dir);
  auto bin = a.binary.save_buffer("ubj");
  if (!bin) return bin.error();
  auto cat = a.attack_cat.save_buffer("ubj");
  if (!cat) return cat.error();
  a.meta.binary_sha256 = sha256_hex(*bin);
  a.meta.attack_cat_sha256 = sha256_hex(*cat);
  a.meta.model_version = "xgb-" + a.meta.binary_sha256.substr(0, 12);
  const stdfs::path d(dir);
  for (auto st : {write_file(d / kBinaryModelFile, *bin), write_file(d / kAttackCatModelFile, *cat),
                  write_file(d / "meta.json", a.meta.to_json().dump(2) + "\n"),
                  write_file(d / "reference.json", a.reference.dump(2) + "\n"),
                  write_file(d / "metrics.json", a.metrics.dump(2) + "\n"),
                  write_file(d / "model_card.md", render_model_card(a.meta, a.metrics))}) {
    if (!st) return st;
  }
  return {};
}

Result<std::unique_ptr<Artifact>> load_artifact(const std::string& dir) {
  const stdfs::path d(dir);
  std::error_code ec;
  if (!stdfs::is_directory(d, ec)) {
    return make_error(ErrorCode::kNotFound,
                      "model directory not found (train one with `flowsentry train --out DIR`, "
                      "or use models/default from the repository root)",
                      dir);
  }
  auto a = std::make_unique<Artifact>();
  auto meta_json = read_json(d / "meta.json");
  if (!meta_json) return meta_json.error();
  auto meta = ModelMeta::from_json(*meta_json);
  if (!meta) {
    Error e = meta.error();
    e.where = (d / e.where).string();
    return e;
  }
  a->meta = std::move(*meta);
  struct Part {
    const char* file;
    const std::string* sha;
    xgb::Booster* booster;
  };
  for (const Part& p : {Part{kBinaryModelFile, &a->meta.binary_sha256, &a->binary},
                        Part{kAttackCatModelFile, &a->meta.attack_cat_sha256, &a->attack_cat}}) {
    const auto path = (d / p.file).string();
    auto bytes = read_file(path);
    if (!bytes) return bytes.error();
    if (sha256_hex(*bytes) != *p.sha) {
      return corrupt(path, "sha256 does not match meta.json (truncated or modified file)");
    }
    auto b = xgb::Booster::load_buffer(*bytes);
    if (!b) return corrupt(path, "XGBoost cannot load it: " + b.error().message);
    *p.booster = std::move(*b);
  }
  auto ref = read_json(d / "reference.json");
  if (!ref) return ref.error();
  a->reference = std::move(*ref);
  auto metrics = read_json(d / "metrics.json");
  if (!metrics) return metrics.error();
  a->metrics = std::move(*metrics);
  return a;
}

Status save_meta(const std::string& dir, const ModelMeta& meta) {
  const stdfs::path d(dir);
  auto all = read_json(d / "metrics.json");
  if (!all) return all.error();
  if (auto st = write_file(d / "meta.json", meta.to_json().dump(2) + "\n"); !st) return st;
  return write_file(d / "model_card.md", render_model_card(meta, *all));
}

Status record_metrics(const std::string& dir, const std::string& key, const json& metrics) {
  const stdfs::path d(dir);
  auto meta_json = read_json(d / "meta.json");
  if (!meta_json) return meta_json.error();
  auto meta = ModelMeta::from_json(*meta_json);
  if (!meta) return meta.error();
  auto all = read_json(d / "metrics.json");
  if (!all) return all.error();
  (*all)[key] = metrics;
  std::string card;
  try {
    card = render_model_card(*meta, *all);
  } catch (const json::exception& e) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string("the report lacks a field the model card needs: ") + e.what(),
                      key);
  }
  if (auto st = write_file(d / "metrics.json", all->dump(2) + "\n"); !st) return st;
  return write_file(d / "model_card.md", card);
}

}  // namespace flowsentry::model
