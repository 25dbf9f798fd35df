// Tamper evidence of the event store: sealing the events below the visibility
// horizon, and verifying every event's hash, every stream's chain and head, and every
// seal, streamed in bounded memory. Reports the first thing that does not hold.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "domain/seal.hpp"

namespace mu::eventstore {

// Seals the events after the last seal, below the visibility horizon, signed with
// `private_pem`. Serialised across processes by an advisory lock: `wait` false gives up
// (nullopt) when another sealer holds it. nullopt too when there is nothing new to seal.
// The caller appends the returned seal to the seal log once this returns (committed).
std::optional<domain::Seal> seal_now(pqxx::connection& conn, const std::string& private_pem,
                                     bool wait);

// Every seal in the database, by id.
std::vector<domain::Seal> stored_seals(pqxx::connection& conn);

// A seal as one JSON line of the seal log, and back (nullopt when malformed).
std::string seal_log_line(const domain::Seal& s);
std::optional<domain::Seal> seal_from_log_line(const std::string& line);

struct VerifyReport {
  std::uint64_t events = 0;
  std::uint64_t streams = 0;
  std::uint64_t seals = 0;
  std::uint64_t sealed_events = 0;
  std::uint64_t unsealed_events = 0;   // after the last seal: not yet covered
  std::vector<std::string> notes;      // what holds but deserves a look
  std::optional<std::string> failure;  // the first thing that does not hold
};

struct VerifyOptions {
  std::optional<std::string> public_pem;              // none: signatures are not checked
  std::optional<std::vector<domain::Seal>> seal_log;  // none: no seal log to compare
};

// Three passes over one snapshot, each a stream: (1) each stream's events in sequence
// order, every hash recomputed from the fields and the one before; (2) each head against
// its last event; (3) the seals against the log, their chain and signatures, then the
// events in (transaction, position) order against each seal's digest and count, on a
// second connection beside (1).
VerifyReport verify_store(const std::string& database_url, const VerifyOptions& options);

}  // namespace mu::eventstore
