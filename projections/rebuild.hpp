// Replays and checks of read models from the events (the `projections` CLI).
//
// replay: "users" is rebuilt beside the live table (users_read_model_rebuild) while
// the service runs, catching up from the first event to the head in batches; then
// one short transaction takes the live table's write lock (reads go on), reduces
// what committed meanwhile, swaps the tables and hands the checkpoint over. Reads
// never see an older state after the swap than before it. Read models that cannot
// be rebuilt beside (auth) are rebuilt in place in one transaction holding their
// write lock. verify rebuilds into scratch and diffs, changing nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "projections/registry.hpp"

namespace mu::projections {

// A one-line reason, for the CLI (unknown projection, a replay already running, ...).
struct RebuildError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Progress {
  std::int64_t done = 0;   // events reduced so far
  std::int64_t total = 0;  // events to reduce (an estimate while writes go on)
};
using ProgressFn = std::function<void(const Progress&)>;

// Rebuilds `p` from the first event; returns the events reduced. Takes a session
// advisory lock on `conn` so that a second replay of `p` fails at once.
std::int64_t replay(pqxx::connection& conn, const ProjectionInfo& p, const ProgressFn& progress);

struct RowDifference {
  std::string table;
  std::string key;     // the row's primary key
  std::string column;  // "(row)" when the row exists on one side only
  std::string live;    // JSON of the value, or "(missing)"
  std::string rebuilt;
};

// Rebuilds `p` as of one snapshot into scratch and compares with the live tables
// as of the same snapshot. With `p` running async, rows behind its checkpoint differ.
std::vector<RowDifference> verify(pqxx::connection& conn, const ProjectionInfo& p);

}  // namespace mu::projections
