#include "eventstore/transaction_status.hpp"

#include <string>

namespace mu::eventstore {

TransactionStatus transaction_status(pqxx::connection_base& conn, std::uint64_t tx_id) {
  pqxx::nontransaction read(conn);
  const auto result =
      read.exec_params("SELECT pg_xact_status($1::text::xid8)", std::to_string(tx_id));
  if (result.empty() || result[0][0].is_null()) return TransactionStatus::Unknown;
  const auto status = result[0][0].as<std::string>();
  if (status == "committed") return TransactionStatus::Committed;
  if (status == "aborted") return TransactionStatus::Aborted;
  if (status == "in progress") return TransactionStatus::InProgress;
  return TransactionStatus::Unknown;
}

}  // namespace mu::eventstore
