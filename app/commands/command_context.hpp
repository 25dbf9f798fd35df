// What the command core runs against: the store, the users' write-model cache, the
// authentication cache and a clock. The service passes the worker's PostgreSQL session
// (command_runner.cpp); the unit tests pass a fake store and a fake clock, so that a
// retry, a conflict or a lost write can be played through without a database or a wait.
#pragma once

#include <chrono>

#include "app/commands/auth_cache.hpp"
#include "app/commands/backend.hpp"
#include "app/commands/command_runner.hpp"
#include "app/commands/command_store.hpp"
#include "eventstore/cooperative_wait.hpp"

namespace mu::commands {

// The time the command core waits by: between retries, and while it settles a lost write.
class CommandClock {
 public:
  virtual ~CommandClock() = default;
  virtual std::chrono::steady_clock::time_point now() = 0;
  virtual void sleep(std::chrono::microseconds duration) = 0;
};

// The real one: std::chrono::steady_clock, and a sleep of the thread or, on a database
// fiber, of the fiber alone (eventstore/cooperative_wait.hpp).
class SteadyCommandClock final : public CommandClock {
 public:
  std::chrono::steady_clock::time_point now() override { return std::chrono::steady_clock::now(); }
  void sleep(std::chrono::microseconds duration) override { eventstore::pause_for(duration); }
};

struct CommandContext {
  CommandStore& store;
  UserWriteModels& users;
  AuthCache& auth_cache;
  CommandClock& clock;
};

// run_user_command and run_scope_command (command_runner.hpp) on a context of one's own.
domain::Result<CommandOutcome> run_user_command(CommandContext& ctx, const StreamRef& stream,
                                                const Decision<domain::MachineUser>& decide);
domain::Result<CommandOutcome> run_scope_command(CommandContext& ctx, domain::ScopeKind kind,
                                                 const StreamRef& stream,
                                                 const ScopeDecision& decide,
                                                 const std::string& member_user_id = "");

}  // namespace mu::commands
