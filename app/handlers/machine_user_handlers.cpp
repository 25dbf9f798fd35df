#include "app/handlers/machine_user_handlers.hpp"

#include "app/handlers/clock.hpp"
#include "app/handlers/command_runner.hpp"
#include "app/runtime/random_token.hpp"
#include "domain/sha256.hpp"

namespace mu::handlers {

namespace {

using domain::Error;

api::ObjectDetails details_of(const projections::UserView& v) {
  return {v.sequence, v.creation_date, v.change_date, v.owner};
}

// Validates the command, decides it on the user's stream and returns the details.
template <class Command>
domain::Result<api::ObjectDetails> on_user(Backend& b, const api::CallContext& ctx,
                                           const Command& cmd) {
  if (auto invalid = domain::validate(cmd)) return *invalid;
  auto out = run_user_command(
      b, {cmd.user_id, ctx.org_id, ctx.editor_id, ctx.expected_sequence, key_of(ctx), ctx.origin},
      [&](const domain::MachineUser& u) { return domain::decide(u, cmd); });
  if (!out.ok()) return out.error();
  return out->details();
}

// GetUserByID with asOf: folded from the user's events by the write model's apply,
// so the answer does not depend on any read model. A removed user reads as DELETED.
domain::Result<api::GetUserByIDResponse> user_as_of(Backend& b, const api::CallContext& ctx,
                                                    const std::string& id, const domain::AsOf& at) {
  std::optional<domain::UserAsOf> then;
  try {
    pqxx::read_transaction read(b.db.connection());
    then = domain::user_as_of(
        b.db.store().read_stream(read, std::string(domain::kUserAggregate), id), at);
  } catch (const std::exception& e) {
    return b.db.failure(e);
  }
  if (!then || then->user.owner != ctx.org_id) {
    return Error{domain::Code::NotFound, "QUERY-Dfbg2", "User could not be found"};
  }
  api::GetUserByIDResponse res;
  auto& u = res.user;
  u.id = then->user.id;
  u.details = {then->user.sequence, then->creation_date, then->change_date, then->user.owner};
  u.state = then->user.state;
  u.user_name = then->user.user_name;
  u.machine.name = then->user.name;
  u.machine.description = then->user.description;
  u.machine.access_token_type = then->user.access_token_type;
  return res;
}

}  // namespace

domain::Result<api::AddMachineUserResponse> add_machine_user(
    Backend& b, const api::CallContext& ctx, const api::AddMachineUserRequest& req) {
  // An id is generated only when none was sent: an explicit "" fails validation.
  domain::AddMachineUser cmd{req.user_id ? *req.user_id : b.ids.next(),
                             ctx.org_id,
                             req.user_name,
                             req.name,
                             req.description,
                             req.access_token_type};
  if (auto invalid = domain::validate(cmd)) return *invalid;
  auto out = on_user(b, ctx, cmd);
  if (!out.ok()) return out.error();
  return api::AddMachineUserResponse{cmd.user_id, *out};
}

domain::Result<api::UpdateMachineResponse> update_machine(Backend& b, const api::CallContext& ctx,
                                                          const api::UpdateMachineRequest& req) {
  auto out = on_user(b, ctx,
                     domain::UpdateMachine{req.user_id, ctx.org_id, req.name, req.description,
                                           req.access_token_type});
  if (!out.ok()) return out.error();
  return api::UpdateMachineResponse{*out};
}

domain::Result<api::UserLifecycleResponse> change_user_state(Backend& b,
                                                             const api::CallContext& ctx,
                                                             const api::UserLifecycleRequest& req) {
  auto out = on_user(b, ctx, domain::ChangeUserState{req.action, req.id, ctx.org_id});
  if (!out.ok()) return out.error();
  return api::UserLifecycleResponse{*out};
}

domain::Result<api::AddPersonalAccessTokenResponse> add_personal_access_token(
    Backend& b, const api::CallContext& ctx, const api::AddPersonalAccessTokenRequest& req) {
  const std::string token = runtime::random_token();
  domain::AddPersonalAccessToken cmd{req.user_id,
                                     ctx.org_id,
                                     "",
                                     domain::sha256_hex(token),
                                     req.expiration_date.value_or(domain::kNoExpiration),
                                     now()};
  if (auto invalid = domain::validate(cmd)) return *invalid;
  cmd.token_id = b.ids.next();
  auto out = on_user(b, ctx, cmd);
  if (!out.ok()) return out.error();
  return api::AddPersonalAccessTokenResponse{cmd.token_id, token, *out};
}

domain::Result<api::RemovePersonalAccessTokenResponse> remove_personal_access_token(
    Backend& b, const api::CallContext& ctx, const api::RemovePersonalAccessTokenRequest& req) {
  auto out =
      on_user(b, ctx, domain::RemovePersonalAccessToken{req.user_id, ctx.org_id, req.token_id});
  if (!out.ok()) return out.error();
  return api::RemovePersonalAccessTokenResponse{*out};
}

domain::Result<api::GetUserByIDResponse> get_user_by_id(Backend& b, const api::CallContext& ctx,
                                                        const api::GetUserByIDRequest& req) {
  if (auto invalid = domain::validate_user_id("GetUserByIDRequest", req.id)) return *invalid;
  if (req.as_of) return user_as_of(b, ctx, req.id, *req.as_of);
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
