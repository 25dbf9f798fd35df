// A JSON value as PostgreSQL's jsonb prints it (jsonb::text), computed here so that an
// event's hash (domain/event_hash.hpp hashes "payload: jsonb's text") can be taken before
// the event reaches the database: the one-statement append (eventstore::EventStore::
// append_one) sends the hash instead of asking PostgreSQL to compute it.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace mu::domain {

// jsonb's text: object keys sorted by byte length, then bytes (jsonb's order); ", " between
// members and elements, ": " after keys; strings escaped as PostgreSQL's escape_json does.
// nullopt for what jsonb might print otherwise than this function (floating-point numbers,
// whose numeric text is PostgreSQL's own, and strings holding U+0000, which jsonb refuses):
// the caller then lets PostgreSQL do it.
std::optional<std::string> jsonb_text(const nlohmann::json& value);

}  // namespace mu::domain
