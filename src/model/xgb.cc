#include "model/xgb.h"

#include <xgboost/c_api.h>

#include <fmt/format.h>

namespace flowsentry::model::xgb {
namespace {

Error last_error(const char* call) {
  return make_error(ErrorCode::kInternal, fmt::format("{} failed: {}", call, XGBGetLastError()),
                    "xgboost");
}

#define FS_XGB_CHECK(call)                     \
  do {                                         \
    if ((call) != 0) return last_error(#call); \
  } while (0)

}  // namespace

std::string version() {
  int major = 0, minor = 0, patch = 0;
  XGBoostVersion(&major, &minor, &patch);
  return fmt::format("{}.{}.{}", major, minor, patch);
}

DMatrix::~DMatrix() {
  if (h_) XGDMatrixFree(h_);
}

DMatrix& DMatrix::operator=(DMatrix&& o) noexcept {
  if (this != &o) {
    if (h_) XGDMatrixFree(h_);
    h_ = o.h_;
    o.h_ = nullptr;
  }
  return *this;
}

Result<DMatrix> DMatrix::dense(std::span<const float> data, size_t rows, size_t cols, int nthread) {
  DMatrix m;
  FS_XGB_CHECK(XGDMatrixCreateFromMat_omp(data.data(), rows, cols,
                                          std::numeric_limits<float>::quiet_NaN(), &m.h_, nthread));
  return m;
}

Status DMatrix::set_labels(std::span<const float> labels) {
  FS_XGB_CHECK(XGDMatrixSetFloatInfo(h_, "label", labels.data(), labels.size()));
  return {};
}

Status DMatrix::set_weights(std::span<const float> weights) {
  FS_XGB_CHECK(XGDMatrixSetFloatInfo(h_, "weight", weights.data(), weights.size()));
  return {};
}

Booster::~Booster() {
  if (h_) XGBoosterFree(h_);
}

Booster& Booster::operator=(Booster&& o) noexcept {
  if (this != &o) {
    if (h_) XGBoosterFree(h_);
    h_ = o.h_;
    o.h_ = nullptr;
  }
  return *this;
}

Result<Booster> Booster::create(std::span<const DMatrix* const> cache) {
  std::vector<DMatrixHandle> handles;
  for (const auto* m : cache) handles.push_back(m->handle());
  Booster b;
  FS_XGB_CHECK(XGBoosterCreate(handles.data(), handles.size(), &b.h_));
  return b;
}

Result<Booster> Booster::load_buffer(std::string_view bytes) {
  Booster b;
  FS_XGB_CHECK(XGBoosterCreate(nullptr, 0, &b.h_));
  FS_XGB_CHECK(XGBoosterLoadModelFromBuffer(b.h_, bytes.data(), bytes.size()));
  return b;
}

Status Booster::set_param(const std::string& name, const std::string& value) {
  FS_XGB_CHECK(XGBoosterSetParam(h_, name.c_str(), value.c_str()));
  return {};
}

Status Booster::update(int iteration, const DMatrix& train) {
  FS_XGB_CHECK(XGBoosterUpdateOneIter(h_, iteration, train.handle()));
  return {};
}

Result<std::string> Booster::eval(int iteration, const DMatrix& data, const char* name) {
  DMatrixHandle mats[] = {data.handle()};
  const char* names[] = {name};
  const char* out = nullptr;
  FS_XGB_CHECK(XGBoosterEvalOneIter(h_, iteration, mats, names, 1, &out));
  return std::string(out);
}

Result<Booster> Booster::slice(int end) const {
  Booster b;
  FS_XGB_CHECK(XGBoosterSlice(h_, 0, end, 1, &b.h_));
  return b;
}

Result<int> Booster::rounds() const {
  int n = 0;
  FS_XGB_CHECK(XGBoosterBoostedRounds(h_, &n));
  return n;
}

Result<size_t> Booster::num_features() const {
  bst_ulong n = 0;
  FS_XGB_CHECK(XGBoosterGetNumFeature(h_, &n));
  return static_cast<size_t>(n);
}

Result<std::string> Booster::save_buffer(const char* format) const {
  const std::string config = fmt::format(R"({{"format": "{}"}})", format);
  bst_ulong len = 0;
  const char* out = nullptr;
  FS_XGB_CHECK(XGBoosterSaveModelToBuffer(h_, config.c_str(), &len, &out));
  return std::string(out, len);
}

Status Booster::predict(const DMatrix& data, int type, std::vector<float>& out,
                        std::vector<uint64_t>* shape) const {
  const std::string config = fmt::format(
      R"({{"type": {}, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false}})",
      type);
  const bst_ulong* out_shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  FS_XGB_CHECK(
      XGBoosterPredictFromDMatrix(h_, data.handle(), config.c_str(), &out_shape, &dim, &result));
  size_t n = 1;
  if (shape) shape->clear();
  for (bst_ulong i = 0; i < dim; ++i) {
    n *= out_shape[i];
    if (shape) shape->push_back(out_shape[i]);
  }
  out.assign(result, result + n);
  return {};
}

Status Booster::predict_dense(const float* data, size_t rows, size_t cols, const float** out,
                              size_t* out_len) const {
  static constexpr const char* kConfig =
      R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false, "missing": NaN, "cache_id": 0})";
  // Formatted into a per-thread buffer: no allocation once it has grown.
  thread_local std::string iface;
  iface.clear();
  fmt::format_to(std::back_inserter(iface),
                 R"({{"data": [{}, true], "shape": [{}, {}], "typestr": "<f4", "version": 3}})",
                 reinterpret_cast<uintptr_t>(data), rows, cols);
  const bst_ulong* out_shape = nullptr;
  bst_ulong dim = 0;
  FS_XGB_CHECK(
      XGBoosterPredictFromDense(h_, iface.c_str(), kConfig, nullptr, &out_shape, &dim, out));
  size_t n = 1;
  for (bst_ulong i = 0; i < dim; ++i) n *= out_shape[i];
  *out_len = n;
  return {};
}

}  // namespace flowsentry::model::xgb
