// What a handler may use: its worker's database session, the shared id
// generator, the shared authentication cache and the users' recent write models.
#pragma once

#include "app/commands/auth_cache.hpp"
#include "app/commands/write_model_cache.hpp"
#include "app/platform/db_session.hpp"
#include "domain/ids.hpp"
#include "domain/machine_user.hpp"

namespace mu::commands {

using UserWriteModels = WriteModelCache<domain::MachineUser>;

struct Backend {
  platform::DbSession& db;
  domain::IdGenerator& ids;
  AuthCache& auth_cache;
  UserWriteModels& users;
};

}  // namespace mu::commands
