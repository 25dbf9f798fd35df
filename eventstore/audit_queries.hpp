// Reads of the event store for auditors: the changes of one user (ListUserChanges).
// Plain reads of the events table, which every query pages through an index.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "domain/audit.hpp"
#include "domain/time.hpp"

namespace mu::eventstore {

struct ChangeRow {
  std::uint64_t sequence = 0;
  std::string type;
  domain::Timestamp created_at{};
  std::string creator;
  std::string owner;
};

// The user's events owned by `owner` (another organization's user reads as none), in
// sequence order as the query asks, after its cursor, at most page_size(limit) of them.
std::vector<ChangeRow> user_changes(pqxx::transaction_base& tx, const domain::UserChangesQuery& q,
                                    const std::string& owner);

}  // namespace mu::eventstore
