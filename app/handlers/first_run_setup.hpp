// `machine-users setup`: the first organization, an IAM_OWNER machine user in
// it, and a new personal access token for that user. Idempotent: what exists
// (found by its unique name) is kept, and each run issues one more token.
// It acts as ZITADEL's setup does, as the editor "SYSTEM".
#pragma once

#include <string>

#include "app/commands/backend.hpp"
#include "domain/result.hpp"

namespace mu::handlers {

using commands::Backend;

inline constexpr const char* kSystemEditor = "SYSTEM";

struct SetupOutcome {
  std::string org_id;
  std::string user_id;
  std::string token_id;
  std::string token;
  bool org_created = false;
  bool user_created = false;
  bool owner_granted = false;
};

domain::Result<SetupOutcome> first_run_setup(Backend& b, const std::string& org_name,
                                             const std::string& admin_user_name);

}  // namespace mu::handlers
