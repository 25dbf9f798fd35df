#include "eventstore/transaction_status.hpp"

#include <string>

namespace mu::eventstore {

TransactionStatus transaction_status(pqxx::connection_base& conn, std::uint64_t tx_id) {
  pqxx::nontransaction read(conn);
  pqxx::result result;
  try {
    // One snapshot for both questions.
    result = read.exec_params(
        "SELECT pg_xact_status(id), pg_visible_in_snapshot(id, pg_current_snapshot()) "
        "FROM (SELECT $1::text::xid8 AS id) AS t",
        std::to_string(tx_id));
  } catch (const pqxx::sql_error& e) {
    // "transaction ID ... is in the future": this server has not handed the id out, so it is
    // no transaction of this server's history (a promoted standby that never received it).
    if (e.sqlstate() == "22023" &&
        std::string(e.what()).find("in the future") != std::string::npos) {
      return TransactionStatus::Aborted;
    }
    throw;
  }
  if (result.empty() || result[0][0].is_null()) return TransactionStatus::Unknown;
  const auto status = result[0][0].as<std::string>();
  if (status == "committed") {
    // Marked committed but still running: waiting for the synchronous standby's answer.
    return result[0][1].as<bool>() ? TransactionStatus::Committed : TransactionStatus::InProgress;
  }
  if (status == "aborted") return TransactionStatus::Aborted;
  if (status == "in progress") return TransactionStatus::InProgress;
  return TransactionStatus::Unknown;
}

}  // namespace mu::eventstore
