#include "model/registry.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "model/artifact.h"

namespace flowsentry::model {
namespace stdfs = std::filesystem;
namespace {

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

nlohmann::json entry_json(const RegistryEntry& e) {
  return {{"version", e.version},
          {"parent", e.parent},
          {"profile", e.profile},
          {"data_sha256", e.data_sha256},
          {"created", e.created},
          {"registered", e.registered},
          {"registered_by", e.registered_by},
          {"source", e.source},
          {"metrics", e.metrics}};
}

RegistryEntry entry_from(const nlohmann::json& j) {
  RegistryEntry e;
  e.version = str(j, "version");
  e.parent = str(j, "parent");
  e.profile = str(j, "profile");
  e.data_sha256 = str(j, "data_sha256");
  e.created = str(j, "created");
  e.registered = str(j, "registered");
  e.registered_by = str(j, "registered_by");
  e.source = str(j, "source");
  if (j.contains("metrics") && j["metrics"].is_object()) e.metrics = j["metrics"];
  return e;
}

nlohmann::json activation_json(const Activation& a) {
  return {{"from", a.from}, {"to", a.to}, {"at", a.at}, {"by", a.by}, {"how", a.how}};
}

// metrics.json without the curve points (they belong to the artifact, not to a listing).
nlohmann::json metrics_summary(const nlohmann::json& metrics) {
  nlohmann::json out = nlohmann::json::object();
  if (!metrics.is_object()) return out;
  for (const auto& [split, m] : metrics.items()) {
    if (!m.is_object()) continue;
    auto copy = m;
    copy.erase("curves");
    copy.erase("confusion");
    out[split] = std::move(copy);
  }
  return out;
}

// An exclusive flock on DIR/.lock for the lifetime of the object.
class FileLock {
 public:
  explicit FileLock(const std::string& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT, 0644)) {
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) close();
  }
  ~FileLock() { close(); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool ok() const { return fd_ >= 0; }

 private:
  void close() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
    fd_ = -1;
  }
  int fd_;
};

Status copy_artifact(const stdfs::path& from, const stdfs::path& to) {
  std::error_code ec;
  stdfs::remove_all(to, ec);
  stdfs::create_directories(to, ec);
  if (ec) return make_error(ErrorCode::kIo, ec.message(), to.string());
  for (const auto& f : stdfs::directory_iterator(from, ec)) {
    if (!f.is_regular_file()) continue;
    stdfs::copy_file(f.path(), to / f.path().filename(), ec);
    if (ec) return make_error(ErrorCode::kIo, ec.message(), f.path().string());
  }
  if (ec) return make_error(ErrorCode::kIo, ec.message(), from.string());
  return {};
}

}  // namespace

const RegistryEntry* RegistryIndex::find(const std::string& version) const {
  for (const auto& e : versions) {
    if (e.version == version) return &e;
  }
  return nullptr;
}

nlohmann::json RegistryIndex::to_json() const {
  auto versions_json = nlohmann::json::array();
  for (const auto& e : versions) versions_json.push_back(entry_json(e));
  auto history_json = nlohmann::json::array();
  for (const auto& a : history) history_json.push_back(activation_json(a));
  return {{"schema", schema}, {"active", active()},        {"stack", stack},
          {"shadow", shadow}, {"versions", versions_json}, {"history", history_json}};
}

Result<RegistryIndex> RegistryIndex::from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("schema") || !j["schema"].is_number_integer()) {
    return make_error(ErrorCode::kCorrupt, "not a registry index (no schema)");
  }
  RegistryIndex index;
  index.schema = j["schema"].get<int>();
  if (index.schema != kRegistrySchema) {
    return make_error(
        ErrorCode::kIncompatible,
        fmt::format("registry schema {} (this build reads {})", index.schema, kRegistrySchema));
  }
  auto array = [&](const char* key) {
    return j.contains(key) && j[key].is_array() ? j[key] : nlohmann::json::array();
  };
  for (const auto& e : array("versions")) {
    if (!e.is_object() || str(e, "version").empty()) {
      return make_error(ErrorCode::kCorrupt, "a version without a name", "versions");
    }
    index.versions.push_back(entry_from(e));
  }
  for (const auto& v : array("stack")) {
    if (!v.is_string() || !index.find(v.get<std::string>())) {
      return make_error(ErrorCode::kCorrupt, "the activation stack names an unknown version",
                        "stack");
    }
    index.stack.push_back(v.get<std::string>());
  }
  index.shadow = str(j, "shadow");
  for (const auto& a : array("history")) {
    if (!a.is_object()) continue;
    index.history.push_back(
        {str(a, "from"), str(a, "to"), str(a, "at"), str(a, "by"), str(a, "how")});
  }
  return index;
}

std::string Registry::index_path() const {
  return (stdfs::path(dir_) / "index.json").string();
}

std::string Registry::version_dir(const std::string& version) const {
  return (stdfs::path(dir_) / "versions" / version).string();
}

