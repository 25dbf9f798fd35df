#include "app/commands/idempotency.hpp"

#include <chrono>

#include "domain/sha256.hpp"
#include "eventstore/cooperative_wait.hpp"

namespace mu::commands {

namespace {

// How long a retry waits for a committed call's response to be recorded.
constexpr auto kResponseWait = std::chrono::seconds(2);

}  // namespace

std::optional<domain::Error> validate_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 255) {
    return domain::invalid_argument("Idempotency-Key must be 1 to 255 characters");
  }
  for (char c : key) {
    if (c < 0x20 || c > 0x7E) {
      return domain::invalid_argument("Idempotency-Key must be printable ASCII");
    }
  }
  return std::nullopt;
}

std::string request_hash(std::string_view rpc, const std::vector<std::string>& params,
                         std::string_view org, std::string_view if_match, std::string_view body) {
  // Each part is length-prefixed, so that no two different requests hash alike.
  std::string text;
  auto add = [&text](std::string_view part) {
    text += std::to_string(part.size());
    text += ':';
    text += part;
  };
  add(rpc);
  for (const auto& p : params) add(p);
  add(org);
  add(if_match);
  add(body);
  return domain::sha256_hex(text);
}

domain::Result<std::optional<std::string>> earlier_response(Backend& b,
                                                            const api::CallContext& ctx) {
  const auto& key = *ctx.idempotency;
  const auto deadline = std::chrono::steady_clock::now() + kResponseWait;
  try {
    for (;;) {
      pqxx::nontransaction read(b.db.connection());
      auto record = b.db.idempotency().find(read, ctx.editor_id, key.key);
      if (!record) return std::optional<std::string>();
      if (record->request_hash != key.request_hash) {
        return domain::invalid_argument("Idempotency-Key was already used with another request (" +
                                        record->rpc + "); use a new key for a new request");
      }
      if (record->response) return std::optional<std::string>(*record->response);
      // Committed, response not recorded yet (it is, a moment after COMMIT).
      if (std::chrono::steady_clock::now() >= deadline) {
        return domain::Error{domain::Code::Aborted, "IDEMPOTENCY-lost",
                             "a call with this Idempotency-Key was applied (" +
                                 record->aggregate_type + " " + record->aggregate_id +
                                 " at sequence " + std::to_string(record->sequence) +
                                 ") but its response was not recorded; read the object"};
      }
      eventstore::pause_for(std::chrono::milliseconds(10));
    }
  } catch (const std::exception& e) {
    return b.db.failure(e);
  }
}

void remember_response(Backend& b, const api::CallContext& ctx, const std::string& response) {
  try {
    pqxx::nontransaction write(b.db.connection());
    b.db.idempotency().record_response(write, ctx.editor_id, ctx.idempotency->key, response);
  } catch (const std::exception& e) {
    (void)b.db.failure(e);
  }
}

}  // namespace mu::commands
