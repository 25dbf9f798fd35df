// What the fuzz targets share: everything a request goes through after the REST
// router and before the database, done the way app/pipeline and app/handlers do it
// (those link libpqxx, so the steps are repeated here over the same domain
// functions): decode_request into the RPC's generated message, then the handler's
// mapping of that message to its domain command, validation, decision, events and
// snapshots. And the oracles that turn a wrong answer into a crash.
//
// Oracles, always on:
//   - nothing throws (an exception leaving a target is a crash: the error path
//     must never throw), no sanitizer report, no failed assert;
//   - error_json(e) is JSON of grpc-gateway's shape with e's code;
//   - no request makes the decoder answer Internal (a client's mistake is never
//     a 500: every field of the request messages is one the reader reads);
//   - every path parameter wins over the body: the field its template names holds
//     the path's value after decoding;
//   - a write model survives its snapshot (to_snapshot, dump, parse, from_snapshot);
//   - the router returns as many non-empty parameters as its pattern has.
// Oracles with MU_FUZZ_STRICT=1 (what the hardening work is to guarantee,
// beyond not crashing):
//   - no value the service accepts (body field, path id) contains U+0000, which
//     PostgreSQL's text and jsonb refuse;
//   - a body the decoders accept is strict JSON: no byte-order mark, no
//     duplicate keys at any depth, UTF-8 throughout, numbers within double's
//     range (checked by an independent SAX pass, not by the decoders' reader);
//   - an accepted timestamp reads back from its RFC 3339 form, and a PAT's
//     expiration written into its event reads back as the same instant.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/commands/call_context.hpp"
#include "app/pipeline/call_pipeline.hpp"
#include "app/pipeline/rpc_table.hpp"
#include "app/rest/routes.hpp"
#include "domain/error.hpp"
#include "zitadel/admin.pb.h"
#include "zitadel/management.pb.h"

namespace mu::fuzz {

namespace mgmt = zitadel::management::v1;
namespace admin = zitadel::admin::v1;

// Reads MU_FUZZ_STRICT and builds the RPC table; call from LLVMFuzzerInitialize.
void init_from_environment();
bool strict();

// An oracle failed: one line on stderr ("FINDING: what: detail"), then abort(),
// which libFuzzer reports as a crash with the stack.
[[noreturn]] void finding(std::string_view what, std::string_view detail);

// Encodes the error as the REST layer answers it and checks the result.
void check_error(const domain::Error& e);

// With MU_FUZZ_STRICT=1: a body a decoder accepted is strict JSON (above).
void accepted_body(std::string_view body);

// With MU_FUZZ_STRICT=1: every timestamp set in the message (at any depth) reads
// back from its RFC 3339 form.
void accepted_timestamps(const google::protobuf::Message& message);

// The RPC of this name in the table (from the protos); aborts when there is none.
const pipeline::RpcEntry& rpc_named(std::string_view name);

// What match_route answers for a call of `rpc` with these path parameters (in the
// order of its template) and query.
rest::RouteMatch route_to(const pipeline::RpcEntry& rpc, std::vector<std::string> params,
                          std::string query = {});

// rest::decode_request, checked: a refusal's error encoded (nullopt), an accepted
// request's body strict and its path parameters in place.
std::optional<pipeline::DecodedRequest> decode(const rest::RouteMatch& route,
                                               std::string_view body);

// Validation, decision, events and snapshots of one decoded request (the handler's
// work without the database), from the message as the handler takes it.
void process(const mgmt::AddMachineUserRequest& req);
void process(const mgmt::UpdateMachineRequest& req);
void process(const mgmt::AddPersonalAccessTokenRequest& req);
void process(const mgmt::AddOrgRequest& req);
void process(const mgmt::AddOrgMemberRequest& req);
void process(const mgmt::UpdateOrgMemberRequest& req);
void process(const admin::AddIAMMemberRequest& req);
void process(const admin::UpdateIAMMemberRequest& req);
void process(const mgmt::ListUserChangesRequest& req);
void process(const admin::ListEventsRequest& req, const api::CallExtras& extras);

// Any decoded request, by its message's type; RPCs whose request carries nothing
// to check (GetMyOrg, ListEventTypes, ...) are left alone.
void process(const pipeline::DecodedRequest& decoded);

// decode, then process.
void decode_and_process(const rest::RouteMatch& route, std::string_view body);

// What the call pipeline does with a routed call once the caller is authorized:
// If-Match, then the request's decoding and processing.
void dispatch(const rest::RouteMatch& m, std::string_view body,
              const std::optional<std::string>& if_match);

// The router's answer for (method, target), checked, and dispatched when it matched.
void route_and_dispatch(std::string_view method, std::string_view target, std::string_view body,
                        const std::optional<std::string>& if_match);

}  // namespace mu::fuzz
