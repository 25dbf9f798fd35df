#include "eventstore/db_errors.hpp"

#include <pqxx/pqxx>

namespace mu::eventstore {

bool is_connection_error(const std::exception& e) {
  return dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr;
}

domain::Error classify_db_error(const std::exception& e) {
  if (is_connection_error(e)) {
    return {domain::Code::Unavailable, {}, "the database is unreachable"};
  }
  // Whatever else went wrong, the client learns nothing about our SQL.
  return {domain::Code::Internal, {}, "internal error"};
}

}  // namespace mu::eventstore
