// What a handler learns of its call beside the request message, and what it may
// answer beside the response message. The messages themselves are the generated
// protobuf ones (proto/zitadel/*.proto), the same for every transport.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "domain/audit.hpp"
#include "domain/time.hpp"

namespace mu::api {

// Idempotency-Key of a write: a retry with the same key and request gets the
// first response; the key is recorded with the call's events.
struct IdempotencyKey {
  std::string key;
  std::string request_hash;  // hex SHA-256 of the RPC, its parameters and its body
  std::string rpc;           // the method's name, e.g. "AddOrg"
};

// Ours, not in ZITADEL's messages: what REST reads beside the message (the query's asOf,
// ListEvents' afterPosition). gRPC callers leave them unset.
struct CallExtras {
  // GetUserByID: the user as of a sequence or a time, folded from its events.
  std::optional<domain::AsOf> as_of = std::nullopt;
  // ListEvents: the position of the last event the caller has seen.
  std::uint64_t after_position = 0;
};

// Ours, answered beside the message: REST headers, gRPC response metadata.
struct ReplyMetadata {
  // ListEvents: where the next page in the same direction starts (X-Next-Position).
  std::optional<std::uint64_t> next_position = std::nullopt;
};

// Who calls and where: the organization the call acts in, and the editor whose
// id every event records as its creator.
struct CallContext {
  std::string org_id;
  std::string editor_id;
  // The call's permission comes from an instance-wide role (IAM_OWNER, IAM_OWNER_VIEWER),
  // not only from one in org_id: instance-wide reads (ListEvents) look at every org.
  bool instance_wide = false;
  // If-Match: the sequence the caller last saw of the object it writes; a write
  // on an object that has moved on since is Aborted instead of applied.
  std::optional<std::uint64_t> expected_sequence = std::nullopt;
  std::optional<IdempotencyKey> idempotency = std::nullopt;
  // The RPC, transport and request id, recorded with every event the call writes.
  domain::Origin origin{};
  CallExtras extras{};
  // The one thing a handler writes to: answered with its response.
  mutable ReplyMetadata reply{};
};

// zitadel.v1.ObjectDetails as the command core and the read models know it.
struct ObjectDetails {
  std::uint64_t sequence = 0;
  domain::Timestamp creation_date{};
  domain::Timestamp change_date{};
  std::string resource_owner;
};

}  // namespace mu::api
