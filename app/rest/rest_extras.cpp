#include "app/rest/rest_extras.hpp"

#include <limits>

#include "app/rest/json_reader.hpp"
#include "app/rest/routes.hpp"
#include "domain/audit.hpp"

namespace mu::rest {

namespace {

using nlohmann::json;

std::optional<domain::Error> read_as_of(std::string_view query, api::CallExtras& out) {
  auto as_of = query_parameter(query, "asOf");
  if (!as_of.ok()) return as_of.error();
  if (!*as_of) return std::nullopt;
  auto at = domain::parse_as_of(**as_of);
  if (!at.ok()) return at.error();
  out.as_of = *at;
  return std::nullopt;
}

// A uint64 as protojson takes it (a number without a fraction, or decimal digits), up to
// int64's maximum: positions are bigints.
std::optional<domain::Error> read_after_position(const json& body, api::CallExtras& out) {
  const json* v = nullptr;
  for (const char* name : {"afterPosition", "after_position"}) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) continue;
    if (v) return domain::invalid_argument("duplicate field \"afterPosition\"");
    v = &*it;
  }
  if (!v) return std::nullopt;
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t n = 0;
  bool ok = false;
  if (v->is_number_unsigned()) {
    n = v->get<std::uint64_t>();
    ok = true;
  } else if (v->is_number_float()) {
    const double d = v->get<double>();
    ok = d >= 0 && d <= static_cast<double>(kMax) &&
         d == static_cast<double>(static_cast<std::uint64_t>(d));
    if (ok) n = static_cast<std::uint64_t>(d);
  } else if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    ok = !s.empty() && s.size() <= 20 && s.find_first_not_of("0123456789") == std::string::npos;
    if (ok) {
      try {
        n = std::stoull(s);
      } catch (const std::exception&) {
        ok = false;
      }
    }
  }
  if (!ok || n > kMax) {
    return domain::invalid_argument("invalid value for uint64 field afterPosition: " +
                                    excerpt(v->dump()));
  }
  out.after_position = n;
  return std::nullopt;
}

}  // namespace

domain::Result<api::CallExtras> read_extras(const pipeline::RpcEntry& rpc, const json& body,
                                            std::string_view query) {
  api::CallExtras out;
  std::optional<domain::Error> error;
  if (rpc.name == "GetUserByID") error = read_as_of(query, out);
  if (rpc.name == "ListEvents") error = read_after_position(body, out);
  if (error) return *error;
  return out;
}

}  // namespace mu::rest
