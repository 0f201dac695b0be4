// Thin RAII wrappers over the XGBoost C API handles. Every call's failure becomes an Error
// carrying XGBGetLastError(), so nothing above this file sees a raw return code.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"

namespace flowsentry::model::xgb {

// "1.7.4"
std::string version();

class DMatrix {
 public:
  DMatrix() = default;
  ~DMatrix();
  DMatrix(DMatrix&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
  DMatrix& operator=(DMatrix&& o) noexcept;
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;

  // Row-major rows x cols floats (copied by XGBoost). NaN means missing.
  static Result<DMatrix> dense(std::span<const float> data, size_t rows, size_t cols, int nthread);
  Status set_labels(std::span<const float> labels);
  Status set_weights(std::span<const float> weights);
  void* handle() const { return h_; }

 private:
  void* h_ = nullptr;
};

class Booster {
 public:
  Booster() = default;
  ~Booster();
  Booster(Booster&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
  Booster& operator=(Booster&& o) noexcept;
  Booster(const Booster&) = delete;
  Booster& operator=(const Booster&) = delete;

  static Result<Booster> create(std::span<const DMatrix* const> cache);
  // Loads a model file or buffer (JSON or UBJ, detected by XGBoost).
  static Result<Booster> load_buffer(std::string_view bytes);

  Status set_param(const std::string& name, const std::string& value);
  Status update(int iteration, const DMatrix& train);
  // The booster's evaluation line, e.g. "[3]\tvalid-logloss:0.1".
  Result<std::string> eval(int iteration, const DMatrix& data, const char* name);
  // Layers [0, end).
  Result<Booster> slice(int end) const;
  Result<int> rounds() const;
  // Columns the booster was trained on.
  Result<size_t> num_features() const;
  // format: "json" or "ubj".
  Result<std::string> save_buffer(const char* format) const;

  // Prediction over a DMatrix; type 0 = value, 2 = SHAP contributions. Copies the output.
  Status predict(const DMatrix& data, int type, std::vector<float>& out,
                 std::vector<uint64_t>* shape = nullptr) const;
  // In-place prediction over row-major floats. `out` points into XGBoost's per-thread buffer and
  // stays valid until this thread's next prediction with this booster. Thread-safe.
  Status predict_dense(const float* data, size_t rows, size_t cols, const float** out,
                       size_t* out_len) const;
  void* handle() const { return h_; }

 private:
  void* h_ = nullptr;
};

}  // namespace flowsentry::model::xgb
