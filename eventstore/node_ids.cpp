#include "eventstore/node_ids.hpp"

namespace mu::eventstore {

std::uint16_t allocate_node_id(pqxx::connection_base& conn) {
  // nextval is never rolled back, so an autocommit statement is enough.
  pqxx::nontransaction tx(conn, "allocate_node_id");
  const auto row = tx.exec1("SELECT (nextval('node_ids') % 65536)::integer");
  return static_cast<std::uint16_t>(row[0].as<int>());
}

}  // namespace mu::eventstore
