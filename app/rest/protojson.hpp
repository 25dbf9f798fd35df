// protojson's reading and writing rules, as grpc-gateway applies them to ZITADEL's
// REST API, over the generated messages (by reflection, so every RPC's message is
// read and written by the same code):
//   reading: lowerCamel or proto field names, unknown fields ignored, null as "not
//     set", enums by name or number, wrong types rejected, 64-bit integers as numbers
//     or decimal strings, google.protobuf.Timestamp as RFC 3339, one member per oneof;
//   writing: protobuf's own JSON printer (lowerCamel names, default values left out,
//     64-bit integers as strings, enums by name), map keys in order.
#pragma once

#include <string>
#include <string_view>

#include <google/protobuf/message.h>
#include <nlohmann/json.hpp>

#include "domain/error.hpp"
#include "domain/result.hpp"

namespace mu::rest {

// The request body as a JSON object (json_reader.hpp's strict reading); an empty
// body is an empty message.
domain::Result<nlohmann::json> parse_message(std::string_view body);

// Sets the fields of `out` that `object` names; the errors say which field and why
// (InvalidArgument, no id), as the REST contract documents them.
std::optional<domain::Error> fill_message(const nlohmann::json& object,
                                          google::protobuf::Message& out);

// The common case of the two above in one pass, with no JSON document in between: the body
// into `out` when it is plainly valid (whitespace only, or a JSON object whose keys all name
// fields of the message, each once, with values of their types, and at most one member per
// oneof). Then `out` is what parse_message and fill_message would make of it, and true is
// returned. Anything else (an unknown key, a wrong value, bad JSON) returns false with `out`
// cleared: the two above read it then, and name what is wrong in the order they always have.
bool fill_message_direct(std::string_view body, google::protobuf::Message& out);

// The message as protojson; the same message is always the same bytes.
domain::Result<std::string> print_message(const google::protobuf::Message& message);

}  // namespace mu::rest
