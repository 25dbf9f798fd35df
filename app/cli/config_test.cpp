#include "app/cli/config.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <thread>

using namespace mu::cli;

namespace {

Env env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("serve takes its settings from the environment, flags override") {
  auto inv = parse_command_line({"serve"}, env_of({{"DATABASE_URL", "postgresql://a/b"}}));
  REQUIRE(inv.ok());
  CHECK(inv->kind == Invocation::Kind::Serve);
  CHECK(inv->config.database_url == "postgresql://a/b");
  CHECK(inv->config.listen_host == "127.0.0.1");
  CHECK(inv->config.listen_port == 8080);
  CHECK(inv->config.write_cache_entries == 20000);

  inv = parse_command_line(
      {"serve", "--database-url", "postgresql://c/d", "--listen=0.0.0.0:9000", "--db-connections",
       "4", "--read-timeout", "5", "--write-cache", "100"},
      env_of({{"DATABASE_URL", "postgresql://a/b"}, {"LISTEN_ADDRESS", "1.2.3.4:1"}}));
  REQUIRE(inv.ok());
  CHECK(inv->config.database_url == "postgresql://c/d");
  CHECK(inv->config.listen_host == "0.0.0.0");
  CHECK(inv->config.listen_port == 9000);
  CHECK(inv->config.db_connections == 4);
  CHECK(inv->config.read_timeout_seconds == 5);
  CHECK(inv->config.write_cache_entries == 100);
}

TEST_CASE("database sessions are fibers on the I/O threads unless told workers, on half the cores") {
  const auto env = env_of({{"DATABASE_URL", "postgresql://a/b"}});
  auto inv = parse_command_line({"serve"}, env);
  REQUIRE(inv.ok());
  CHECK(inv->config.db_executor == "io");
  CHECK(inv->config.io_threads ==
        std::max(1, static_cast<int>(std::thread::hardware_concurrency() / 2)));
  CHECK(inv->config.io_threads >= 1);

  inv = parse_command_line({"serve", "--db-executor", "workers", "--io-threads", "3"}, env);
  REQUIRE(inv.ok());
  CHECK(inv->config.db_executor == "workers");
  CHECK(inv->config.io_threads == 3);

  auto bad = parse_command_line({"serve", "--db-executor", "threads"}, env);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "--db-executor: threads not in {io,workers} (try serve --help)");
}

TEST_CASE("bad command lines are one clear line") {
  const auto env = env_of({{"DATABASE_URL", "postgresql://a/b"}});
  CHECK(parse_command_line({"serv"}, env).error().message ==
        "unknown command \"serv\" (try --help)");
  CHECK(parse_command_line({"serve", "--port", "1"}, env).error().message ==
        "unknown flag --port for serve (try serve --help)");
  CHECK(parse_command_line({"migrate", "--listen", "x:1"}, env).error().message ==
        "unknown flag --listen for migrate (try migrate --help)");
  CHECK(parse_command_line({"serve", "--listen"}, env).error().message ==
        "flag --listen needs a value");
  CHECK(parse_command_line({"serve", "--db-connections", "0"}, env).error().message ==
        "flag --db-connections needs a positive number, not \"0\"");
  CHECK(parse_command_line({"migrate", "--write-cache", "5"}, env).error().message ==
        "unknown flag --write-cache for migrate (try migrate --help)");
  CHECK(parse_command_line({"serve", "--listen", "nope"}, env).error().message ==
        "--listen \"nope\" is not HOST:PORT");
  CHECK(parse_command_line({"serve"}, env_of({})).error().message ==
        "no database: set DATABASE_URL or pass --database-url");
  CHECK(
      parse_command_line({"serve"}, env_of({{"DATABASE_URL", "x"}, {"LISTEN_ADDRESS", "h:99999"}}))
          .error()
          .message == "LISTEN_ADDRESS \"h:99999\" is not HOST:PORT");
}

TEST_CASE("help everywhere") {
  CHECK(parse_command_line({}, env_of({}))->kind == Invocation::Kind::Help);
  CHECK(parse_command_line({"--help"}, env_of({}))->kind == Invocation::Kind::Help);
  auto serve_help = parse_command_line({"serve", "--help"}, env_of({}));
  REQUIRE(serve_help.ok());
  CHECK(serve_help->help.find("--listen") != std::string::npos);
  CHECK(parse_command_line({"migrate", "-h"}, env_of({}))->help.find("advisory lock") !=
        std::string::npos);
}

TEST_CASE("listen addresses") {
  CHECK(parse_listen_address("127.0.0.1:0") ==
        std::pair<std::string, unsigned short>{"127.0.0.1", 0});
  CHECK(parse_listen_address("[::1]:80") == std::pair<std::string, unsigned short>{"::1", 80});
  CHECK(parse_listen_address(":80")->first == "0.0.0.0");
  CHECK_FALSE(parse_listen_address("host"));
  CHECK_FALSE(parse_listen_address("host:"));
  CHECK_FALSE(parse_listen_address("host:65536"));
}

