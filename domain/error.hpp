// One error type for the whole service: a gRPC status code, ZITADEL's error id
// and a human message. Transports map it once (HTTP status + JSON, gRPC status).
#pragma once

#include <string>
#include <utility>

namespace mu::domain {

// gRPC status codes; the numbers are the wire values.
enum class Code {
  Ok = 0,
  Cancelled = 1,
  Unknown = 2,
  InvalidArgument = 3,
  DeadlineExceeded = 4,
  NotFound = 5,
  AlreadyExists = 6,
  PermissionDenied = 7,
  ResourceExhausted = 8,
  FailedPrecondition = 9,
  Aborted = 10,
  OutOfRange = 11,
  Unimplemented = 12,
  Internal = 13,
  Unavailable = 14,
  DataLoss = 15,
  Unauthenticated = 16,
};

struct Error {
  Code code = Code::Internal;
  // ZITADEL's error id, e.g. "COMMAND-5M0od". Empty for validation errors, which
  // carry no details entry on the wire.
  std::string id;
  // The message without the id, e.g. "User could not be found".
  std::string message;

  // "User could not be found (COMMAND-5M0od)", or the bare message without an id.
  std::string full_message() const { return id.empty() ? message : message + " (" + id + ")"; }

  friend bool operator==(const Error&, const Error&) = default;
};

inline Error invalid_argument(std::string message) {
  return {Code::InvalidArgument, {}, std::move(message)};
}

}  // namespace mu::domain
