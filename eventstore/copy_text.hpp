// One line of PostgreSQL's COPY ... TO STDOUT text format, split into its fields with
// the format's escapes undone. Pure: the readers that stream events with COPY use it,
// and it is unit-tested without a database.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mu::eventstore {

// Splits `line` (a trailing newline is ignored) at its tabs into `fields`, whose
// storage is reused from call to call. `\N` (SQL NULL) reads as an empty field.
// False when a backslash ends the line, which COPY never writes.
bool split_copy_line(std::string_view line, std::vector<std::string>& fields);

// A timestamptz as PostgreSQL writes it with DateStyle ISO and TimeZone UTC
// ("2026-11-29 03:23:18.123456+00", the fraction optional) in microseconds since the
// Unix epoch; nullopt for anything else. Cheaper for the server than extract(epoch).
std::optional<long long> utc_timestamp_micros(std::string_view text);

}  // namespace mu::eventstore
