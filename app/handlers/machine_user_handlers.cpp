#include "app/handlers/machine_user_handlers.hpp"

#include "app/commands/command_runner.hpp"
#include "app/handlers/object_details.hpp"
#include "app/handlers/wkt_codec.hpp"
#include "app/platform/clock.hpp"
#include "app/platform/random_token.hpp"
#include "app/queries/read_models.hpp"
#include "domain/sha256.hpp"

namespace mu::handlers {

using commands::key_of;
using commands::StreamRef;

namespace {

using domain::Error;

// Proto3 enums are open: a number the enum does not define is kept, and the
// command's validation refuses it.
domain::AccessTokenType token_type(int wire) {
  return static_cast<domain::AccessTokenType>(wire);
}

// Validates the command, decides it on the user's stream and returns the details.
template <class Command>
domain::Result<api::ObjectDetails> on_user(Backend& b, const api::CallContext& ctx,
                                           const Command& cmd) {
  if (auto invalid = domain::validate(cmd)) return *invalid;
  auto out = commands::run_user_command(
      b, {cmd.user_id, ctx.org_id, ctx.editor_id, ctx.expected_sequence, key_of(ctx), ctx.origin},
      [&](const domain::MachineUser& u) { return domain::decide(u, cmd); });
  if (!out.ok()) return out.error();
  return out->details();
}

// Deactivate/Reactivate/Lock/Unlock/RemoveUser: {id} -> {details}.
template <class Response, class Request>
domain::Result<Response> change_state(Backend& b, const api::CallContext& ctx,
                                      domain::Lifecycle action, const Request& req) {
  auto out = on_user(b, ctx, domain::ChangeUserState{action, req.id(), ctx.org_id});
  if (!out.ok()) return out.error();
  return details_response<Response>(*out);
}

struct UserFields {
  std::string id;
  api::ObjectDetails details;
  domain::UserState state = domain::UserState::Unspecified;
  std::string user_name;
  std::string name;
  std::string description;
  domain::AccessTokenType access_token_type = domain::AccessTokenType::Bearer;
  bool has_secret = false;
};

mgmt::GetUserByIDResponse user_response(const UserFields& f) {
  mgmt::GetUserByIDResponse res;
  auto& user = *res.mutable_user();
  user.set_id(f.id);
  fill_details(f.details, *user.mutable_details());
  user.set_state(static_cast<zitadel::user::v1::UserState>(f.state));
  user.set_user_name(f.user_name);
  // Set even when every field is at its default: the user is a machine user.
  auto& machine = *user.mutable_machine();
  machine.set_name(f.name);
  machine.set_description(f.description);
  machine.set_has_secret(f.has_secret);
  machine.set_access_token_type(
      static_cast<zitadel::user::v1::AccessTokenType>(f.access_token_type));
  return res;
}

// GetUserByID with asOf: folded from the user's events by the write model's apply,
// so the answer does not depend on any read model. A removed user reads as DELETED.
domain::Result<mgmt::GetUserByIDResponse> user_as_of(Backend& b, const api::CallContext& ctx,
                                                     const std::string& id,
                                                     const domain::AsOf& at) {
  auto found = queries::user_as_of(b.db, id, at);
  if (!found.ok()) return found.error();
  const auto& then = *found;
  if (!then || then->user.owner != ctx.org_id) {
    return Error{domain::Code::NotFound, "QUERY-Dfbg2", "User could not be found"};
  }
  const auto& u = then->user;
  return user_response({u.id,
                        {u.sequence, then->creation_date, then->change_date, u.owner},
                        u.state,
                        u.user_name,
                        u.name,
                        u.description,
                        u.access_token_type,
                        u.has_secret});
}

}  // namespace

domain::Result<mgmt::AddMachineUserResponse> add_machine_user(
    Backend& b, const api::CallContext& ctx, const mgmt::AddMachineUserRequest& req) {
  // An id is generated only when none was sent (`optional string user_id`): an
  // explicit "" fails validation, as ZITADEL has it.
  domain::AddMachineUser cmd{req.has_user_id() ? req.user_id() : b.ids.next(),
                             ctx.org_id,
                             req.user_name(),
                             req.name(),
                             req.description(),
                             token_type(req.access_token_type())};
  if (auto invalid = domain::validate(cmd)) return *invalid;
  auto out = on_user(b, ctx, cmd);
  if (!out.ok()) return out.error();
  auto res = details_response<mgmt::AddMachineUserResponse>(*out);
  res.set_user_id(cmd.user_id);
  return res;
}

domain::Result<mgmt::UpdateMachineResponse> update_machine(Backend& b, const api::CallContext& ctx,
                                                           const mgmt::UpdateMachineRequest& req) {
  auto out = on_user(b, ctx,
                     domain::UpdateMachine{req.user_id(), ctx.org_id, req.name(), req.description(),
                                           token_type(req.access_token_type())});
  if (!out.ok()) return out.error();
  return details_response<mgmt::UpdateMachineResponse>(*out);
}

domain::Result<mgmt::DeactivateUserResponse> deactivate_user(
    Backend& b, const api::CallContext& ctx, const mgmt::DeactivateUserRequest& req) {
  return change_state<mgmt::DeactivateUserResponse>(b, ctx, domain::Lifecycle::Deactivate, req);
}
domain::Result<mgmt::ReactivateUserResponse> reactivate_user(
    Backend& b, const api::CallContext& ctx, const mgmt::ReactivateUserRequest& req) {
  return change_state<mgmt::ReactivateUserResponse>(b, ctx, domain::Lifecycle::Reactivate, req);
}
domain::Result<mgmt::LockUserResponse> lock_user(Backend& b, const api::CallContext& ctx,
                                                 const mgmt::LockUserRequest& req) {
  return change_state<mgmt::LockUserResponse>(b, ctx, domain::Lifecycle::Lock, req);
}
domain::Result<mgmt::UnlockUserResponse> unlock_user(Backend& b, const api::CallContext& ctx,
                                                     const mgmt::UnlockUserRequest& req) {
  return change_state<mgmt::UnlockUserResponse>(b, ctx, domain::Lifecycle::Unlock, req);
}
domain::Result<mgmt::RemoveUserResponse> remove_user(Backend& b, const api::CallContext& ctx,
                                                     const mgmt::RemoveUserRequest& req) {
  return change_state<mgmt::RemoveUserResponse>(b, ctx, domain::Lifecycle::Remove, req);
}

domain::Result<mgmt::AddPersonalAccessTokenResponse> add_personal_access_token(
    Backend& b, const api::CallContext& ctx, const mgmt::AddPersonalAccessTokenRequest& req) {
  domain::Timestamp expiration = domain::kNoExpiration;
  if (req.has_expiration_date()) {
    auto t = from_proto_timestamp(req.expiration_date(), "expiration_date");
    if (!t.ok()) return t.error();
    expiration = *t;
  }
  const std::string token = platform::random_token();
  domain::AddPersonalAccessToken cmd{req.user_id(), ctx.org_id,     "", domain::sha256_hex(token),
                                     expiration,    platform::now()};
  if (auto invalid = domain::validate(cmd)) return *invalid;
  cmd.token_id = b.ids.next();
  auto out = on_user(b, ctx, cmd);
  if (!out.ok()) return out.error();
  auto res = details_response<mgmt::AddPersonalAccessTokenResponse>(*out);
  res.set_token_id(cmd.token_id);
  res.set_token(token);  // shown here once; only its SHA-256 is stored
  return res;
}

domain::Result<mgmt::RemovePersonalAccessTokenResponse> remove_personal_access_token(
    Backend& b, const api::CallContext& ctx, const mgmt::RemovePersonalAccessTokenRequest& req) {
  auto out =
      on_user(b, ctx, domain::RemovePersonalAccessToken{req.user_id(), ctx.org_id, req.token_id()});
  if (!out.ok()) return out.error();
  return details_response<mgmt::RemovePersonalAccessTokenResponse>(*out);
}

domain::Result<mgmt::GetUserByIDResponse> get_user_by_id(Backend& b, const api::CallContext& ctx,
                                                         const mgmt::GetUserByIDRequest& req) {
  if (auto invalid = domain::validate_user_id("GetUserByIDRequest", req.id())) return *invalid;
  if (ctx.extras.as_of) return user_as_of(b, ctx, req.id(), *ctx.extras.as_of);
  auto found = queries::find_machine_user(b.db, req.id());
  if (!found.ok()) return found.error();
  // Another organization's user is as invisible as a missing one.
  if (!*found || (*found)->user.owner != ctx.org_id) {
    return Error{domain::Code::NotFound, "QUERY-Dfbg2", "User could not be found"};
  }
  const auto& view = (*found)->user;
  return user_response({view.id,
                        {view.sequence, view.creation_date, view.change_date, view.owner},
                        view.state,
                        view.user_name,
                        view.name,
                        view.description,
                        view.access_token_type,
                        (*found)->has_secret});
}

}  // namespace mu::handlers
