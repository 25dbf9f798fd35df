// The one way a call runs, whatever transport brought it. A transport decodes
// what it must to name the RPC (a route, a gRPC path), hands the call here, and
// encodes what comes back; everything in between is the same for all:
//
//   on the I/O thread: the Idempotency-Key's form; a worker, or ResourceExhausted
//   on a worker:       authentication and permission (authorization.hpp), the
//                      If-Match precondition, the request's decoding and
//                      validation (after authorization, as ZITADEL orders them),
//                      the handler, and the Idempotency-Key's replay/record
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/commands/auth_cache.hpp"
#include "app/commands/backend.hpp"
#include "app/pipeline/authorization.hpp"
#include "app/pipeline/rpc_table.hpp"
#include "app/platform/db_jobs.hpp"
#include "domain/ids.hpp"
#include "domain/result.hpp"

namespace mu::pipeline {

struct CallInput {
  const RpcEntry* rpc = nullptr;
  std::string transport;   // "rest", "grpc", "grpc-web": recorded with the events
  std::string request_id;  // checked by the transport (check_request_id)
  pipeline::Credentials credentials;
  std::optional<std::string> if_match;         // a sequence, W/"2", "*" (decode_if_match)
  std::optional<std::string> idempotency_key;  // honoured on writes only
  // What makes two calls with one key "the same request", beside the RPC, the
  // organization and the precondition: the path parameters and the body's bytes.
  std::vector<std::string> params;
  std::string body;
};

// The RPC's request message, and what the transport read beside it.
struct DecodedRequest {
  MessagePtr message;
  api::CallExtras extras{};
};

// Turns the body into the RPC's request; runs on the worker, after authorization.
using Decoder = std::function<domain::Result<DecodedRequest>(const CallInput&)>;

struct Outcome {
  domain::Result<MessagePtr> result = domain::Error{};
  api::ReplyMetadata reply{};  // what the handler answered beside the message
  std::string caller;          // the authenticated editor's id; empty before authentication
  // The response's canonical form (protojson), when the pipeline made it: a keyed
  // write's, which the idempotency store keeps, or an earlier call's, replayed.
  std::optional<std::string> json;
  bool replayed = false;  // the answer is an earlier call's with the same key
};

// The canonical (protojson) encoding of a response: what a keyed write records
// and what a retry with the key gets back, whichever transport asks.
using CanonicalJson = std::function<domain::Result<std::string>(const google::protobuf::Message&)>;

class CallPipeline {
 public:
  // `token_keys` (null: none) verify the JWTs the OAuth endpoints issued.
  CallPipeline(platform::DbJobs& pool, domain::IdGenerator& ids, commands::AuthCache& cache,
               commands::UserWriteModels& users, CanonicalJson canonical,
               const platform::SigningKeys* token_keys = nullptr)
      : pool_(pool),
        ids_(ids),
        cache_(cache),
        users_(users),
        canonical_(std::move(canonical)),
        token_keys_(token_keys) {}

  // Never blocks. `done` runs exactly once: on a worker, or at once on the
  // caller's thread when the call is refused before (bad key, every worker busy).
  void submit(CallInput in, Decoder decode, std::function<void(Outcome)> done);

  // The worker's part, on a database session the caller owns (tests, benchmarks).
  Outcome run(platform::DbSession& db, const CallInput& in, const Decoder& decode);

 private:
  platform::DbJobs& pool_;
  domain::IdGenerator& ids_;
  commands::AuthCache& cache_;
  commands::UserWriteModels& users_;
  CanonicalJson canonical_;
  const platform::SigningKeys* token_keys_;
};

}  // namespace mu::pipeline
