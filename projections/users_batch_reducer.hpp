// The users read model reduced a batch at a time in memory, for rebuilds and the
// async runner: one read of the rows the batch touches, then one delete and one
// multi-row upsert, instead of a statement per event. Its rows are the same as
// UsersProjection's per-event reducers make (the async-equals-inline test checks).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "domain/event.hpp"

namespace mu::projections {

class UsersBatchReducer {
 public:
  explicit UsersBatchReducer(std::string table) : table_(std::move(table)) {}
  void reduce(pqxx::transaction_base& tx, const std::vector<domain::StoredEvent>& events);

 private:
  std::string table_;
};

// A whole read model folded in memory (one entry per user, however many events),
// then written into an empty table with COPY: the first pass of a rebuild.
class UsersFold {
 public:
  UsersFold();
  ~UsersFold();
  void apply(const domain::StoredEvent& e);
  // COPYs the rows into `table`, which must be empty; returns how many.
  std::size_t copy_into(pqxx::transaction_base& tx, const std::string& table);

 private:
  struct Rows;
  std::unique_ptr<Rows> rows_;
};

}  // namespace mu::projections
