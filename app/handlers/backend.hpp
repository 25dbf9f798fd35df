// What a handler may use: its worker's database session, the shared id
// generator and the shared authentication cache.
#pragma once

#include "app/handlers/auth_cache.hpp"
#include "app/runtime/db_session.hpp"
#include "domain/ids.hpp"

namespace mu::handlers {

struct Backend {
  runtime::DbSession& db;
  domain::IdGenerator& ids;
  AuthCache& auth_cache;
};

}  // namespace mu::handlers
