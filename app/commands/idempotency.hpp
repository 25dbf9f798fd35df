// Idempotency-Key for every transport: a write retried with the same key and the
// same request gets the first call's response and appends nothing; the same key
// with another request is refused. Keys belong to the caller who used them and
// live 24 hours in the database, so every instance on it sees them.
//
// The key is recorded in the write's own transaction (command_runner), so that
// "key used" and "events appended" commit together; the response is recorded
// just after COMMIT. Two concurrent calls with one key: the second waits on the
// first's row, finds the key taken, rolls back and answers from the first.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/commands/backend.hpp"
#include "app/commands/call_context.hpp"
#include "domain/result.hpp"

namespace mu::commands {

// A key is 1..255 printable ASCII characters; anything else is InvalidArgument.
std::optional<domain::Error> validate_idempotency_key(std::string_view key);

// What identifies "the same request": the RPC, its path parameters, the
// organization it acts in, its precondition and its body, hashed (hex SHA-256).
std::string request_hash(std::string_view rpc, const std::vector<std::string>& params,
                         std::string_view org, std::string_view if_match, std::string_view body);

// The response of an earlier call with ctx.idempotency's key, if there was one
// (nullopt: none). Asked only when a keyed call failed: a retry of a call that
// succeeded fails (NotChanged, a taken name, the key itself) and answers this. Errors: the key was
// used with another request (InvalidArgument), or the earlier call committed but its response was
// never recorded (Aborted, naming the object it wrote).
domain::Result<std::optional<std::string>> earlier_response(Backend& b,
                                                            const api::CallContext& ctx);

// Records the response of a call that committed with ctx.idempotency's key. Best
// effort: should it fail, a retry waits for it, then learns what was written.
void remember_response(Backend& b, const api::CallContext& ctx, const std::string& response);

}  // namespace mu::commands
