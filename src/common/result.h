// Result<T>: the value of an operation that can fail in an expected way, or a typed Error.
// Exceptions are kept for programming errors; everything a caller must handle goes through here.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace flowsentry {

enum class ErrorCode {
  kInvalidArgument,  // caller passed something unusable (bad flag, bad setting)
  kNotFound,         // file, key or row that should exist does not
  kParse,            // bytes that do not parse (CSV, JSON, TOML)
  kValidation,       // parsed, but a value breaks a rule (a store refusing a record's data too)
  kConflict,         // the key is already stored
  kIo,               // read/write failure
  kUnavailable,      // a server (broker, database) cannot be reached; retry may help
  kCorrupt,          // stored artifact is damaged
  kIncompatible,     // stored artifact has the wrong version
  kTimeout,
  kInternal,
};

const char* error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  // what went wrong and, where it helps, what to do
  std::string where;    // file:line, field, topic/partition/offset; empty when not useful

  // "where: message" or just "message".
  std::string to_string() const;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Error make_error(ErrorCode code, std::string message, std::string where = {}) {
  return Error{code, std::move(message), std::move(where)};
}

}  // namespace flowsentry
