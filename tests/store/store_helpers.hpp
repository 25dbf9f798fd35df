// Small builders shared by the store tests.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "domain/event.hpp"
#include "eventstore/event_store.hpp"

namespace mu::testing {

inline domain::NewEvent new_event(std::string type,
                                  nlohmann::json payload = nlohmann::json::object(),
                                  int revision = 1) {
  return domain::NewEvent{std::move(type), revision, std::move(payload)};
}

inline eventstore::AppendRequest user_append(std::string id, std::uint64_t expected,
                                             std::vector<domain::NewEvent> events,
                                             std::string owner = "org1") {
  eventstore::AppendRequest r;
  r.aggregate_type = "user";
  r.aggregate_id = std::move(id);
  r.owner = std::move(owner);
  r.creator = "editor1";
  r.expected_sequence = expected;
  r.events = std::move(events);
  return r;
}

// Appends in a transaction of its own and commits.
inline std::vector<domain::StoredEvent> append_committed(pqxx::connection& conn,
                                                         const eventstore::AppendRequest& r) {
  eventstore::EventStore store(conn);
  pqxx::work tx(conn);
  auto stored = store.append(tx, r).events;
  tx.commit();
  return stored;
}

inline long long count_rows(pqxx::connection& conn, const std::string& sql) {
  pqxx::read_transaction tx(conn);
  return tx.exec1(sql)[0].as<long long>();
}

}  // namespace mu::testing
