// The command line and environment of `machine-users`. Pure, so that every
// flag and its error are unit-tested.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "domain/result.hpp"

namespace mu::cli {

int default_io_threads();

struct ServeConfig {
  std::string database_url;
  // A standby's URL: GetUserByID, ListUserChanges and ListEvents read there when it has
  // replayed every acknowledged write (DbSession::reader); empty: all reads on database_url.
  std::string read_database_url;
  std::string listen_host = "127.0.0.1";
  unsigned short listen_port = 8080;
  int db_connections = 8;  // database sessions, one connection each
  // I/O threads (HTTP, and the database sessions' fibers): half the cores, at least one,
  // leaving the rest to PostgreSQL and to the load when they share the machine.
  int io_threads = default_io_threads();
  std::size_t queue_capacity = 1024;  // calls waiting for a session before 429
  // Where the sessions run: "io" (fibers on the I/O threads, platform::FiberPool) or
  // "workers" (a thread each, platform::WorkerPool).
  std::string db_executor = "io";
  // Users whose write models (state, sequence, hash) are kept in memory for commands.
  std::size_t write_cache_entries = 20000;
  int read_timeout_seconds = 30;  // before every read, idle keep-alive included
  // Projections this process reduces asynchronously (and runs a runner for); the
  // others are reduced inline in the commands' transactions.
  std::vector<std::string> async_projections;
  // Seals: the Ed25519 key that signs them (empty: this instance does not
  // seal), the JSON-lines log each seal is appended to (empty: none), how often.
  std::string seal_key;
  std::string seal_log;
  int seal_interval_seconds = 60;
  // Browser origins that may call gRPC-Web (CORS): exact origins, or "*". None by default.
  std::vector<std::string> cors_origins;
  // OAuth: the RSA key (PEM, made by setup) that signs issued tokens (empty: no tokens are
  // issued), keys whose tokens are still accepted after a rotation, the issuer (the
  // service's external origin; empty: http://<the request's Host>), access token lifetime.
  std::string signing_key;
  std::vector<std::string> verification_keys;
  std::string issuer;
  int token_lifetime_seconds = 12 * 3600;
};

struct SetupConfig {
  std::string org_name;
  std::string admin_user;
  std::string token_file;
  std::string seal_key;     // created (mode 0600, and KEY.pub) unless there; empty: none
  std::string signing_key;  // created (mode 0600) unless there; empty: none
};

struct Invocation {
  enum class Kind { Serve, Migrate, Setup, Projections, Audit, Help } kind = Kind::Help;
  ServeConfig config;
  SetupConfig setup;
  std::string help;  // the text to print for Kind::Help
  // `projections SUBCOMMAND [ARGS]`: the words after `projections` that are not flags
  // this parser knows (--database-url), checked by the projections tool itself.
  std::vector<std::string> projections_args;
  // `audit SUBCOMMAND [ARGS]`: the same for the audit tool (--database-url is this
  // parser's). Its --help is this parser's too, except after verify|seal, whose tool
  // owns its words.
  std::vector<std::string> audit_args;
};

using Env = std::function<std::optional<std::string>(const std::string&)>;

// Errors are one line, meant for stderr, e.g. "unknown flag --prot for serve".
domain::Result<Invocation> parse_command_line(const std::vector<std::string>& args, const Env& env);

// "host:port", "[v6]:port" or ":port"; nullopt when malformed.
std::optional<std::pair<std::string, unsigned short>> parse_listen_address(const std::string& text);

}  // namespace mu::cli
