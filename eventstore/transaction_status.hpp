// Settling an in-doubt COMMIT: when the connection is lost while COMMIT is under
// way, the transaction may or may not have committed. PostgreSQL remembers the
// outcome of recent transactions by id (pg_xact_status), so a new connection can
// find out instead of guessing.
#pragma once

#include <cstdint>

#include <pqxx/pqxx>

namespace mu::eventstore {

enum class TransactionStatus { Committed, Aborted, InProgress, Unknown };

// The status of transaction `tx_id` (an xid8, as events.tx_id holds it); Unknown
// when it is too old for PostgreSQL to remember.
TransactionStatus transaction_status(pqxx::connection_base& conn, std::uint64_t tx_id);

}  // namespace mu::eventstore
