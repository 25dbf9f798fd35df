#include "app/runtime/config.hpp"

#include <algorithm>
#include <charconv>

#include "app/runtime/audit_command.hpp"
#include "projections/registry.hpp"

namespace mu::runtime {

namespace {

constexpr const char* kMainHelp =
    R"(machine-users: ZITADEL-compatible machine users on an event-sourced core

Usage:
  machine-users serve [flags]     migrate the database, then serve the REST API
  machine-users migrate [flags]   apply pending migrations and exit
  machine-users setup [flags]     first run: an organization, an IAM_OWNER machine user, a token
  machine-users projections ...   list, replay or verify the read models (projections --help)
  machine-users audit ...         events, a user's history or its state as of a moment, and
                                  the event store's tamper evidence (audit --help)
  machine-users <command> --help  flags of a command

Environment:
  DATABASE_URL     libpq URI of the PostgreSQL database (required)
  LISTEN_ADDRESS   host:port to serve on (default 127.0.0.1:8080)
)";

constexpr const char* kServeHelp = R"(Usage: machine-users serve [flags]

Applies pending migrations, then serves the API until SIGINT or SIGTERM,
after which it stops accepting, finishes the calls in flight and exits 0.

Flags (override the environment):
  --database-url URL     libpq URI (env DATABASE_URL)
  --listen HOST:PORT     address to serve on (env LISTEN_ADDRESS, default 127.0.0.1:8080;
                         port 0 picks a free port)
  --db-connections N     database worker threads, one connection each (default 8)
  --io-threads N         HTTP I/O threads (default 2)
  --queue N              calls waiting for a worker before 429 is answered (default 1024)
  --write-cache N        users whose write models are kept in memory, so that a command
                         on one of them is one database statement (default 20000,
                         about 0.5 KiB each)
  --read-timeout S       seconds a connection may take to send a request, or stay idle
                         between requests, before it is closed (default 30)
  --async-projections L  comma-separated projections to reduce asynchronously, after
                         COMMIT, by a runner (env MU_ASYNC_PROJECTIONS; default none:
                         all inline). Only "users" may run async.
  --seal-key FILE        the Ed25519 key (PEM, made by setup) that signs the seals: this
                         instance runs a sealer (env MU_SEAL_KEY; default none: no seals)
  --seal-log FILE        JSON-lines file every seal is appended to (env MU_SEAL_LOG)
  --seal-interval S      seconds between seals (env MU_SEAL_INTERVAL, default 60)
  --cors-origins L       comma-separated browser origins allowed to call gRPC-Web, e.g.
                         https://console.example.com, or * for any (env MU_CORS_ORIGINS;
                         default none)
  -h, --help             this text

REST, gRPC-Web and gRPC (HTTP/2 without TLS) share the one address.
)";

constexpr const char* kMigrateHelp = R"(Usage: machine-users migrate [flags]

Applies the pending migrations (each once, in order, each in its own transaction,
under an advisory lock) and exits. A migration changed after it was applied stops
it with a message naming the file.

Flags (override the environment):
  --database-url URL     libpq URI (env DATABASE_URL)
  -h, --help             this text
)";

constexpr const char* kSetupHelp =
    R"(Usage: machine-users setup --org-name NAME --admin-user USERNAME --token-file PATH [flags]

Migrates, then creates (unless they exist) the organization NAME and in it the
machine user USERNAME holding IAM_OWNER, and writes a new personal access token
of that user to PATH (mode 0600, replacing the file). Safe to run again: each run
only adds one more token.

Flags (override the environment):
  --org-name NAME        the first organization
  --admin-user USERNAME  its administrator (a machine user)
  --token-file PATH      where the token goes
  --seal-key FILE        also create the seal key there (mode 0600) and its public half
                         in FILE.pub, unless FILE exists (env MU_SEAL_KEY)
  --database-url URL     libpq URI (env DATABASE_URL)
  -h, --help             this text
)";

constexpr const char* kProjectionsHelp =
    R"(Usage: machine-users projections COMMAND [flags]
The read models and their rebuilds. Commands:
  list [--json]              name, version, mode, checkpoint, events and seconds behind,
                             failed events: a table, or JSON with --json
  replay NAME|--all          rebuild from the first event; "users" is rebuilt beside the
                             live table and swapped in (reads and writes go on), the others
                             in place under their write lock
  verify NAME|--all          rebuild into scratch tables and print the rows that differ
                             from the live read model; exit 1 if any
