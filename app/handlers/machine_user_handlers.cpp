#include "app/handlers/machine_user_handlers.hpp"

#include "app/handlers/command_runner.hpp"

namespace mu::handlers {

namespace {

using domain::Error;

api::ObjectDetails details_of(const projections::UserView& v) {
  return {v.sequence, v.creation_date, v.change_date, v.owner};
}

// Details of a call: the read model row as the events left it. A removal's row
// is gone; its details are the removal event's, with the removed row's creation date.
api::ObjectDetails details_of(const CommandOutcome& out) {
  const auto& last = out.events.back();
  if (last.type == domain::event_type::kRemoved) {
    return {last.sequence, out.row ? out.row->creation_date : last.created_at, last.created_at,
            last.owner};
  }
  if (out.row) return details_of(*out.row);
  return {last.sequence, last.created_at, last.created_at, last.owner};
}

}  // namespace

domain::Result<api::AddMachineUserResponse> add_machine_user(
    Backend& b, const api::CallContext& ctx, const api::AddMachineUserRequest& req) {
  domain::AddMachineUser cmd{req.user_id, ctx.org_id,      req.user_name,
                             req.name,    req.description, req.access_token_type};
  if (auto invalid = domain::validate(cmd)) return *invalid;
  if (cmd.user_id.empty()) cmd.user_id = b.ids.next();

  auto out = run_user_command(b.db, {cmd.user_id, ctx.org_id, ctx.editor_id},
                              [&](const domain::MachineUser& u) { return domain::decide(u, cmd); });
  if (!out.ok()) return out.error();
  return api::AddMachineUserResponse{cmd.user_id, details_of(*out)};
}

domain::Result<api::UpdateMachineResponse> update_machine(Backend& b, const api::CallContext& ctx,
                                                          const api::UpdateMachineRequest& req) {
  domain::UpdateMachine cmd{req.user_id, ctx.org_id, req.name, req.description,
                            req.access_token_type};
  if (auto invalid = domain::validate(cmd)) return *invalid;

  auto out = run_user_command(b.db, {cmd.user_id, ctx.org_id, ctx.editor_id},
                              [&](const domain::MachineUser& u) { return domain::decide(u, cmd); });
  if (!out.ok()) return out.error();
  return api::UpdateMachineResponse{details_of(*out)};
}

domain::Result<api::UserLifecycleResponse> change_user_state(Backend& b,
                                                             const api::CallContext& ctx,
                                                             const api::UserLifecycleRequest& req) {
  domain::ChangeUserState cmd{req.action, req.id, ctx.org_id};
  if (auto invalid = domain::validate(cmd)) return *invalid;

  auto out = run_user_command(b.db, {cmd.user_id, ctx.org_id, ctx.editor_id},
                              [&](const domain::MachineUser& u) { return domain::decide(u, cmd); });
  if (!out.ok()) return out.error();
  return api::UserLifecycleResponse{details_of(*out)};
}

domain::Result<api::GetUserByIDResponse> get_user_by_id(Backend& b, const api::CallContext& ctx,
                                                        const api::GetUserByIDRequest& req) {
  if (auto invalid = domain::validate_user_id("GetUserByIDRequest", req.id)) return *invalid;
  std::optional<projections::UserView> view;
  try {
    pqxx::nontransaction read(b.db.connection());
    view = b.db.users().find(read, req.id);
  } catch (const std::exception& e) {
    return b.db.failure(e);
  }
  // Another organization's user is as invisible as a missing one.
  if (!view || view->owner != ctx.org_id) {
    return Error{domain::Code::NotFound, "QUERY-Dfbg2", "User could not be found"};
  }
  api::GetUserByIDResponse res;
  auto& u = res.user;
  u.id = view->id;
  u.details = details_of(*view);
  u.state = view->state;
  u.user_name = view->user_name;
  u.machine.name = view->name;
  u.machine.description = view->description;
  u.machine.access_token_type = view->access_token_type;
  return res;
}

}  // namespace mu::handlers
