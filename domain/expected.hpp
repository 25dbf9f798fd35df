// Expected<T, E>: a value or an error of a type of the caller's choosing (std::expected is
// C++23; we build as C++20). Result<T> (result.hpp) is Expected<T, domain::Error>, the
// calls' own; the pure parsers take an enum instead, whose callers map each failure
// themselves (a JWT check to `invalid_grant`, a key to ZITADEL's error).
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace mu::domain {

template <class E>
struct Unexpected {
  explicit Unexpected(E e) : error(std::move(e)) {}
  E error;
};

template <class T, class E>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}            // NOLINT: implicit
  Expected(Unexpected<E> u) : v_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT
  // The error itself, where it cannot be taken for a value (Result<T>'s `return error;`).
  Expected(E error)  // NOLINT: implicit
    requires(!std::is_convertible_v<E, T>)
      : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  const E& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, E> v_;
};

}  // namespace mu::domain
