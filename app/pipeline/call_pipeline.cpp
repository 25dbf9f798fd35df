#include "app/pipeline/call_pipeline.hpp"

#include <memory>

#include "app/commands/idempotency.hpp"
#include "app/pipeline/preconditions.hpp"
#include "app/pipeline/rpc_table.hpp"
#include "app/platform/metrics.hpp"
#include "mu/options.pb.h"

namespace mu::pipeline {

namespace {

Outcome failed(domain::Error e, std::string caller = {}) {
  Outcome out;
  out.result = std::move(e);
  out.caller = std::move(caller);
  return out;
}

// The answer without its fields marked (mu.v1.secret), for the Idempotency-Key's record;
// nullptr when it has none.
std::unique_ptr<google::protobuf::Message> without_secrets(const google::protobuf::Message& m) {
  std::unique_ptr<google::protobuf::Message> copy;
  const auto* type = m.GetDescriptor();
  for (int i = 0; i < type->field_count(); ++i) {
    const auto* field = type->field(i);
    if (!field->options().GetExtension(mu::v1::secret)) continue;
    if (!copy) {
      copy.reset(m.New());
      copy->CopyFrom(m);
    }
    copy->GetReflection()->ClearField(copy.get(), field);
  }
  return copy;
}

}  // namespace

void CallPipeline::submit(CallInput in, Decoder decode, std::function<void(Outcome)> done) {
  // The key's form is checked before a worker is taken: it needs no database.
  if (in.idempotency_key && in.rpc->writes) {
    if (auto bad = commands::validate_idempotency_key(*in.idempotency_key)) {
      return done(failed(*bad));
    }
  }
  // One allocation for what the job owns; the job itself must be copyable.
  struct Job {
    CallInput in;
    Decoder decode;
    std::function<void(Outcome)> done;
  };
  auto job = std::make_shared<Job>(Job{std::move(in), std::move(decode), done});
  const bool queued = pool_.try_submit(
      [this, job](platform::DbSession& db) { job->done(run(db, job->in, job->decode)); });
  if (!queued) {
    done(failed(domain::Error{domain::Code::ResourceExhausted, "",
                              "the service is at capacity; retry shortly"}));
  }
}

Outcome CallPipeline::run(platform::DbSession& db, const CallInput& in, const Decoder& decode) {
  const auto& rpc = *in.rpc;
  commands::Backend backend{db, ids_, cache_, users_};

  // Authentication, permission, then the request's validation and the command.
  auto ctx = pipeline::authorize(backend, in.credentials, rpc.permission, token_keys_);
  if (!ctx.ok()) return failed(ctx.error());
  std::string caller = ctx->editor_id;
  ctx->origin = {rpc.full_name, in.transport, in.request_id};
  auto expected = decode_if_match(in.if_match);
  if (!expected.ok()) return failed(expected.error(), caller);
  ctx->expected_sequence = *expected;
  if (in.idempotency_key && rpc.writes) {
    ctx->idempotency = api::IdempotencyKey{
        *in.idempotency_key,
        commands::request_hash(rpc.name, in.params, in.credentials.org_id.value_or(""),
                               in.if_match.value_or(""), in.body),
        rpc.name};
  }

  auto request = decode(in);
  if (!request.ok()) return failed(request.error(), caller);
  ctx->extras = request->extras;
  auto result = rpc.handle(backend, *ctx, *request->message);

  Outcome out;
  out.caller = std::move(caller);
  if (!result.ok()) {
    // With a key, a failed call may be a retry of one that succeeded (or one that lost
    // to a concurrent call with the key, on the key itself or on what that call wrote,
    // such as a user name): it answers as that call did. No lookup on the way in: the
    // key is claimed in the write's own transaction, so a first call costs nothing more.
    if (ctx->idempotency) {
      auto earlier = commands::earlier_response(backend, *ctx);
      if (!earlier.ok()) return failed(earlier.error(), out.caller);
      if (*earlier) {
        ++platform::metrics().idempotent_replays;
        out.json = std::move(**earlier);
        out.replayed = true;
        out.result = domain::Error{};  // unused: the replayed JSON is the answer
        return out;
      }
    }
    out.result = result.error();
    return out;
  }
  if (ctx->idempotency) {
    // Committed: should the answer not print, the retry learns what was written instead.
    auto json = canonical_(**result);
    if (!json.ok()) return failed(json.error(), out.caller);
    out.json = std::move(*json);
    // A secret shown once is not kept: a replay answers without it.
    if (const auto kept = without_secrets(**result)) {
      auto recorded = canonical_(*kept);
      if (!recorded.ok()) return failed(recorded.error(), out.caller);
      commands::remember_response(backend, *ctx, *recorded);
    } else {
      commands::remember_response(backend, *ctx, *out.json);
    }
  }
  out.reply = ctx->reply;
  out.result = std::move(result);
  return out;
}

}  // namespace mu::pipeline
