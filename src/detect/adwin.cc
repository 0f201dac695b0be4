#include "detect/adwin.h"

#include <cmath>
#include <string>

namespace flowsentry::detect {

Status AdwinOptions::validate() const {
  auto bad = [](std::string what) {
    return make_error(ErrorCode::kInvalidArgument, std::move(what), "detect.adwin");
  };
  if (!(delta > 0 && delta < 1)) return bad("delta must be in (0, 1)");
  if (clock < 1) return bad("clock must be >= 1");
  if (max_buckets < 2) return bad("max_buckets must be >= 2");
  if (min_subwindow < 1) return bad("min_subwindow must be >= 1");
  if (min_window < 0) return bad("min_window must be >= 0");
  return {};
}

Adwin::Adwin(AdwinOptions options)
    : opt_(options), stride_(static_cast<size_t>(options.max_buckets) + 1) {
  reset();
}

void Adwin::reset() {
  totals_.clear();
  vars_.clear();
  counts_.clear();
  add_row();
  total_ = m2_ = width_ = 0;
  tick_ = 0;
  pending_reset_ = false;
}

void Adwin::add_row() {
  totals_.resize(totals_.size() + stride_, 0.0);
  vars_.resize(vars_.size() + stride_, 0.0);
  counts_.push_back(0);
}

void Adwin::push(size_t row, double total, double var) {
  int& n = counts_[row];
  totals(row)[n] = total;
  vars(row)[n] = var;
  ++n;
}

void Adwin::drop_front(size_t row, int n) {
  double* t = totals(row);
  double* v = vars(row);
  const int len = static_cast<int>(stride_);
  for (int i = n; i < len; ++i) {
    t[i - n] = t[i];
    v[i - n] = v[i];
  }
  for (int i = len - n; i < len; ++i) t[i] = v[i] = 0.0;
  counts_[row] -= n;
}

size_t Adwin::bucket_count() const {
  size_t n = 0;
  for (int c : counts_) n += static_cast<size_t>(c);
  return n;
}

size_t Adwin::memory_bytes() const {
  return sizeof(*this) + (totals_.capacity() + vars_.capacity()) * sizeof(double) +
         counts_.capacity() * sizeof(int);
}

bool Adwin::update(double value) {
  if (pending_reset_) reset();
  insert(value);
  const double width_before = width_;
  const double total_before = total_;
  const bool changed = detect();
  if (changed) {
    AdwinChange c;
    c.index = inputs_;
    c.width_before = static_cast<uint64_t>(width_before);
    c.width_after = static_cast<uint64_t>(width_);
    const double dropped = width_before - width_;
    c.mean_before = dropped > 0 ? (total_before - total_) / dropped : 0.0;
    c.mean_after = mean();
    last_change_ = c;
    ++detections_;
    pending_reset_ = opt_.reset_on_change;
  }
  ++inputs_;
  return changed;
}

// The arithmetic below keeps River's operation order so results agree to the last bit.
void Adwin::insert(double value) {
  push(0, value, 0.0);
  width_ += 1;
  double inc = 0.0;
  if (width_ > 1.0) {
    inc = (width_ - 1.0) * (value - total_ / (width_ - 1.0)) * (value - total_ / (width_ - 1.0)) /
          width_;
  }
  m2_ += inc;
  total_ += value;
  compress();
}

void Adwin::compress() {
  for (size_t row = 0; row < counts_.size(); ++row) {
    if (counts_[row] != opt_.max_buckets + 1) break;
    if (row + 1 == counts_.size()) add_row();
    const double* t = totals(row);
    const double* v = vars(row);
    const double n1 = std::ldexp(1.0, static_cast<int>(row));
    const double mu1 = t[0] / n1;
    const double mu2 = t[1] / n1;
    const double total12 = t[0] + t[1];
    const double temp = n1 * 0.5 * (mu1 - mu2) * (mu1 - mu2);
    const double v12 = v[0] + v[1] + temp;
    push(row + 1, total12, v12);
    drop_front(row, 2);
    if (counts_[row + 1] <= opt_.max_buckets) break;
  }
}

double Adwin::delete_oldest() {
  const size_t row = counts_.size() - 1;
  const double n = std::ldexp(1.0, static_cast<int>(row));
  const double u = totals(row)[0];
  const double mu = u / n;
  const double v = vars(row)[0];
  width_ -= n;
  total_ -= u;
  const double mu_window = total_ / width_;
  const double inc = v + n * width_ * (mu - mu_window) * (mu - mu_window) / (n + width_);
  m2_ -= inc;
  drop_front(row, 1);
  if (counts_[row] == 0 && row > 0) {
    counts_.pop_back();
    totals_.resize(totals_.size() - stride_);
    vars_.resize(vars_.size() - stride_);
  }
  return n;
}

bool Adwin::detect() {
  bool changed = false;
  ++tick_;
  if (tick_ % static_cast<uint64_t>(opt_.clock) != 0 || !(width_ > opt_.min_window)) return false;
  const double min_len = opt_.min_subwindow;
  bool reduce = true;
  while (reduce) {
    reduce = false;
    bool done = false;
    double n0 = 0.0, n1 = width_, u0 = 0.0, u1 = total_;
    // Constant during one scan: the window only changes when a cut ends the scan.
    const double delta_prime = std::log(2 * std::log(width_) / opt_.delta);
    const double var_in_window = m2_ / width_;
    const double bias = 2.0 / 3.0 * delta_prime;
    // Cut after every bucket, oldest first, except after the newest one.
    for (size_t r = counts_.size(); r-- > 0 && !done;) {
      const double n2 = std::ldexp(1.0, static_cast<int>(r));
      const double* t = totals(r);
      const int count = counts_[r];
      for (int k = 0; k < count; ++k) {
        n0 += n2;
        n1 -= n2;
        u0 += t[k];
        u1 -= t[k];
        if (r == 0 && k == count - 1) {
          done = true;
          break;
        }
        if (n1 < min_len || n0 < min_len) continue;
        const double delta_mean = (u0 / n0) - (u1 / n1);
        const double m_recip = (1.0 / (n0 - min_len + 1)) + (1.0 / (n1 - min_len + 1));
        const double epsilon =
            std::sqrt(2 * m_recip * var_in_window * delta_prime) + bias * m_recip;
        if (std::fabs(delta_mean) > epsilon) {
          reduce = true;
          changed = true;
          if (width_ > 0) {
            delete_oldest();
            done = true;
            break;
          }
        }
      }
    }
  }
  return changed;
}

}  // namespace flowsentry::detect
