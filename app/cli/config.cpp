#include "app/cli/config.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <thread>
#include <tuple>

#include "app/cli/audit_command.hpp"
#include "projections/registry.hpp"

namespace mu::cli {

int default_io_threads() {
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency() / 2));
}

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
  MU_READ_DATABASE_URL  a standby's URI for reads that may go there (serve --read-database-url)
  LISTEN_ADDRESS   host:port to serve on (default 127.0.0.1:8080)
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

domain::Error config_usage(std::string message) {
  return domain::invalid_argument(std::move(message));
}

// "a,b, c" -> {"a","b","c"}: spaces around an item and empty items dropped.
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  for (std::size_t start = 0; start <= text.size();) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) items.push_back(std::move(item));
    start = end + 1;
  }
  return items;
}

// An issuer is an origin, http(s)://host[:port], nothing after it: clients compare it byte
// for byte with what the discovery document and every token say.
bool is_issuer(const std::string& text) {
  std::string_view rest;
  if (text.starts_with("https://")) {
    rest = std::string_view(text).substr(8);
  } else if (text.starts_with("http://")) {
    rest = std::string_view(text).substr(7);
  } else {
    return false;
  }
  if (rest.empty()) return false;
  for (char ch : rest) {
    const auto u = static_cast<unsigned char>(ch);
    if (!(std::isalnum(u) || ch == '.' || ch == '-' || ch == ':' || ch == '[' || ch == ']' ||
          ch == '_'))
      return false;
  }
  return true;
}

