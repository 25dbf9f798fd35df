// protojson's reading and writing rules, as grpc-gateway applies them to
// ZITADEL's REST API: lowerCamel or proto field names, unknown fields ignored,
// null as "not set", enums by name or number, wrong types rejected, uint64 as a
// string, google.protobuf.Timestamp as RFC 3339, default values left out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/error.hpp"
#include "domain/result.hpp"
#include "domain/time.hpp"

namespace mu::rest {

// The request body as a JSON object; an empty body is an empty message.
domain::Result<nlohmann::json> parse_message(std::string_view body);

// A field of a request message, found by its JSON name or its proto name.
struct Field {
  std::string_view json_name;   // "accessTokenType"
  std::string_view proto_name;  // "access_token_type"
};

// Each reader leaves `out` alone when the field is absent or null.
std::optional<domain::Error> read_string(const nlohmann::json& msg, Field f, std::string& out);
// A string with presence (proto3 `optional`): left unset when absent or null.
std::optional<domain::Error> read_optional_string(const nlohmann::json& msg, Field f,
                                                  std::optional<std::string>& out);

// An enum by its name or its number. Numbers are taken as they are (protojson's
// enums are open); the request's validation then refuses undefined ones.
using EnumNames = std::vector<std::pair<std::string_view, int>>;
std::optional<domain::Error> read_enum(const nlohmann::json& msg, Field f, const EnumNames& names,
                                       int& out);

// A repeated string field: a JSON array of strings.
std::optional<domain::Error> read_strings(const nlohmann::json& msg, Field f,
                                          std::vector<std::string>& out);

// A google.protobuf.Timestamp: an RFC 3339 string.
std::optional<domain::Error> read_timestamp(const nlohmann::json& msg, Field f,
                                            std::optional<domain::Timestamp>& out);

// An unsigned integer (uint32 or uint64) up to `max`: a JSON number without a
// fraction, or a string of decimal digits (how protojson writes a uint64).
std::optional<domain::Error> read_unsigned(const nlohmann::json& msg, Field f, std::uint64_t max,
                                           std::uint64_t& out);

// A bool: JSON true or false.
std::optional<domain::Error> read_bool(const nlohmann::json& msg, Field f, bool& out);

// A message field: the JSON object, or nullptr when absent or null.
domain::Result<const nlohmann::json*> read_message(const nlohmann::json& msg, Field f);

// Writing: a uint64 as protojson writes it (a decimal string).
inline std::string uint64_string(std::uint64_t v) {
  return std::to_string(v);
}

}  // namespace mu::rest
