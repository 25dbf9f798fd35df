// Readiness (/readyz): PostgreSQL answers and every migration this build embeds
// is applied. Nothing else is checked: a ready instance can serve every call.
#pragma once

#include <optional>

#include "app/platform/db_session.hpp"
#include "domain/error.hpp"

namespace mu::platform {

// nullopt when ready; otherwise Unavailable, saying why.
std::optional<domain::Error> readiness(platform::DbSession& db);

}  // namespace mu::platform