TEST_CASE("setup takes its three flags, all required") {
  const auto env = env_of({{"DATABASE_URL", "postgresql://a/b"}});
  auto inv = parse_command_line(
      {"setup", "--org-name", "ACME", "--admin-user", "admin", "--token-file=/tmp/t"}, env);
  REQUIRE(inv.ok());
  CHECK(inv->kind == Invocation::Kind::Setup);
  CHECK(inv->setup.org_name == "ACME");
  CHECK(inv->setup.admin_user == "admin");
  CHECK(inv->setup.token_file == "/tmp/t");
  CHECK(parse_command_line({"setup", "--org-name", "ACME", "--admin-user", "admin"}, env)
            .error()
            .message == "setup needs --token-file");
  CHECK(parse_command_line({"serve", "--org-name", "x"}, env).error().message ==
        "unknown flag --org-name for serve (try serve --help)");
  CHECK(parse_command_line({"setup", "--help"}, env)->help.find("0600") != std::string::npos);
}

TEST_CASE("seals: a key for serve and setup, a log and an interval for serve") {
  const auto env = env_of({{"DATABASE_URL", "postgresql://a/b"},
                           {"MU_SEAL_KEY", "/k/env.key"},
                           {"MU_SEAL_LOG", "/k/env.jsonl"},
                           {"MU_SEAL_INTERVAL", "5"}});
  auto inv = parse_command_line({"serve"}, env);
  REQUIRE(inv.ok());
  CHECK(inv->config.seal_key == "/k/env.key");
  CHECK(inv->config.seal_log == "/k/env.jsonl");
  CHECK(inv->config.seal_interval_seconds == 5);
  inv = parse_command_line(
      {"serve", "--seal-key", "/k/a.key", "--seal-log=/k/a.jsonl", "--seal-interval", "2"}, env);
  REQUIRE(inv.ok());
  CHECK(inv->config.seal_key == "/k/a.key");
  CHECK(inv->config.seal_log == "/k/a.jsonl");
  CHECK(inv->config.seal_interval_seconds == 2);
  // Without any: no sealer, once a minute when there is one.
  inv = parse_command_line({"serve"}, env_of({{"DATABASE_URL", "postgresql://a/b"}}));
  CHECK(inv->config.seal_key.empty());
  CHECK(inv->config.seal_interval_seconds == 60);

  inv = parse_command_line({"setup", "--org-name", "A", "--admin-user", "a", "--token-file", "/t",
                            "--seal-key", "/k/s.key"},
                           env);
  REQUIRE(inv.ok());
  CHECK(inv->setup.seal_key == "/k/s.key");
  CHECK(parse_command_line({"serve", "--seal-interval", "0"}, env).error().message ==
        "--seal-interval needs a positive number of seconds, not \"0\"");
  CHECK(parse_command_line({"setup", "--seal-log", "x"}, env).error().message ==
        "unknown flag --seal-log for setup (try setup --help)");
  CHECK(parse_command_line({"migrate", "--seal-key", "x"}, env).error().message ==
        "unknown flag --seal-key for migrate (try migrate --help)");
}

TEST_CASE("CORS origins for gRPC-Web: none by default, a list by flag or environment") {
  const auto env = env_of({{"DATABASE_URL", "postgresql://a/b"}});
  auto inv = parse_command_line({"serve"}, env);
  REQUIRE(inv.ok());
  CHECK(inv->config.cors_origins.empty());
  inv = parse_command_line({"serve", "--cors-origins", "https://a.example, http://b:8081"}, env);
  REQUIRE(inv.ok());
  CHECK(inv->config.cors_origins == std::vector<std::string>{"https://a.example", "http://b:8081"});
  inv = parse_command_line(
      {"serve"}, env_of({{"DATABASE_URL", "postgresql://a/b"}, {"MU_CORS_ORIGINS", "*"}}));
  REQUIRE(inv.ok());
  CHECK(inv->config.cors_origins == std::vector<std::string>{"*"});
  for (const char* bad : {"https://a.example/", "a.example", "https://", "https://a/x"}) {
    INFO(bad);
    auto r = parse_command_line({"serve", "--cors-origins", bad}, env);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.starts_with("--cors-origins takes origins like"));
  }
  CHECK_FALSE(parse_command_line({"setup", "--cors-origins", "*"}, env).ok());
}

