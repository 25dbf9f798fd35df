#include "eventstore/connection_options.hpp"

#include <utility>
#include <vector>

namespace mu::eventstore {

namespace {

const std::vector<std::pair<std::string, std::string>>& defaults() {
  static const std::vector<std::pair<std::string, std::string>> d = {
      {"connect_timeout", "3"},     {"keepalives", "1"},       {"keepalives_idle", "5"},
      {"keepalives_interval", "2"}, {"keepalives_count", "3"}, {"tcp_user_timeout", "10000"}};
  return d;
}

bool is_uri(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
}

// Whether the URI's query string names `key` (before '#', between '?'/'&' and '=').
bool uri_sets(const std::string& url, const std::string& key) {
  const auto query = url.find('?');
  if (query == std::string::npos) return false;
  const std::string q = url.substr(query + 1, url.find('#', query) - query - 1);
  for (std::size_t start = 0; start <= q.size();) {
    auto end = q.find('&', start);
    if (end == std::string::npos) end = q.size();
    const std::string item = q.substr(start, end - start);
    if (item.substr(0, item.find('=')) == key) return true;
    start = end + 1;
  }
  return false;
}

// Whether a key=value connection string sets `key` (keys are words followed by '=', with
// optional spaces around it; a value in single quotes may hold anything).
bool keyword_sets(const std::string& conninfo, const std::string& key) {
  std::size_t i = 0;
  const auto n = conninfo.size();
  while (i < n) {
    while (i < n && std::isspace(static_cast<unsigned char>(conninfo[i]))) ++i;
    const auto key_start = i;
    while (i < n && conninfo[i] != '=' && !std::isspace(static_cast<unsigned char>(conninfo[i]))) {
      ++i;
    }
    const std::string k = conninfo.substr(key_start, i - key_start);
    while (i < n && std::isspace(static_cast<unsigned char>(conninfo[i]))) ++i;
    if (i < n && conninfo[i] == '=') ++i;
    while (i < n && std::isspace(static_cast<unsigned char>(conninfo[i]))) ++i;
    if (i < n && conninfo[i] == '\'') {
      for (++i; i < n && conninfo[i] != '\''; ++i) {
        if (conninfo[i] == '\\') ++i;
      }
      ++i;
    } else {
      while (i < n && !std::isspace(static_cast<unsigned char>(conninfo[i]))) ++i;
    }
    if (k == key) return true;
  }
  return false;
}

}  // namespace

std::string with_connection_defaults(const std::string& url) {
  std::string out = url;
  if (is_uri(url)) {
    const auto fragment = out.find('#');
    std::string tail = fragment == std::string::npos ? "" : out.substr(fragment);
    if (fragment != std::string::npos) out.erase(fragment);
    for (const auto& [key, value] : defaults()) {
      if (uri_sets(url, key)) continue;
      out += (out.find('?') == std::string::npos ? "?" : "&") + key + "=" + value;
    }
    return out + tail;
  }
  for (const auto& [key, value] : defaults()) {
    if (keyword_sets(url, key)) continue;
    out += (out.empty() ? "" : " ") + key + "=" + value;
  }
  return out;
}

}  // namespace mu::eventstore
