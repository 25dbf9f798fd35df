// Node ids for the id generator: each process takes one from a PostgreSQL
// sequence at start-up, so that no two live processes share one.
#pragma once

#include <cstdint>

#include <pqxx/pqxx>

namespace mu::eventstore {

// nextval('node_ids') mod 65536. Call it with no transaction open on `conn`.
std::uint16_t allocate_node_id(pqxx::connection_base& conn);

}  // namespace mu::eventstore