Result<RegistryIndex> Registry::read() const {
  std::error_code ec;
  if (!stdfs::exists(index_path(), ec)) return RegistryIndex{};
  auto bytes = read_file(index_path());
  if (!bytes) return bytes.error();
  auto j = nlohmann::json::parse(*bytes, nullptr, false);
  if (j.is_discarded()) {
    return make_error(ErrorCode::kCorrupt,
                      "registry index is not valid JSON; restore it from a backup, or move it "
                      "away and register the artifacts under versions/ again",
                      index_path());
  }
  auto index = RegistryIndex::from_json(j);
  if (!index) {
    Error e = index.error();
    e.message = "registry index: " + e.message;
    e.where = index_path() + (e.where.empty() ? "" : ": " + e.where);
    return e;
  }
  return index;
}

Status Registry::write(const RegistryIndex& index) const {
  const auto tmp = index_path() + fmt::format(".tmp.{}", ::getpid());
  const auto text = index.to_json().dump(2) + "\n";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return make_error(ErrorCode::kIo, "cannot write the registry index", tmp);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), index_path().c_str()) != 0) {
    std::remove(tmp.c_str());
    return make_error(ErrorCode::kIo, "cannot replace the registry index", index_path());
  }
  return {};
}

Status Registry::update(const std::function<Status(RegistryIndex&)>& change) {
  std::error_code ec;
  stdfs::create_directories(dir_, ec);
  if (ec) return make_error(ErrorCode::kIo, ec.message(), dir_);
  FileLock lock((stdfs::path(dir_) / ".lock").string());
  if (!lock.ok()) return make_error(ErrorCode::kIo, "cannot lock the registry", dir_);
  auto index = read();
  if (!index) return index.error();
  if (auto st = change(*index); !st) return st;
  return write(*index);
}

Result<std::string> Registry::resolve(const RegistryIndex& index,
                                      const std::string& version) const {
  if (index.find(version)) return version;
  std::string found;
  for (const auto& e : index.versions) {
    if (version.empty() || !e.version.starts_with(version)) continue;
    if (!found.empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("'{}' names more than one version", version));
    }
    found = e.version;
  }
  if (found.empty()) {
    return make_error(
        ErrorCode::kNotFound,
        fmt::format("no version '{}' in the registry (see `flowsentry models list`)", version),
        dir_);
  }
  return found;
}

Result<RegistryEntry> Registry::add(const std::string& artifact_dir, const std::string& parent,
                                    const std::string& by) {
  auto artifact = load_artifact(artifact_dir);  // refuse what workers could not load
  if (!artifact) return artifact.error();
  const auto& meta = (*artifact)->meta;
  RegistryEntry e;
  e.version = meta.model_version;
  e.profile = std::string(meta.features.profile().name);
  e.data_sha256 = meta.data_sha256;
  e.created = meta.created;
  e.registered = utc_now();
  e.registered_by = by;
  e.source = stdfs::absolute(artifact_dir).lexically_normal().string();
  e.metrics = metrics_summary((*artifact)->metrics);
  auto st = update([&](RegistryIndex& index) -> Status {
    if (index.find(e.version)) {
      return make_error(ErrorCode::kConflict,
                        fmt::format("version {} is already registered", e.version), dir_);
    }
    if (parent.empty()) {
      e.parent = index.active();
    } else {
      auto p = resolve(index, parent);
      if (!p) return p.error();
      e.parent = *p;
    }
    if (auto c = copy_artifact(artifact_dir, version_dir(e.version)); !c) return c;
    index.versions.push_back(e);
    return {};
  });
  if (!st) return st.error();
  return e;
}

Result<Activation> Registry::promote(const std::string& version, const std::string& by) {
  Activation a;
  auto st = update([&](RegistryIndex& index) -> Status {
    auto v = resolve(index, version);
    if (!v) return v.error();
    if (auto loaded = load_artifact(version_dir(*v)); !loaded) return loaded.error();
    a = {index.active(), *v, utc_now(), by, "promote"};
    if (a.from == a.to) return make_error(ErrorCode::kConflict, *v + " is already active");
    index.stack.push_back(*v);
    if (index.shadow == *v) index.shadow.clear();  // the candidate is now the model
    index.history.push_back(a);
    return {};
  });
  if (!st) return st.error();
  return a;
}

Result<Activation> Registry::rollback(const std::string& by) {
  Activation a;
  auto st = update([&](RegistryIndex& index) -> Status {
    if (index.stack.size() < 2) {
      return make_error(ErrorCode::kNotFound, "no previously active version to roll back to", dir_);
    }
    a.from = index.stack.back();
    index.stack.pop_back();
    a = {a.from, index.stack.back(), utc_now(), by, "rollback"};
    index.history.push_back(a);
    return {};
  });
  if (!st) return st.error();
  return a;
}

Result<Activation> Registry::set_shadow(const std::string& version, const std::string& by) {
  Activation a;
  auto st = update([&](RegistryIndex& index) -> Status {
    std::string v;
    if (!version.empty()) {
      auto r = resolve(index, version);
      if (!r) return r.error();
      v = *r;
    }
    a = {index.shadow, v, utc_now(), by, "shadow"};
    index.shadow = v;
    index.history.push_back(a);
    return {};
  });
  if (!st) return st.error();
  return a;
}

std::string current_user() {
  if (const char* u = std::getenv("USER"); u && *u) return u;
  return fmt::format("uid {}", ::getuid());
}

}  // namespace flowsentry::model
