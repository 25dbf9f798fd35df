// The one place that inspects database exceptions and SQLSTATEs.
#pragma once

#include <exception>

#include "domain/error.hpp"

namespace mu::eventstore {

// Connection lost or refused -> Unavailable; anything else -> Internal, with a
// message that never leaks SQL. Conflicts are classified by EventStore::append.
domain::Error classify_db_error(const std::exception& e);

// True when the exception means the connection is gone and must be reopened.
bool is_connection_error(const std::exception& e);

}  // namespace mu::eventstore
