// Early returns for absl::Status and absl::StatusOr, so a function that calls
// several fallible steps reads as the steps:
//
//   SAMRAD_RETURN_IF_ERROR(store.Check(thread));
//   SAMRAD_ASSIGN_OR_RETURN(Certificate cert, Certificate::FromPem(pem));
//
// SAMRAD_RETURN_IF_ERROR(expr): `expr` is an absl::Status (or anything with
// ok() and conversion to absl::Status, e.g. a StatusOr's status()); when it is
// not OK, the enclosing function returns it unchanged.
//
// SAMRAD_ASSIGN_OR_RETURN(lhs, expr): `expr` is an absl::StatusOr<T>; when it
// is not OK the enclosing function returns its status, otherwise its value is
// moved into `lhs` (a declaration such as `auto x` or an existing lvalue).
// `lhs` must not contain an unparenthesised comma. Each use expands to one
// hidden local whose name includes the line number, so it may be used once
// per line.
//
// The enclosing function returns absl::Status or any absl::StatusOr<U>.
//
// Macros only: no state, usable from any thread.
#ifndef SAMRAD_COMMON_STATUS_MACROS_H_
#define SAMRAD_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SAMRAD_RETURN_IF_ERROR(expr)                                                         \
  do {                                                                                       \
    if (::absl::Status samrad_status_ = (expr); !samrad_status_.ok()) return samrad_status_; \
  } while (false)

#define SAMRAD_STATUS_MACROS_CONCAT_INNER_(a, b) a##b
#define SAMRAD_STATUS_MACROS_CONCAT_(a, b) SAMRAD_STATUS_MACROS_CONCAT_INNER_(a, b)

#define SAMRAD_ASSIGN_OR_RETURN(lhs, expr) \
  SAMRAD_ASSIGN_OR_RETURN_IMPL_(SAMRAD_STATUS_MACROS_CONCAT_(samrad_statusor_, __LINE__), lhs, expr)

#define SAMRAD_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)

#endif  // SAMRAD_COMMON_STATUS_MACROS_H_
