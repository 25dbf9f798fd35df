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

struct StoredEvent {
  std::string aggregate_type;  // e.g. "user"
  std::string aggregate_id;
  std::uint64_t sequence = 0;  // within the aggregate, contiguous from 1
  std::int64_t position = 0;   // global order over all events
  std::string type;
  int revision = 1;
  nlohmann::json payload = nlohmann::json::object();
  std::string creator;  // editor's user id; empty until authentication exists
  std::string owner;    // resource owner: the organization id
  Timestamp created_at{};
};

}  // namespace mu::domain
