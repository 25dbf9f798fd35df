#include "app/rest/routes.hpp"

#include <array>
#include <vector>

#include "domain/unicode.hpp"

namespace mu::rest {

namespace {

// A route: the verb and the template's segments; "{field}" is a parameter.
struct Route {
  const pipeline::RpcEntry* rpc;
  std::vector<std::string> pattern;
};

bool strip_prefix(std::string_view& path, std::string_view prefix) {
  if (!path.starts_with(prefix) || (path.size() != prefix.size() && path[prefix.size()] != '/'))
    return false;
  path.remove_prefix(prefix.size());
  return true;
}

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  out.reserve(8);       // one allocation for the paths the API has
  std::size_t pos = 1;  // after the leading '/'
  while (pos <= path.size()) {
    auto next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    out.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

bool is_parameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

const std::vector<Route>& routes() {
  static const std::vector<Route> table = [] {
    std::vector<Route> out;
    for (const auto& rpc : pipeline::rpc_table()) {
      Route r{&rpc, {}};
      for (auto part : split(rpc.http.path)) r.pattern.emplace_back(part);
      out.push_back(std::move(r));
    }
    return out;
  }();
  return table;
}

// Matches the path against a pattern; returns the raw {} segments.
std::optional<std::vector<std::string_view>> matches(const std::vector<std::string_view>& path,
                                                     const std::vector<std::string>& parts) {
  if (parts.size() != path.size()) return std::nullopt;
  // Compared first, gathered after: most routes tried do not match, and need no vector.
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (is_parameter(parts[i]) ? path[i].empty() : parts[i] != path[i]) return std::nullopt;
  }
  std::vector<std::string_view> params;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (is_parameter(parts[i])) params.push_back(path[i]);
  }
  return params;
}

}  // namespace

std::optional<domain::Error> check_path_parameter(std::string_view decoded) {
  if (auto problem = domain::identifier_problem(decoded, kMaxPathParameterBytes)) {
    return domain::invalid_argument("a path parameter " + std::string(*problem) + " (at most " +
                                    std::to_string(kMaxPathParameterBytes) +
                                    " bytes of UTF-8 without control characters)");
  }
  return std::nullopt;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = domain::hex_digit_value(s[i + 1]), lo = domain::hex_digit_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

domain::Result<std::optional<std::string>> query_parameter(std::string_view query,
                                                           std::string_view name) {
  std::optional<std::string> found;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == query.npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    if (found)
      return domain::invalid_argument("query parameter " + std::string(name) + " given twice");
    std::string value(eq == pair.npos ? std::string_view() : pair.substr(eq + 1));
    for (auto& c : value) {
      if (c == '+') c = ' ';
    }
    auto decoded = percent_decode(value);
    if (!decoded) {
      return domain::invalid_argument("query parameter " + std::string(name) +
                                      " has a malformed %-escape");
    }
    found = std::move(*decoded);
  }
  return found;
}

domain::Result<RouteMatch> match_route(std::string_view method, std::string_view target) {
  std::string_view path = target.substr(0, target.find_first_of("?#"));
  // A prefix names the service; routes are also served without it.
  std::string_view prefixed;
  for (const auto& route : routes()) {
    if (strip_prefix(path, route.rpc->rest_prefix)) {
      prefixed = route.rpc->rest_prefix;
      break;
    }
  }
  const domain::Error not_found{domain::Code::NotFound, "", "Not Found"};
  if (path.empty() || path[0] != '/') return not_found;
  const auto segments = split(path);

  bool path_known = false;
  for (const auto& route : routes()) {
    if (!prefixed.empty() && route.rpc->rest_prefix != prefixed) continue;
    auto params = matches(segments, route.pattern);
    if (!params) continue;
    path_known = true;
    if (route.rpc->http.verb != method) continue;
    RouteMatch m{route.rpc, {}, {}, {}};
    for (const auto& part : route.pattern) {
      if (is_parameter(part)) m.fields.push_back(part.substr(1, part.size() - 2));
    }
    if (const auto q = target.find('?'); q != target.npos) {
      m.query = std::string(target.substr(q + 1, target.find('#', q) - (q + 1)));
    }
    for (auto raw : *params) {
      auto decoded = percent_decode(raw);
      if (!decoded) return domain::invalid_argument("malformed percent-encoding in path");
      // Ids reach PostgreSQL as C strings: a NUL would cut one short and name another
      // object, and bytes that are not UTF-8 would fail there as an internal error.
      if (auto bad = check_path_parameter(*decoded)) return *bad;
      m.params.push_back(std::move(*decoded));
    }
    return m;
  }
  if (path_known) return domain::Error{domain::Code::Unimplemented, "", kMethodNotAllowed};
  return not_found;
}

}  // namespace mu::rest
