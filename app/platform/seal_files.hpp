// The seal key and the seal log on disk. The key is the only secret of the
// seals: it lives outside the database, readable by its owner alone.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "domain/seal.hpp"

namespace mu::platform {

// Creates a new Ed25519 key at `path` (mode 0600) unless a file is there already.
// True when it created one.
bool create_seal_key(const std::string& path);

// The whole file; throws "cannot read PATH: reason" (one line).
std::string read_text_file(const std::string& path);

// Every seal of a seal log; throws on an unreadable file or a malformed line (named).
std::vector<domain::Seal> read_seal_log(const std::string& path);

// Appends to the log every seal of the database it does not hold yet (by id), then
// fsyncs it. A seal committed just before a crash is appended on the next call.
// Returns how many it appended.
std::size_t sync_seal_log(pqxx::connection& conn, const std::string& path);

}  // namespace mu::platform