TEST_CASE("async projections: named by flag or environment, checked against the registry") {
  const auto env = env_of({{"DATABASE_URL", "postgresql://a/b"}});
  auto inv = parse_command_line({"serve", "--async-projections", "users"}, env);
  REQUIRE(inv.ok());
  CHECK(inv->config.async_projections == std::vector<std::string>{"users"});
  inv = parse_command_line(
      {"serve"}, env_of({{"DATABASE_URL", "postgresql://a/b"}, {"MU_ASYNC_PROJECTIONS", "users"}}));
  REQUIRE(inv.ok());
  CHECK(inv->config.async_projections == std::vector<std::string>{"users"});
  inv = parse_command_line({"serve", "--async-projections", "auth"}, env);
  REQUIRE_FALSE(inv.ok());
  CHECK(inv.error().message.find("must run inline") != std::string::npos);
  inv = parse_command_line({"serve", "--async-projections", "nope"}, env);
  REQUIRE_FALSE(inv.ok());
  CHECK(inv.error().message.find("unknown projection \"nope\"") != std::string::npos);
  // The projections tool takes the flag (for list's mode column) and passes its own words on.
  inv = parse_command_line({"projections", "list", "--json", "--async-projections", "users"}, env);
  REQUIRE(inv.ok());
  CHECK(inv->kind == Invocation::Kind::Projections);
  CHECK(inv->projections_args == std::vector<std::string>{"list", "--json"});
  CHECK(inv->config.async_projections == std::vector<std::string>{"users"});
  CHECK_FALSE(parse_command_line({"migrate", "--async-projections", "users"}, env).ok());
}

TEST_CASE("audit passes its own words on, takes --database-url, and has its own help") {
  const auto env = env_of({{"DATABASE_URL", "postgresql://a/b"}});
  auto inv = parse_command_line(
      {"audit", "events", "--type", "user.locked", "--database-url", "postgresql://c/d", "--json"},
      env);
  REQUIRE(inv.ok());
  CHECK(inv->kind == Invocation::Kind::Audit);
  CHECK(inv->audit_args == std::vector<std::string>{"events", "--type", "user.locked", "--json"});
  CHECK(inv->config.database_url == "postgresql://c/d");
  inv = parse_command_line({"audit", "history", "42", "--asc"}, env);
  REQUIRE(inv.ok());
  CHECK(inv->audit_args == std::vector<std::string>{"history", "42", "--asc"});
  CHECK(inv->config.database_url == "postgresql://a/b");

  // Its usage: alone, or asked for before a command, with or without a database.
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"audit"}, {"audit", "help"}, {"audit", "--help"}}) {
    auto help = parse_command_line(args, env_of({}));
    REQUIRE(help.ok());
    CHECK(help->kind == Invocation::Kind::Help);
    CHECK(help->help.find("audit COMMAND") != std::string::npos);
  }
  inv = parse_command_line({"audit", "--database-url", "x"}, env_of({}));
  REQUIRE(inv.ok());
  CHECK(inv->kind == Invocation::Kind::Help);
  // Every command owns its --help (generated from its flags): passed on, no database needed.
  for (const char* command : {"verify", "events"}) {
    inv = parse_command_line({"audit", command, "--help"}, env_of({}));
    REQUIRE(inv.ok());
    CHECK(inv->kind == Invocation::Kind::Audit);
    CHECK(inv->audit_args == std::vector<std::string>{command, "--help"});
  }
  CHECK(parse_command_line({"audit", "events"}, env_of({})).error().message ==
        "no database: set DATABASE_URL or pass --database-url");
  CHECK(parse_command_line({"--help"}, env)->help.find("machine-users audit ...") !=
        std::string::npos);
  CHECK_FALSE(parse_command_line({"audit", "events", "--listen", "x:1"}, env)->audit_args.empty());
}

TEST_CASE("generated help names every flag of its command and nothing else") {
  auto serve = parse_command_line({"serve", "-h"}, env_of({}));
  REQUIRE(serve.ok());
  for (const char* flag :
       {"--database-url", "--listen", "--db-connections", "--io-threads", "--queue",
        "--write-cache", "--read-timeout", "--async-projections", "--seal-key", "--seal-log",
        "--seal-interval", "--cors-origins", "MU_CORS_ORIGINS", "LISTEN_ADDRESS"}) {
    INFO(flag);
    CHECK(serve->help.find(flag) != std::string::npos);
  }
  CHECK(serve->help.starts_with("Usage: machine-users serve"));
  auto migrate = parse_command_line({"migrate", "--help"}, env_of({}));
  REQUIRE(migrate.ok());
  CHECK(migrate->help.find("--listen") == std::string::npos);
  CHECK(migrate->help.find("--database-url") != std::string::npos);
  auto setup = parse_command_line({"setup", "--help"}, env_of({}));
  REQUIRE(setup.ok());
  CHECK(setup->help.find("--token-file") != std::string::npos);
  CHECK(setup->help.find("--seal-log") == std::string::npos);
}

