#include "app/handlers/first_run_setup.hpp"

#include "app/handlers/machine_user_handlers.hpp"
#include "app/handlers/org_handlers.hpp"
#include "app/platform/request_id.hpp"
#include "domain/machine_user.hpp"
#include "domain/org.hpp"

namespace mu::handlers {

namespace {

std::optional<std::string> holder(Backend& b, std::string_view type, const std::string& value) {
  pqxx::nontransaction read(b.db.connection());
  return b.db.store().unique_key_holder(read, {std::string(type), value});
}

bool is_iam_owner(Backend& b, const std::string& user_id) {
  pqxx::nontransaction read(b.db.connection());
  for (const auto& m : b.db.auth().memberships_of(read, user_id)) {
    if (m.scope != domain::kInstanceScope) continue;
    for (auto r : m.roles) {
      if (r == domain::Role::IamOwner) return true;
    }
  }
  return false;
}

}  // namespace

domain::Result<SetupOutcome> first_run_setup(Backend& b, const std::string& org_name,
                                             const std::string& admin_user_name) {
  SetupOutcome out;
  try {
    api::CallContext system{"", kSystemEditor};
    system.origin = {"machine-users setup", "cli", platform::new_request_id()};

    if (auto org = holder(b, domain::kOrgNameUniqueType, domain::org_name_unique_key(org_name))) {
      out.org_id = *org;
    } else {
      mgmt::AddOrgRequest req;
      req.set_name(org_name);
      auto added = add_org(b, system, req);
      if (!added.ok()) return added.error();
      out.org_id = added->id();
      out.org_created = true;
    }
    system.org_id = out.org_id;

    if (auto user = holder(b, domain::kUserNameUniqueType,
                           domain::user_name_unique_key(out.org_id, admin_user_name))) {
      out.user_id = *user;
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

    if (!is_iam_owner(b, out.user_id)) {
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
  } catch (const std::exception& e) {
    return b.db.failure(e);
  }
  return out;
}

}  // namespace mu::handlers
