// Streaming a SELECT out of PostgreSQL with COPY: the one way this code base reads many
// rows (catch-up and replay, audit events, audit verify and seal). PostgreSQL produces the
// next rows while this process handles the last ones, where a FETCH leaves one side idle.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace mu::eventstore {

// Calls `row` with the fields of each row of `query` (COPY's escapes undone, see
// copy_text.hpp), which must have `columns` columns. When `row` returns false the rest
// is read and dropped (a COPY is always read to its end). Returns the rows handed over.
std::size_t stream_rows(pqxx::transaction_base& tx, const std::string& query, std::size_t columns,
                        const std::function<bool(const std::vector<std::string>&)>& row);

}  // namespace mu::eventstore
