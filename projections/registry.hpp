// The one list of read models. The command runner (inline reduction), the
// checkpoint keeper, the async runner and the `projections` CLI all walk it:
// adding a read model means writing its reducer and adding one entry to the
// table in registry.cpp, nothing else.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "eventstore/event_store.hpp"
#include "projections/catch_up.hpp"

namespace mu::projections {

enum class Mode { Inline, Async };

// Per event: one prepared statement per event (a command's few events). In memory:
// a whole batch folded in memory and written with a few statements (rebuilds, async
// runners), where the projection has such a reducer.
enum class Batching { PerEvent, InMemory };

// A whole history folded in memory and written into an empty table at once: the
// first pass of a rebuild, for projections that have one.
struct Fold {
  std::function<void(const domain::StoredEvent&)> apply;
  std::function<void(pqxx::transaction_base&, const std::string& table)> write;
};

struct ProjectionInfo {
  std::string name;                 // e.g. "users"
  int version = 1;                  // bump when the reducer's output changes: a replay is due
  std::vector<std::string> tables;  // the read model's tables
  bool can_run_async = false;       // false: its readers need it inline (authentication)
  // A blue/green rebuild fills a scratch copy of the tables and swaps it in; without
  // one, a replay rebuilds in place while holding the tables' write lock.
  bool rebuilds_beside = false;
  // Its rows in current_states, which the service's checkpoint keeper moves while the
  // projection runs inline (an async one keeps projection_checkpoints instead).
  std::vector<std::string> inline_checkpoints;
  // Its reducer on a connection, writing into `table_suffix`-ed copies of its tables
  // ("" for the live ones); one without an in-memory reducer gives its per-event one.
  std::function<ReduceBatch(pqxx::connection_base&, const std::string& table_suffix, Batching)>
      reducer;
  // Its whole-history fold, for projections that have one (else rebuilds go in batches).
  std::function<Fold()> fold;
  // Its share of a one-statement append of one event of this type to a stream of this
  // aggregate type (eventstore::StatementShares): the SQL reducing it on the live tables,
  // "" when the read model ignores such events, nullopt when it cannot reduce them there.
  std::function<std::optional<std::string>(std::string_view aggregate_type,
                                           std::string_view event_type)>
      statement_share;
};

// Every read model, in the order they are reduced.
const std::vector<ProjectionInfo>& registry();
const ProjectionInfo* find_projection(std::string_view name);

// How each projection runs in this process: inline unless named at start-up.
void set_async_projections(const std::set<std::string>& names);
Mode mode_of(std::string_view name);
bool any_async();

std::optional<Fold> make_fold(const ProjectionInfo& info);

// The shares of every read model that runs inline in this process, for a one-statement
// append of one such event; nullopt when one of them cannot take part, or when any
// projection runs async here (its runner is woken by a NOTIFY in the append's transaction).
// Composed once per event type and kept for the process (the registry does not change), so a
// call finds them without building SQL text: the pointer stays valid.
const eventstore::StatementShares* statement_shares(std::string_view aggregate_type,
                                                    std::string_view event_type);

// Moves the current_states rows of every projection that runs inline in this process
// to the last visible position: each visible event was reduced in its own transaction.
void record_inline_checkpoints(pqxx::transaction_base& tx);

// info.reducer, which prepares its statements on construction; nullopt from make_fold:
// the projection has no fold.
ReduceBatch make_reducer(pqxx::connection_base& conn, const ProjectionInfo& info,
                         const std::string& table_suffix = "", Batching batch = Batching::PerEvent);

// The checkpoint name of a projection's async runner, and of a rebuild in progress.
inline std::string async_checkpoint(const ProjectionInfo& p) {
  return p.name;
}
inline std::string rebuild_checkpoint(const ProjectionInfo& p) {
  return p.name + "@rebuild";
}

}  // namespace mu::projections
