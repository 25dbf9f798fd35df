#include "app/handlers/machine_credential_handlers.hpp"

#include <functional>
#include <optional>

#include "app/commands/command_runner.hpp"
#include "app/handlers/object_details.hpp"
#include "app/handlers/wkt_codec.hpp"
#include "app/platform/clock.hpp"
#include "app/platform/off_io_thread.hpp"
#include "app/platform/random_token.hpp"
#include "app/platform/rsa_key_generator.hpp"
#include "app/queries/read_models.hpp"
#include "domain/audit.hpp"
#include "domain/client_secret.hpp"
#include "domain/machine_credentials.hpp"

namespace mu::handlers {

namespace {

constexpr std::size_t kClientSecretLength = 64;
constexpr std::size_t kClientSecretSaltBytes = 16;

// Validates the command, decides it on the user's stream (`seen` learns the write model the
// events were decided on) and returns the details.
template <class Command>
domain::Result<api::ObjectDetails> run_credential_command(
    commands::Backend& b, const api::CallContext& ctx, const Command& cmd,
    const std::function<void(const domain::MachineUser&)>& seen = {}) {
  if (auto invalid = domain::validate(cmd)) return *invalid;
  auto out = commands::run_user_command(b,
                                        {cmd.user_id, ctx.org_id, ctx.editor_id,
                                         ctx.expected_sequence, commands::key_of(ctx), ctx.origin},
                                        [&](const domain::MachineUser& u) {
                                          if (seen) seen(u);
                                          return domain::decide(u, cmd);
                                        });
  if (!out.ok()) return out.error();
  return out->details();
}

void fill_key(const projections::MachineKeyView& k, zitadel::authn::v1::Key& out) {
  out.set_id(k.id);
  fill_details({k.sequence, k.creation_date, k.change_date, k.owner}, *out.mutable_details());
  out.set_type(static_cast<zitadel::authn::v1::KeyType>(k.type));
  *out.mutable_expiration_date() = to_proto_timestamp(k.expiration);
}

}  // namespace

domain::Result<mgmt::GenerateMachineSecretResponse> generate_machine_secret(
    commands::Backend& b, const api::CallContext& ctx,
    const mgmt::GenerateMachineSecretRequest& req) {
  domain::GenerateMachineSecret cmd{req.user_id(), ctx.org_id, ""};
  if (auto invalid = domain::validate(cmd)) return *invalid;
  const std::string secret = platform::random_alphanumeric(kClientSecretLength);
  cmd.hashed_secret =
      domain::hash_client_secret(secret, platform::random_bytes(kClientSecretSaltBytes));
  std::string user_name;
  auto out = run_credential_command(b, ctx, cmd,
                                    [&](const domain::MachineUser& u) { user_name = u.user_name; });
  if (!out.ok()) return out.error();
  auto res = details_response<mgmt::GenerateMachineSecretResponse>(*out);
  res.set_client_id(user_name);
  res.set_client_secret(secret);  // here once; the event and the read model hold its hash
  return res;
}

domain::Result<mgmt::RemoveMachineSecretResponse> remove_machine_secret(
    commands::Backend& b, const api::CallContext& ctx,
    const mgmt::RemoveMachineSecretRequest& req) {
  auto out = run_credential_command(b, ctx, domain::RemoveMachineSecret{req.user_id(), ctx.org_id});
  if (!out.ok()) return out.error();
  return details_response<mgmt::RemoveMachineSecretResponse>(*out);
}

domain::Result<mgmt::AddMachineKeyResponse> add_machine_key(commands::Backend& b,
                                                            const api::CallContext& ctx,
                                                            const mgmt::AddMachineKeyRequest& req) {
  domain::AddMachineKey cmd;
  cmd.user_id = req.user_id();
  cmd.org_id = ctx.org_id;
  cmd.type = req.type();
  if (req.has_expiration_date()) {
    auto t = from_proto_timestamp(req.expiration_date(), "expiration_date");
    if (!t.ok()) return t.error();
    cmd.expiration = *t;
  }
  cmd.public_key = req.public_key();
  cmd.now = platform::now();
  if (auto invalid = domain::validate(cmd)) return *invalid;

  // The key to store: the caller's, as OpenSSL writes it back, or a new pair's public half.
  std::optional<platform::RsaKeyPair> pair;
  if (cmd.public_key.empty()) {
    // Tens to hundreds of milliseconds of CPU: not on the I/O thread the call came in on.
    pair = platform::off_io_thread([] { return platform::generate_rsa_key_pair(); });
    cmd.public_key = pair->public_key_pem;
  } else {
    cmd.public_key = *domain::rsa_public_key_pem(cmd.public_key);  // validated above
  }
  cmd.key_id = b.ids.next();
  auto out = run_credential_command(b, ctx, cmd);
  if (!out.ok()) return out.error();
  auto res = details_response<mgmt::AddMachineKeyResponse>(*out);
  res.set_key_id(cmd.key_id);
  if (pair) {
    // The key file, here once: the private key is stored nowhere.
    res.set_key_details(
        domain::machine_key_file(cmd.key_id, pair->private_key_pem, cmd.expires(), cmd.user_id));
  }
  return res;
}

domain::Result<mgmt::GetMachineKeyByIDsResponse> get_machine_key_by_ids(
    commands::Backend& b, const api::CallContext& ctx, const mgmt::GetMachineKeyByIDsRequest& req) {
  if (auto invalid = domain::validate_get_machine_key(req.user_id(), req.key_id())) {
    return *invalid;
  }
  auto found = queries::find_machine_key(b.db, req.user_id(), req.key_id());
  if (!found.ok()) return found.error();
  // Another organization's key is as invisible as a missing one.
  if (!*found || (*found)->owner != ctx.org_id) return domain::machine_key_not_found();
  mgmt::GetMachineKeyByIDsResponse res;
  fill_key(**found, *res.mutable_key());
  return res;
}

domain::Result<mgmt::ListMachineKeysResponse> list_machine_keys(
    commands::Backend& b, const api::CallContext& ctx, const mgmt::ListMachineKeysRequest& req) {
  if (auto invalid = domain::validate_list_machine_keys(req.user_id())) return *invalid;
  const auto& q = req.query();
  auto page = queries::machine_keys(b.db, req.user_id(), ctx.org_id, q.offset(),
                                    domain::page_size(q.limit()), q.asc());
  if (!page.ok()) return page.error();
  mgmt::ListMachineKeysResponse res;
  auto& details = *res.mutable_details();
  details.set_total_result(page->total);
  details.set_processed_sequence(static_cast<std::uint64_t>(page->processed_position));
  *details.mutable_view_timestamp() = to_proto_timestamp(page->view_timestamp);
  for (const auto& k : page->keys) fill_key(k, *res.add_result());
  return res;
}

domain::Result<mgmt::RemoveMachineKeyResponse> remove_machine_key(
    commands::Backend& b, const api::CallContext& ctx, const mgmt::RemoveMachineKeyRequest& req) {
  auto out = run_credential_command(
      b, ctx, domain::RemoveMachineKey{req.user_id(), ctx.org_id, req.key_id()});
  if (!out.ok()) return out.error();
  return details_response<mgmt::RemoveMachineKeyResponse>(*out);
}

}  // namespace mu::handlers
