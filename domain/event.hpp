// Events as the domain produces them (NewEvent) and as the store returns them
// (StoredEvent). Payloads are JSON objects with ZITADEL's field names.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/time.hpp"

namespace mu::domain {

struct NewEvent {
  std::string type;  // e.g. "user.machine.changed"
  int revision = 1;  // payload schema revision
  nlohmann::json payload = nlohmann::json::object();
};

// Where events came from, recorded with each (audit): never a token or a secret.
struct Origin {
  std::string rpc;         // e.g. "zitadel.management.v1.ManagementService/UpdateMachine"
  std::string transport;   // "rest", "grpc", "grpc-web" or "cli"
  std::string request_id;  // X-Request-Id as sent, or generated
};

struct StoredEvent {
  std::string aggregate_type;  // e.g. "user"
  std::string aggregate_id;
  std::uint64_t sequence = 0;  // within the aggregate, contiguous from 1
  std::int64_t position = 0;   // global order over all events
  // The id of the transaction that wrote it (PostgreSQL's xid8): readers of the
  // global order wait for older transactions, and an in-doubt commit is settled by it.
  std::uint64_t tx_id = 0;
  std::string type;
  int revision = 1;
  nlohmann::json payload = nlohmann::json::object();
  std::string creator;  // editor's user id; empty until authentication exists
  std::string owner;    // resource owner: the organization id
  Timestamp created_at{};
};

// Reading a payload field tolerantly: a missing field, or one of another type,
// gives the fallback. Reducers must never throw on an old or odd event.
inline std::string payload_string(const nlohmann::json& payload, const char* key,
                                  const std::string& fallback = "") {
  if (!payload.is_object()) return fallback;
  auto it = payload.find(key);
  return it != payload.end() && it->is_string() ? it->get<std::string>() : fallback;
}

inline int payload_int(const nlohmann::json& payload, const char* key, int fallback = 0) {
  if (!payload.is_object()) return fallback;
  auto it = payload.find(key);
  return it != payload.end() && it->is_number_integer() ? it->get<int>() : fallback;
}

}  // namespace mu::domain
