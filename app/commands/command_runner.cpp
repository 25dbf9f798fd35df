// Which path a command takes, and what the write-model cache keeps after it. The paths
// themselves: command_one_statement (one autocommit statement), command_retry_loop and
// command_transaction_attempt (the transaction path), command_settle (a write whose
// connection was lost); the pure steps around a decision: command_plan.
#include "app/commands/command_runner.hpp"

#include "app/commands/command_context.hpp"
#include "app/commands/command_one_statement.hpp"
#include "app/commands/command_retry_loop.hpp"
#include "app/commands/postgres_command_store.hpp"

namespace mu::commands {

domain::Result<CommandOutcome> run_user_command(CommandContext& ctx, const StreamRef& stream,
                                                const Decision<domain::MachineUser>& decide) {
  const std::string type(domain::kUserAggregate);
  bool conflicted = false;
  if (auto done = run_user_one_statement(ctx, type, stream, decide, conflicted)) {
    return std::move(*done);
  }
  return run_in_transactions<UserStream>(
      ctx, type, stream, decide,
      // The user stream's unique key is its user name (per organization).
      {domain::Code::AlreadyExists, "V3-DKcYh", "Errors.User.AlreadyExists"}, {},
      // After losing a race in the one-statement path, the head is read under its lock.
      conflicted ? 2 : 1,
      [&](const eventstore::Appended& appended, const domain::MachineUser& after) {
        if (appended.last_hash) {
          ctx.users.remember(stream.id, cache_entry<UserStream>(after, appended));
        } else {
          ctx.users.forget(stream.id);
        }
      });
}

domain::Result<CommandOutcome> run_scope_command(CommandContext& ctx, domain::ScopeKind kind,
                                                 const StreamRef& stream,
                                                 const ScopeDecision& decide,
                                                 const std::string& member_user_id) {
  const auto type =
      kind == domain::ScopeKind::Org ? domain::kOrgAggregate : domain::kInstanceAggregate;
  bool member_exists = false;
  BeforeDecide lock_member;
  if (!member_user_id.empty()) {
    lock_member = [&](CommandTransaction& tx) {
      const std::string user_type(domain::kUserAggregate);
      member_exists = load<UserStream>(tx, user_type, member_user_id, true).state.exists();
    };
  }
  return run_in_transactions<ScopeStream>(
      ctx, std::string(type), stream,
      [&](const domain::MemberScope& s) { return decide(s, member_exists); },
      {domain::Code::AlreadyExists, "COMMAND-Bm2dx", "Organisation's name or id already taken"},
      lock_member);
}

domain::Result<CommandOutcome> run_user_command(Backend& b, const StreamRef& stream,
                                                const Decision<domain::MachineUser>& decide) {
  PostgresCommandStore store(b.db);
  SteadyCommandClock clock;
  CommandContext ctx{store, b.users, b.auth_cache, clock};
  return run_user_command(ctx, stream, decide);
}

domain::Result<CommandOutcome> run_scope_command(Backend& b, domain::ScopeKind kind,
                                                 const StreamRef& stream,
                                                 const ScopeDecision& decide,
                                                 const std::string& member_user_id) {
  PostgresCommandStore store(b.db);
  SteadyCommandClock clock;
  CommandContext ctx{store, b.users, b.auth_cache, clock};
  return run_scope_command(ctx, kind, stream, decide, member_user_id);
}

}  // namespace mu::commands
