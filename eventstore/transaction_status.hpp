// Settling an in-doubt COMMIT: when the connection is lost while COMMIT is under way, the
// transaction may or may not have committed. PostgreSQL remembers the outcome of recent
// transactions by id (pg_xact_status), so a new connection can find out instead of guessing,
// as long as it asks the history the transaction ran in. After a failover the new connection
// may reach another server (a promoted standby, a new timeline), and after a crash the same
// server may have lost the id with the WAL that never reached disk: either may have handed the
// same id to a transaction of its own since. So the id's answer is never taken alone: a
// "committed" holds only when the transaction's last event (by its hash) is there too (see
// app/commands/command_settle.cpp), and an id this server has not handed out yet is no
// transaction of this history at all.
#pragma once

#include <cstdint>

#include <pqxx/pqxx>

namespace mu::eventstore {

enum class TransactionStatus { Committed, Aborted, InProgress, Unknown };

// The status of transaction `tx_id` (an xid8, as events.tx_id holds it) on this server:
// Committed only once its work is visible to new snapshots (a COMMIT waiting for the
// synchronous standby is marked committed before it is: InProgress until then); Aborted
// also for an id this server has not handed out (another history); Unknown when it is too
// old for PostgreSQL to remember.
TransactionStatus transaction_status(pqxx::connection_base& conn, std::uint64_t tx_id);

}  // namespace mu::eventstore