Flags:
  --database-url URL         libpq URI (env DATABASE_URL)
  --async-projections L      which projections the service runs async (env
                             MU_ASYNC_PROJECTIONS), for `list`'s mode column
  -h, --help                 this text
)";

domain::Error usage(std::string message) {
  return domain::invalid_argument(std::move(message));
}

std::optional<int> parse_positive(const std::string& s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

}  // namespace

std::optional<std::pair<std::string, unsigned short>> parse_listen_address(
    const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string host = text.substr(0, colon);
  const std::string port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return std::nullopt;
  }
  return std::pair{host, static_cast<unsigned short>(port)};
}

domain::Result<Invocation> parse_command_line(const std::vector<std::string>& args,
                                              const Env& env) {
  Invocation inv;
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    inv.help = kMainHelp;
    return inv;
  }
  const std::string& command = args[0];
  if (command == "serve") {
    inv.kind = Invocation::Kind::Serve;
  } else if (command == "migrate") {
    inv.kind = Invocation::Kind::Migrate;
  } else if (command == "setup") {
    inv.kind = Invocation::Kind::Setup;
  } else if (command == "projections") {
    inv.kind = Invocation::Kind::Projections;
  } else if (command == "audit") {
    inv.kind = Invocation::Kind::Audit;
    // `audit` alone and `audit help` are its usage, with or without a database.
    if (args.size() == 1 || args[1] == "help") {
      inv.kind = Invocation::Kind::Help;
      inv.help = audit_help();
      return inv;
    }
  } else {
    return usage("unknown command \"" + command + "\" (try --help)");
  }

  ServeConfig& c = inv.config;
  if (auto url = env("DATABASE_URL")) c.database_url = *url;
  std::string async_list = env("MU_ASYNC_PROJECTIONS").value_or("");
  std::string listen = env("LISTEN_ADDRESS").value_or("127.0.0.1:8080");
  c.seal_key = env("MU_SEAL_KEY").value_or("");
  inv.setup.seal_key = c.seal_key;
  c.seal_log = env("MU_SEAL_LOG").value_or("");
  std::optional<std::string> seal_interval = env("MU_SEAL_INTERVAL");
  std::string cors_list = env("MU_CORS_ORIGINS").value_or("");
  bool listen_from_flag = false;

  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string flag = args[i];
    std::optional<std::string> value;
    if (auto eq = flag.find('='); flag.starts_with("--") && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    // The integrity tool (audit verify|seal) owns its words, its --help included.
    const bool integrity_tool =
        command == "audit" && !inv.audit_args.empty() &&
        (inv.audit_args.front() == "verify" || inv.audit_args.front() == "seal");
    if ((flag == "-h" || flag == "--help") && !integrity_tool) {
      inv.kind = Invocation::Kind::Help;
      inv.help = command == "serve"         ? kServeHelp
                 : command == "setup"       ? kSetupHelp
                 : command == "projections" ? kProjectionsHelp
                 : command == "audit"       ? audit_help()
                                            : kMigrateHelp;
      return inv;
    }
    if (command == "projections" && flag != "--database-url" && flag != "--async-projections") {
      inv.projections_args.push_back(args[i]);  // the tool's own words and flags
      continue;
    }
    if (command == "audit" && flag != "--database-url") {
      inv.audit_args.push_back(args[i]);  // the tool's own words and flags
      continue;
    }
    const bool serve_only = flag == "--listen" || flag == "--db-connections" ||
                            flag == "--io-threads" || flag == "--queue" ||
                            flag == "--write-cache" || flag == "--read-timeout" ||
                            flag == "--async-projections" || flag == "--seal-log" ||
                            flag == "--seal-interval" || flag == "--cors-origins";
    const bool setup_only =
        flag == "--org-name" || flag == "--admin-user" || flag == "--token-file";
    const bool serve_or_setup = flag == "--seal-key";
    if (flag != "--database-url" &&
        !(serve_only &&
          (command == "serve" || (command == "projections" && flag == "--async-projections"))) &&
        !(setup_only && command == "setup") &&
        !(serve_or_setup && (command == "serve" || command == "setup"))) {
      return usage("unknown flag " + flag + " for " + command + " (try " + command + " --help)");
    }
    if (!value) {
      if (i + 1 >= args.size()) return usage("flag " + flag + " needs a value");
      value = args[++i];
    }
    if (flag == "--database-url") {
      c.database_url = *value;
    } else if (flag == "--org-name") {
      inv.setup.org_name = *value;
    } else if (flag == "--admin-user") {
      inv.setup.admin_user = *value;
    } else if (flag == "--token-file") {
      inv.setup.token_file = *value;
    } else if (flag == "--seal-key") {
      c.seal_key = *value;
      inv.setup.seal_key = *value;
    } else if (flag == "--seal-log") {
      c.seal_log = *value;
    } else if (flag == "--seal-interval") {
      seal_interval = *value;
    } else if (flag == "--cors-origins") {
      cors_list = *value;
    } else if (flag == "--async-projections") {
      async_list = *value;
    } else if (flag == "--listen") {
      listen = *value;
      listen_from_flag = true;
    } else {
      auto n = parse_positive(*value);
      if (!n) return usage("flag " + flag + " needs a positive number, not \"" + *value + "\"");
      if (flag == "--db-connections") c.db_connections = *n;
      if (flag == "--io-threads") c.io_threads = *n;
      if (flag == "--queue") c.queue_capacity = static_cast<std::size_t>(*n);
      if (flag == "--write-cache") c.write_cache_entries = static_cast<std::size_t>(*n);
      if (flag == "--read-timeout") c.read_timeout_seconds = *n;
    }
  }

  if (inv.kind == Invocation::Kind::Audit && inv.audit_args.empty()) {
    inv.kind = Invocation::Kind::Help;  // `audit --database-url URL`: no command
    inv.help = audit_help();
    return inv;
  }
  // `audit verify --help` needs no database: the integrity tool prints its usage.
  const bool integrity_help = std::any_of(inv.audit_args.begin(), inv.audit_args.end(),
                                          [](const auto& a) { return a == "-h" || a == "--help"; });
  if (c.database_url.empty() && !integrity_help)
    return usage("no database: set DATABASE_URL or pass --database-url");
  for (std::size_t start = 0; start < async_list.size();) {
    auto end = async_list.find(',', start);
    if (end == std::string::npos) end = async_list.size();
    std::string name = async_list.substr(start, end - start);
    if (!name.empty()) {
      const auto* p = projections::find_projection(name);
      if (!p) return usage("unknown projection \"" + name + "\" in --async-projections");
      if (!p->can_run_async) {
        return usage("projection \"" + name + "\" must run inline: it cannot run async");
      }
      c.async_projections.push_back(name);
    }
    start = end + 1;
  }
  for (std::size_t start = 0; start < cors_list.size();) {
    auto end = cors_list.find(',', start);
    if (end == std::string::npos) end = cors_list.size();
    std::string origin = cors_list.substr(start, end - start);
    while (!origin.empty() && origin.front() == ' ') origin.erase(0, 1);
    while (!origin.empty() && origin.back() == ' ') origin.pop_back();
    if (!origin.empty()) {
      // An origin is scheme://host[:port], nothing after: a path or a trailing slash
      // would never match what a browser sends.
      const auto scheme = origin.find("://");
      const bool ok = origin == "*" || (scheme != std::string::npos && scheme > 0 &&
                                        origin.find('/', scheme + 3) == std::string::npos &&
                                        origin.size() > scheme + 3);
      if (!ok) {
        return usage("--cors-origins takes origins like https://console.example.com, not \"" +
                     origin + "\"");
      }
      c.cors_origins.push_back(origin);
    }
    start = end + 1;
  }
  if (seal_interval) {
    auto n = parse_positive(*seal_interval);
    if (!n) {
      return usage("--seal-interval needs a positive number of seconds, not \"" + *seal_interval +
                   "\"");
    }
    c.seal_interval_seconds = *n;
  }
  if (inv.kind == Invocation::Kind::Setup) {
    for (auto [flag, value] : {std::pair{"--org-name", &inv.setup.org_name},
                               {"--admin-user", &inv.setup.admin_user},
                               {"--token-file", &inv.setup.token_file}}) {
      if (value->empty()) return usage(std::string("setup needs ") + flag);
    }
  }
  auto address = parse_listen_address(listen);
  if (!address) {
    return usage(std::string(listen_from_flag ? "--listen" : "LISTEN_ADDRESS") + " \"" + listen +
                 "\" is not HOST:PORT");
  }
  c.listen_host = address->first;
  c.listen_port = address->second;
  return inv;
}

}  // namespace mu::runtime
