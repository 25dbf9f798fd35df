// Time as the event store keeps it: UTC, microsecond precision (timestamptz).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mu::domain {

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

// RFC 3339 in UTC the way protojson writes google.protobuf.Timestamp:
// "2024-07-31T12:22:58.702Z" (0, 3, 6 or 9 fractional digits, trailing groups trimmed).
std::string to_rfc3339(Timestamp t);

// The same text written into `out`, which holds at least kRfc3339MaxBytes; returns its length.
// Without an allocation or printf: the log writes one per call.
inline constexpr std::size_t kRfc3339MaxBytes = 48;
std::size_t write_rfc3339(Timestamp t, char* out);

// Parses RFC 3339 with a "Z" or a numeric offset; nullopt when malformed.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

// Microseconds since the Unix epoch: the exchange format with PostgreSQL.
inline long long to_unix_micros(Timestamp t) {
  return t.time_since_epoch().count();
}
inline Timestamp from_unix_micros(long long us) {
  return Timestamp{std::chrono::microseconds{us}};
}

}  // namespace mu::domain
