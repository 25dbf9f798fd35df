#include "app/rest/routes.hpp"

#include <array>
#include <vector>

namespace mu::rest {

namespace {

struct Route {
  std::string_view method;
  std::string_view pattern;  // segments; "{}" is the user id
  Rpc rpc;
};

constexpr std::array kRoutes = {
    Route{"GET", "/healthz", Rpc::Healthz},
    Route{"POST", "/users/machine", Rpc::AddMachineUser},
    Route{"PUT", "/users/{}/machine", Rpc::UpdateMachine},
    Route{"GET", "/users/{}", Rpc::GetUserByID},
    Route{"DELETE", "/users/{}", Rpc::RemoveUser},
    Route{"POST", "/users/{}/_deactivate", Rpc::DeactivateUser},
    Route{"POST", "/users/{}/_reactivate", Rpc::ReactivateUser},
    Route{"POST", "/users/{}/_lock", Rpc::LockUser},
    Route{"POST", "/users/{}/_unlock", Rpc::UnlockUser},
};

constexpr std::string_view kPrefix = "/management/v1";

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t pos = 1;  // after the leading '/'
  while (pos <= path.size()) {
    auto next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    out.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

// Matches the path against a pattern; returns the raw {} segment ("" if none).
std::optional<std::string_view> matches(const std::vector<std::string_view>& path,
                                        std::string_view pattern) {
  auto parts = split(pattern);
  if (parts.size() != path.size()) return std::nullopt;
  std::string_view param;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == "{}") {
      if (path[i].empty()) return std::nullopt;
      param = path[i];
    } else if (parts[i] != path[i]) {
      return std::nullopt;
    }
  }
  return param;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

domain::Result<RouteMatch> match_route(std::string_view method, std::string_view target) {
  std::string_view path = target.substr(0, target.find_first_of("?#"));
  if (path.starts_with(kPrefix) && (path.size() == kPrefix.size() || path[kPrefix.size()] == '/')) {
    path.remove_prefix(kPrefix.size());
  }
  if (path.empty() || path[0] != '/') return domain::Error{domain::Code::NotFound, "", "Not Found"};
  const auto segments = split(path);

  bool path_known = false;
  for (const auto& route : kRoutes) {
    auto param = matches(segments, route.pattern);
    if (!param) continue;
    path_known = true;
    if (route.method != method) continue;
    auto decoded = percent_decode(*param);
    if (!decoded) return domain::invalid_argument("malformed percent-encoding in path");
    return RouteMatch{route.rpc, std::move(*decoded)};
  }
  if (path_known) return domain::Error{domain::Code::Unimplemented, "", "Method Not Allowed"};
  return domain::Error{domain::Code::NotFound, "", "Not Found"};
}

}  // namespace mu::rest