TEST_CASE("a flag given twice: the last counts, as before") {
  const auto env = env_of({{"DATABASE_URL", "postgresql://a/b"}});
  auto inv = parse_command_line({"serve", "--queue", "5", "--queue=7", "--listen", ":1"}, env);
  REQUIRE(inv.ok());
  CHECK(inv->config.queue_capacity == 7);
  CHECK(inv->config.listen_port == 1);
  CHECK(parse_command_line({"serve", "stray"}, env).error().message ==
        "unknown flag stray for serve (try serve --help)");
}

TEST_CASE("OAuth: signing and verification keys, issuer, token lifetime") {
  const auto env = env_of({{"DATABASE_URL", "postgresql://a/b"},
                           {"MU_SIGNING_KEY", "/k/sign.pem"},
                           {"MU_VERIFICATION_KEYS", "/k/old1.pem, /k/old2.pem,"},
                           {"MU_ISSUER", "https://id.example.com"},
                           {"MU_TOKEN_LIFETIME", "600"}});
  auto inv = parse_command_line({"serve"}, env);
  REQUIRE(inv.ok());
  CHECK(inv->config.signing_key == "/k/sign.pem");
  CHECK(inv->config.verification_keys == std::vector<std::string>{"/k/old1.pem", "/k/old2.pem"});
  CHECK(inv->config.issuer == "https://id.example.com");
  CHECK(inv->config.token_lifetime_seconds == 600);
  inv = parse_command_line(
      {"serve", "--signing-key", "/k/b.pem", "--verification-key", "/k/c.pem", "--verification-key",
       "/k/d.pem", "--issuer", "http://127.0.0.1:8080", "--token-lifetime", "60"},
      env);
  REQUIRE(inv.ok());
  CHECK(inv->config.signing_key == "/k/b.pem");
  CHECK(inv->config.verification_keys == std::vector<std::string>{"/k/c.pem", "/k/d.pem"});
  CHECK(inv->config.issuer == "http://127.0.0.1:8080");
  CHECK(inv->config.token_lifetime_seconds == 60);
  // Defaults: no key (no OAuth endpoints), the issuer from the Host header, 12 hours.
  inv = parse_command_line({"serve"}, env_of({{"DATABASE_URL", "postgresql://a/b"}}));
  REQUIRE(inv.ok());
  CHECK(inv->config.signing_key.empty());
  CHECK(inv->config.verification_keys.empty());
  CHECK(inv->config.issuer.empty());
  CHECK(inv->config.token_lifetime_seconds == 43200);

  inv = parse_command_line({"setup", "--org-name", "A", "--admin-user", "a", "--token-file", "/t",
                            "--signing-key", "/k/s.pem"},
                           env);
  REQUIRE(inv.ok());
  CHECK(inv->setup.signing_key == "/k/s.pem");
  for (const char* bad : {"id.example.com", "https://id.example.com/", "https://x/p", "ftp://x",
                          "https://", "http://a b"}) {
    INFO(bad);
    auto r = parse_command_line({"serve", "--issuer", bad}, env);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.starts_with("--issuer takes an origin"));
  }
  CHECK(parse_command_line({"serve", "--token-lifetime", "0"}, env).error().message ==
        "--token-lifetime needs a positive number of seconds, not \"0\"");
  CHECK(parse_command_line({"setup", "--issuer", "x"}, env).error().message ==
        "unknown flag --issuer for setup (try setup --help)");
  auto help = parse_command_line({"serve", "--help"}, env_of({}));
  REQUIRE(help.ok());
  for (const char* flag : {"--signing-key", "--verification-key", "--issuer", "--token-lifetime",
                           "MU_SIGNING_KEY", "MU_ISSUER"}) {
    INFO(flag);
    CHECK(help->help.find(flag) != std::string::npos);
  }
}

TEST_CASE("a standby's URL for reads: MU_READ_DATABASE_URL, --read-database-url overrides it") {
  auto env = env_of({{"DATABASE_URL", "postgresql://a/b"},
                     {"MU_READ_DATABASE_URL", "postgresql://s/b?target_session_attrs=standby"}});
  auto inv = parse_command_line({"serve"}, env);
  REQUIRE(inv.ok());
  CHECK(inv->config.read_database_url == "postgresql://s/b?target_session_attrs=standby");
  inv = parse_command_line({"serve", "--read-database-url", "postgresql://t/b"}, env);
  REQUIRE(inv.ok());
  CHECK(inv->config.read_database_url == "postgresql://t/b");
  inv = parse_command_line({"serve"}, env_of({{"DATABASE_URL", "postgresql://a/b"}}));
  REQUIRE(inv.ok());
  CHECK(inv->config.read_database_url.empty());  // every read on the primary
}
