// What the fuzz targets share: everything a request goes through after the
// REST decoders and before the database, done the way app/rest/rest_api.cpp and
// app/handlers do it (those link libpqxx, so the steps are repeated here over the
// same domain functions), and the oracles that turn a wrong answer into a crash.
//
// Oracles, always on:
//   - nothing throws (an exception leaving a target is a crash: the error path
//     must never throw), no sanitizer report, no failed assert;
//   - error_json(e) is JSON of grpc-gateway's shape with e's code;
//   - a write model survives its snapshot (to_snapshot, dump, parse, from_snapshot);
//   - the router returns as many parameters as its pattern has.
// Oracles with MU_FUZZ_STRICT=1 (what the hardening work is to guarantee,
// beyond not crashing; opt-in while some of it is still open):
//   - no value the service accepts (body field, path id) contains U+0000, which
//     PostgreSQL's text and jsonb refuse;
//   - a body the decoders accept is strict JSON: no byte-order mark, no
//     duplicate keys at any depth, UTF-8 throughout, numbers within double's
//     range (checked by an independent SAX pass, not by the decoders' reader);
//   - a PAT's expiration written into its event reads back as the same instant.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "app/commands/call_context.hpp"
#include "app/rest/routes.hpp"
#include "domain/error.hpp"
#include "domain/org.hpp"
#include "domain/result.hpp"

namespace mu::fuzz {

// Reads MU_FUZZ_STRICT; call from LLVMFuzzerInitialize.
void init_from_environment();
bool strict();

// An oracle failed: one line on stderr ("FINDING: what: detail"), then abort(),
// which libFuzzer reports as a crash with the stack.
[[noreturn]] void finding(std::string_view what, std::string_view detail);

// Encodes the error as the REST layer answers it and checks the result.
void check_error(const domain::Error& e);

// Validation, decision, events and snapshots of one decoded request (the
// handlers' work without the database).
void process(const api::AddMachineUserRequest& req);
void process(const api::UpdateMachineRequest& req);
void process(const api::AddPersonalAccessTokenRequest& req);
void process(const api::AddOrgRequest& req);
void process(domain::ScopeKind kind, bool update, const api::AddMemberRequest& req);

// With MU_FUZZ_STRICT=1: a body a decoder accepted is strict JSON (above).
void accepted_body(std::string_view body);

// A decoder's result: its error encoded, or the request processed.
template <class Request>
void process_result(std::string_view body, const domain::Result<Request>& decoded) {
  if (!decoded.ok()) return check_error(decoded.error());
  accepted_body(body);
  process(*decoded);
}

// ListUserChanges' body and path id: decoded, validated, its page size checked.
void list_user_changes(std::string_view body, const std::string& id);

// What rest_api.cpp does with a routed call once the caller is authorized:
// If-Match, then the RPC's decoder (or path ids) and the request's processing.
void dispatch(const rest::RouteMatch& m, std::string_view body,
              const std::optional<std::string>& if_match);

// The router's answer for (method, target), checked, and dispatched when it matched.
void route_and_dispatch(std::string_view method, std::string_view target, std::string_view body,
                        const std::optional<std::string>& if_match);

}  // namespace mu::fuzz
