#include "app/handlers/first_run_setup.hpp"

#include "app/handlers/machine_user_handlers.hpp"
#include "app/handlers/org_handlers.hpp"
#include "app/platform/request_id.hpp"
#include "app/queries/read_models.hpp"
#include "domain/machine_user.hpp"
#include "domain/org.hpp"

namespace mu::handlers {

domain::Result<SetupOutcome> first_run_setup(Backend& b, const std::string& org_name,
                                             const std::string& admin_user_name) {
  SetupOutcome out;
  api::CallContext system{"", kSystemEditor};
  system.origin = {"machine-users setup", "cli", platform::new_request_id()};

  auto org = queries::unique_key_holder(b.db, domain::kOrgNameUniqueType,
                                        domain::org_name_unique_key(org_name));
  if (!org.ok()) return org.error();
  if (*org) {
    out.org_id = **org;
  } else {
    mgmt::AddOrgRequest req;
    req.set_name(org_name);
    auto added = add_org(b, system, req);
    if (!added.ok()) return added.error();
    out.org_id = added->id();
    out.org_created = true;
  }
  system.org_id = out.org_id;

  auto user = queries::unique_key_holder(b.db, domain::kUserNameUniqueType,
                                         domain::user_name_unique_key(out.org_id, admin_user_name));
  if (!user.ok()) return user.error();
  if (*user) {
    out.user_id = **user;
  } else {
    mgmt::AddMachineUserRequest req;
    req.set_user_name(admin_user_name);
    req.set_name(admin_user_name);
    req.set_description("instance administrator created by machine-users setup");
    auto added = add_machine_user(b, system, req);
    if (!added.ok()) return added.error();
    out.user_id = added->user_id();
    out.user_created = true;
  }

  auto owner = queries::is_iam_owner(b.db, out.user_id);
  if (!owner.ok()) return owner.error();
  if (!*owner) {
    admin::AddIAMMemberRequest req;
    req.set_user_id(out.user_id);
    req.add_roles("IAM_OWNER");
    auto granted = add_iam_member(b, system, req);
    if (!granted.ok()) return granted.error();
    out.owner_granted = true;
  }

  mgmt::AddPersonalAccessTokenRequest req;
  req.set_user_id(out.user_id);
  auto pat = add_personal_access_token(b, system, req);
  if (!pat.ok()) return pat.error();
  out.token_id = pat->token_id();
  out.token = pat->token();
  return out;
}

}  // namespace mu::handlers