std::optional<int> parse_positive_int(const std::string& s) {
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

namespace {

// The settings as text, first from the environment, then replaced by the flags given:
// flag over environment over default. Checked once both are in.
struct Settings {
  std::string async_list;
  std::string listen;
  bool listen_from_flag = false;
  std::optional<std::string> seal_interval;
  std::string cors_list;
  std::optional<std::string> token_lifetime;
  // Numbers are taken as text so that a bad one is named in our words, as the rest.
  std::optional<std::string> db_connections, io_threads, queue, write_cache, read_timeout;
};

// CLI11 indents a description's further lines but does not break them: break them at
// words, so that the help fits a terminal of 100 columns.
std::string wrapped(const std::string& text, std::size_t width = 72) {
  std::string out;
  std::size_t line = 0;
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (line > 0 && line + 1 + word.size() > width) {
      out += '\n';
      line = 0;
    } else if (line > 0) {
      out += ' ';
      ++line;
    }
    out += word;
    line += word.size();
    start = end + 1;
  }
  return out;
}

// serve, migrate and setup: CLI11 parses their flags and writes their --help. Its own
// errors are several lines with a usage; ours stay one line (and exit 2 in main).
// Returns the help text when -h/--help was asked for.
domain::Result<std::optional<std::string>> parse_service_flags(const std::string& command,
                                                               const std::vector<std::string>& args,
                                                               Invocation& inv, Settings& s) {
  ServeConfig& c = inv.config;
  const bool serve = command == "serve";
  const bool setup = command == "setup";
  CLI::App app;
  app.name("machine-users " + command);
  // Given twice, the last counts, as it always has.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.option_defaults()->group("Flags (override the environment)");
  app.set_help_flag("-h,--help", "this text");
  app.allow_extras();  // unknown words are reported below, in one line
  app.get_formatter()->column_width(26);
  app.get_formatter()->label("OPTIONS", "flags");

  if (serve) {
    app.footer(
        "Applies pending migrations, then serves the API until SIGINT or SIGTERM,\n"
        "after which it stops accepting, finishes the calls in flight and exits 0.\n"
        "REST, gRPC-Web and gRPC (HTTP/2 without TLS) share the one address.");
  } else if (setup) {
    app.footer(
        "Migrates, then creates (unless they exist) the organization NAME and in it the\n"
        "machine user USERNAME holding IAM_OWNER, and writes a new personal access token\n"
        "of that user to PATH (mode 0600, replacing the file). Safe to run again: each run\n"
        "only adds one more token.");
  } else {
    app.footer(
        "Applies the pending migrations (each once, in order, each in its own transaction,\n"
        "under an advisory lock) and exits. A migration changed after it was applied stops\n"
        "it with a message naming the file.");
  }
  app.add_option("--database-url", c.database_url, wrapped("libpq URI (env DATABASE_URL)"))
      ->type_name("URL");
  if (setup) {
    app.add_option("--org-name", inv.setup.org_name, wrapped("the first organization (required)"))
        ->type_name("NAME");
    app.add_option("--admin-user", inv.setup.admin_user,
                   wrapped("its administrator, a machine user (required)"))
        ->type_name("USERNAME");
    app.add_option("--token-file", inv.setup.token_file, wrapped("where the token goes (required)"))
        ->type_name("PATH");
    app.add_option("--seal-key", inv.setup.seal_key,
                   wrapped("also create the seal key there (mode 0600) and its public half in "
                           "FILE.pub, unless FILE exists (env MU_SEAL_KEY)"))
        ->type_name("FILE");
    app.add_option("--signing-key", inv.setup.signing_key,
                   wrapped("also create the RSA key that signs issued OAuth tokens there (mode "
                           "0600), unless FILE exists (env MU_SIGNING_KEY)"))
        ->type_name("FILE");
  }
  CLI::Option* listen = nullptr;
  if (serve) {
    listen = app.add_option("--listen", s.listen,
                            wrapped("address to serve on (env LISTEN_ADDRESS, default "
                                    "127.0.0.1:8080; port 0 picks a free port)"))
                 ->type_name("HOST:PORT");
    app.add_option("--db-connections", s.db_connections,
                   wrapped("database sessions, one connection each (default 8)"))
        ->type_name("N");
    app.add_option("--db-executor", c.db_executor,
                   wrapped("where the database sessions run: io (fibers on the I/O threads; "
                           "default) or workers (a thread each, handing calls over)"))
        ->check(CLI::IsMember({"io", "workers"}))
        ->type_name("io|workers");
    app.add_option(
           "--io-threads", s.io_threads,
           wrapped(
               "I/O threads: HTTP and the database sessions (default: half the cores, at least 1)"))
        ->type_name("N");
    app.add_option(
           "--queue", s.queue,
           wrapped("calls waiting for a database session before 429 is answered (default 1024)"))
        ->type_name("N");
    app.add_option("--write-cache", s.write_cache,
                   wrapped("users whose write models are kept in memory, so that a command on one "
                           "of them is one database statement (default 20000, about 0.5 KiB each)"))
        ->type_name("N");
    app.add_option("--read-timeout", s.read_timeout,
                   wrapped("seconds a connection may take to send a request, or stay idle between "
                           "requests, before it is closed (default 30)"))
        ->type_name("S");
    app.add_option("--async-projections", s.async_list,
                   wrapped("comma-separated projections to reduce asynchronously, after COMMIT, by "
                           "a runner (env MU_ASYNC_PROJECTIONS; default none: all inline). Only "
                           "\"users\" may run async."))
        ->type_name("L");
    app.add_option("--read-database-url", c.read_database_url,
                   wrapped("a standby's libpq URI (e.g. target_session_attrs=prefer-standby): "
                           "GetUserByID, ListUserChanges and ListEvents read there once it has "
                           "replayed every acknowledged write, else on the primary (env "
                           "MU_READ_DATABASE_URL; default none)"))
        ->type_name("URL");
    app.add_option("--seal-key", c.seal_key,
                   wrapped("the Ed25519 key (PEM, made by setup) that signs the seals: this "
                           "instance runs a sealer (env MU_SEAL_KEY; default none: no seals)"))
        ->type_name("FILE");
    app.add_option("--seal-log", c.seal_log,
                   wrapped("JSON-lines file every seal is appended to (env MU_SEAL_LOG)"))
        ->type_name("FILE");
    app.add_option("--seal-interval", s.seal_interval,
                   wrapped("seconds between seals (env MU_SEAL_INTERVAL, default 60)"))
        ->type_name("S");
    app.add_option("--cors-origins", s.cors_list,
                   wrapped("comma-separated browser origins allowed to call gRPC-Web, e.g. "
                           "https://console.example.com, or * for any (env MU_CORS_ORIGINS; "
                           "default none)"))
        ->type_name("L");
    app.add_option("--signing-key", c.signing_key,
                   wrapped("the RSA private key (PEM, made by setup) that signs the tokens the "
                           "OAuth endpoints issue; the same file on every instance (env "
                           "MU_SIGNING_KEY; default none: no tokens are issued)"))
        ->type_name("FILE");
    app.add_option("--verification-key", c.verification_keys,
                   wrapped("an RSA key (PEM, public or private) that signs no more but whose "
                           "tokens are still accepted and published, after a rotation; "
                           "repeatable (env MU_VERIFICATION_KEYS, comma-separated)"))
        ->type_name("FILE");
    app.add_option("--issuer", c.issuer,
                   wrapped("the OAuth issuer, the service's external origin, e.g. "
                           "https://id.example.com (env MU_ISSUER; default http://<the "
                           "request's Host header>)"))
        ->type_name("URL");
    app.add_option("--token-lifetime", s.token_lifetime,
                   wrapped("seconds an issued access token is valid (env MU_TOKEN_LIFETIME, "
                           "default 43200: 12 h)"))
        ->type_name("S");
  }

  try {
    // CLI11 takes the words last first.
    std::vector<std::string> words(args.rbegin(), args.rend() - 1);
    app.parse(words);
  } catch (const CLI::CallForHelp&) {
    return std::optional<std::string>(app.help());
  } catch (const CLI::ArgumentMismatch& e) {
    // "--listen: 1 required HOST:PORT missing": a flag at the end, without its value.
    const std::string what = e.what();
    return config_usage("flag " + what.substr(0, what.find(':')) + " needs a value");
  } catch (const CLI::ParseError& e) {
    return config_usage(std::string(e.what()) + " (try " + command + " --help)");
  }
  if (const auto extra = app.remaining(); !extra.empty()) {
    const std::string flag = extra.front().substr(0, extra.front().find('='));
    return config_usage("unknown flag " + flag + " for " + command + " (try " + command +
                        " --help)");
  }
  if (listen) s.listen_from_flag = listen->count() > 0;
  // One key for both: serve signs with it, setup makes it.
  if (setup) c.seal_key = inv.setup.seal_key;
  if (serve) inv.setup.seal_key = c.seal_key;
  if (setup) c.signing_key = inv.setup.signing_key;
  if (serve) inv.setup.signing_key = c.signing_key;
  for (auto [flag, text, apply] :
       {std::tuple<const char*, std::optional<std::string>*, std::function<void(int)>>{
            "--db-connections", &s.db_connections, [&](int n) { c.db_connections = n; }},
        {"--io-threads", &s.io_threads, [&](int n) { c.io_threads = n; }},
        {"--queue", &s.queue, [&](int n) { c.queue_capacity = static_cast<std::size_t>(n); }},
        {"--write-cache", &s.write_cache,
         [&](int n) { c.write_cache_entries = static_cast<std::size_t>(n); }},
        {"--read-timeout", &s.read_timeout, [&](int n) { c.read_timeout_seconds = n; }}}) {
    if (!*text) continue;
    auto n = parse_positive_int(**text);
    if (!n) {
      return config_usage(std::string("flag ") + flag + " needs a positive number, not \"" +
                          **text + "\"");
    }
    apply(*n);
  }
  return std::optional<std::string>{};
}

// projections and audit: CLI11 takes this process's flags (--database-url, and
// --async-projections for list's mode column) from anywhere among the words; the rest
// are the tool's own words and flags, passed on in order. Returns the help text when
// -h/--help was asked for (the integrity tool, audit verify|seal, owns its --help).
domain::Result<std::optional<std::string>> pass_tool_words(const std::string& command,
                                                           const std::vector<std::string>& args,
                                                           Invocation& inv, Settings& s) {
  const bool projections = command == "projections";
  CLI::App app;
  app.name("machine-users " + command);
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_help_flag();  // whose help it is depends on the words before it: below
  app.allow_extras();   // the tool's words
  app.add_option("--database-url", inv.config.database_url);
  if (projections) app.add_option("--async-projections", s.async_list);
  try {
    std::vector<std::string> words(args.rbegin(), args.rend() - 1);
    app.parse(words);
  } catch (const CLI::ArgumentMismatch& e) {
    const std::string what = e.what();
    return config_usage("flag " + what.substr(0, what.find(':')) + " needs a value");
  } catch (const CLI::ParseError& e) {
    return config_usage(std::string(e.what()) + " (try " + command + " --help)");
  }
  auto& out = projections ? inv.projections_args : inv.audit_args;
  out = app.remaining();
  // `audit --help` is the overview; `audit events --help` the subcommand's own (CLI11's,
  // printed by the subcommand before it connects).
  if (!out.empty() && (out.front() == "-h" || out.front() == "--help")) {
    return std::optional<std::string>(projections ? kProjectionsHelp : audit_help());
  }
  return std::optional<std::string>{};
}

}  // namespace

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
    return config_usage("unknown command \"" + command + "\" (try --help)");
  }

  ServeConfig& c = inv.config;
  if (auto url = env("DATABASE_URL")) c.database_url = *url;
  c.read_database_url = env("MU_READ_DATABASE_URL").value_or("");
  Settings s;
  s.async_list = env("MU_ASYNC_PROJECTIONS").value_or("");
  s.listen = env("LISTEN_ADDRESS").value_or("127.0.0.1:8080");
  c.seal_key = env("MU_SEAL_KEY").value_or("");
  inv.setup.seal_key = c.seal_key;
  c.seal_log = env("MU_SEAL_LOG").value_or("");
  s.seal_interval = env("MU_SEAL_INTERVAL");
  s.cors_list = env("MU_CORS_ORIGINS").value_or("");
  c.signing_key = env("MU_SIGNING_KEY").value_or("");
  inv.setup.signing_key = c.signing_key;
  if (auto keys = env("MU_VERIFICATION_KEYS")) c.verification_keys = split_list(*keys);
  c.issuer = env("MU_ISSUER").value_or("");
  s.token_lifetime = env("MU_TOKEN_LIFETIME");

  if (command == "serve" || command == "migrate" || command == "setup") {
    auto help = parse_service_flags(command, args, inv, s);
    if (!help.ok()) return help.error();
    if (*help) {
      inv.kind = Invocation::Kind::Help;
      inv.help = **help;
      return inv;
    }
  }
  if (command == "projections" || command == "audit") {
    auto help = pass_tool_words(command, args, inv, s);
    if (!help.ok()) return help.error();
    if (*help) {
      inv.kind = Invocation::Kind::Help;
      inv.help = **help;
      return inv;
    }
  }
  if (inv.kind == Invocation::Kind::Audit && inv.audit_args.empty()) {
    inv.kind = Invocation::Kind::Help;  // `audit --database-url URL`: no command
    inv.help = audit_help();
    return inv;
  }
  // A subcommand's --help needs no database: the subcommand prints it before it connects.
  auto asks_help = [](const std::vector<std::string>& words) {
    return std::any_of(words.begin(), words.end(),
                       [](const auto& a) { return a == "-h" || a == "--help"; });
  };
  if (c.database_url.empty() && !asks_help(inv.audit_args) && !asks_help(inv.projections_args))
    return config_usage("no database: set DATABASE_URL or pass --database-url");
  for (std::size_t start = 0; start < s.async_list.size();) {
    auto end = s.async_list.find(',', start);
    if (end == std::string::npos) end = s.async_list.size();
    std::string name = s.async_list.substr(start, end - start);
    if (!name.empty()) {
      const auto* p = projections::find_projection(name);
      if (!p) return config_usage("unknown projection \"" + name + "\" in --async-projections");
      if (!p->can_run_async) {
        return config_usage("projection \"" + name + "\" must run inline: it cannot run async");
      }
      c.async_projections.push_back(name);
    }
    start = end + 1;
  }
  for (std::size_t start = 0; start < s.cors_list.size();) {
    auto end = s.cors_list.find(',', start);
    if (end == std::string::npos) end = s.cors_list.size();
    std::string origin = s.cors_list.substr(start, end - start);
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
        return config_usage(
            "--cors-origins takes origins like https://console.example.com, not \"" + origin +
            "\"");
      }
      c.cors_origins.push_back(origin);
    }
    start = end + 1;
  }
  if (s.seal_interval) {
    auto n = parse_positive_int(*s.seal_interval);
    if (!n) {
      return config_usage("--seal-interval needs a positive number of seconds, not \"" +
                          *s.seal_interval + "\"");
    }
    c.seal_interval_seconds = *n;
  }
  if (s.token_lifetime) {
    auto n = parse_positive_int(*s.token_lifetime);
    if (!n) {
      return config_usage("--token-lifetime needs a positive number of seconds, not \"" +
                          *s.token_lifetime + "\"");
    }
    c.token_lifetime_seconds = *n;
  }
  if (!c.issuer.empty() && !is_issuer(c.issuer)) {
    return config_usage(
        "--issuer takes an origin like https://id.example.com (no path, no "
        "trailing slash), not \"" +
        c.issuer + "\"");
  }
  if (inv.kind == Invocation::Kind::Setup) {
    for (auto [flag, value] : {std::pair{"--org-name", &inv.setup.org_name},
                               {"--admin-user", &inv.setup.admin_user},
                               {"--token-file", &inv.setup.token_file}}) {
      if (value->empty()) return config_usage(std::string("setup needs ") + flag);
    }
  }
  auto address = parse_listen_address(s.listen);
  if (!address) {
    return config_usage(std::string(s.listen_from_flag ? "--listen" : "LISTEN_ADDRESS") + " \"" +
                        s.listen + "\" is not HOST:PORT");
  }
  c.listen_host = address->first;
  c.listen_port = address->second;
  return inv;
}

}  // namespace mu::cli
