// machine-users: the executable. Parses the command line, then migrates,
// sets up or serves. Failures are one clear line on stderr and a non-zero exit.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <pqxx/pqxx>

#include "app/cli/audit_command.hpp"
#include "app/cli/config.hpp"
#include "app/cli/projections_command.hpp"
#include "app/commands/auth_cache.hpp"
#include "app/commands/command_runner.hpp"
#include "app/grpc/grpc_h2_service.hpp"
#include "app/grpc/grpc_web_api.hpp"
#include "app/handlers/first_run_setup.hpp"
#include "app/http/server.hpp"
#include "app/jobs/checkpoint_keeper.hpp"
#include "app/jobs/sealer.hpp"
#include "app/pipeline/call_pipeline.hpp"
#include "app/pipeline/rpc_table.hpp"
#include "app/platform/fiber_pool.hpp"
#include "app/platform/log.hpp"
#include "app/platform/metrics.hpp"
#include "app/platform/seal_files.hpp"
#include "app/platform/signing_keys.hpp"
#include "app/platform/worker_pool.hpp"
#include "app/rest/protojson.hpp"
#include "app/rest/rest_api.hpp"
#include "domain/ids.hpp"
#include "domain/seal.hpp"
#include "eventstore/connection_options.hpp"
#include "eventstore/migrations.hpp"
#include "eventstore/node_ids.hpp"
#include "eventstore/notifications.hpp"
#include "projections/async_runner.hpp"
#include "projections/registry.hpp"

namespace {

using mu::cli::Invocation;
using mu::cli::ServeConfig;

std::optional<std::string> getenv_string(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

// libpq's own message is multi-line; the first line says it all.
std::string first_line(const std::string& s) {
  auto end = s.find('\n');
  return end == std::string::npos ? s : s.substr(0, end);
}

// Applies pending migrations and returns the node id for this process's ids.
std::uint16_t prepare_database(const ServeConfig& c, bool verbose) {
  pqxx::connection conn(c.database_url);
  auto applied = mu::eventstore::migrate(conn, mu::eventstore::embedded_migrations());
  if (verbose || !applied.empty()) {
    for (const auto& name : applied) std::cout << "applied migration " << name << "\n";
    if (applied.empty()) std::cout << "database is up to date\n";
  }
  return mu::eventstore::allocate_node_id(conn);
}

// Only its owner may read the file; an existing one is replaced in place.
void write_secret_file(const std::string& path, const std::string& secret) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  // Only a regular file: `--token-file /dev/null` run as root would otherwise make the
  // device readable by root alone (fchmod below), and break every other program.
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || ::ftruncate(fd, 0) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot write " + path + ": not a regular file");
  }
  const std::string line = secret + "\n";
  const bool ok =
      ::fchmod(fd, 0600) == 0 && ::write(fd, line.data(), line.size()) == ssize_t(line.size());
  const int error = errno;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + path + ": " + std::strerror(error));
}

// Anyone may read it; an existing one is replaced.
void write_public_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

int setup(const Invocation& inv) {
  const auto node_id = prepare_database(inv.config, false);
  mu::domain::IdGenerator ids(node_id);
  mu::platform::DbSession db(inv.config.database_url);
  mu::commands::AuthCache cache;
  mu::commands::UserWriteModels users(16);
  mu::commands::Backend backend{db, ids, cache, users};
  auto out = mu::handlers::first_run_setup(backend, inv.setup.org_name, inv.setup.admin_user);
  if (!out.ok()) throw std::runtime_error("setup failed: " + out.error().full_message());
  write_secret_file(inv.setup.token_file, out->token);
  if (!inv.setup.seal_key.empty()) {
    // The key that signs the seals, outside the database; its public half beside it
    // for whoever verifies (`audit verify --public-key KEY.pub`).
    const bool created = mu::platform::create_seal_key(inv.setup.seal_key);
    const auto public_pem =
        mu::domain::public_key_pem(mu::platform::read_text_file(inv.setup.seal_key));
    if (!public_pem) throw std::runtime_error(inv.setup.seal_key + " is no Ed25519 private key");
    write_public_file(inv.setup.seal_key + ".pub", *public_pem);
    std::cout << "seal key " << inv.setup.seal_key << (created ? " (created)" : " (exists)")
              << ", public key " << inv.setup.seal_key << ".pub\n";
  }
  if (!inv.setup.signing_key.empty()) {
    // The key that signs issued tokens; serve reads it (and refuses a file that is no key).
    const bool created = mu::platform::create_signing_key(inv.setup.signing_key);
    (void)mu::platform::load_signing_keys(inv.setup.signing_key, {});
    std::cout << "signing key " << inv.setup.signing_key << (created ? " (created)" : " (exists)")
              << "\n";
  }
  std::cout << "organization " << inv.setup.org_name << ": " << out->org_id
            << (out->org_created ? " (created)" : " (exists)") << "\n"
            << "IAM_OWNER machine user " << inv.setup.admin_user << ": " << out->user_id
            << (out->user_created ? " (created)" : " (exists)") << "\n"
            << "new personal access token " << out->token_id << " written to "
            << inv.setup.token_file << "\n";
  return 0;
}

int serve(const ServeConfig& c) {
  // The RPC table joins the protos' options with the handlers; a build where they
  // disagree stops here (std::logic_error) instead of serving without a route.
  (void)mu::pipeline::rpc_table();
  // The seal key is read first: a bad one stops serve before any thread starts.
  std::string seal_key;
  if (!c.seal_key.empty()) {
    seal_key = mu::platform::read_text_file(c.seal_key);
    if (!mu::domain::public_key_pem(seal_key)) {
      throw std::runtime_error("--seal-key " + c.seal_key + " is no Ed25519 private key (PEM)");
    }
  }
  // So are the keys that sign and verify issued tokens.
  auto signing_keys = mu::platform::load_signing_keys(c.signing_key, c.verification_keys);
  const auto node_id = prepare_database(c, false);
  mu::platform::start_logging();
  // Whatever stops serve from here (a connection refused at start, say), the log writer's
  // thread is joined: an exception past it would otherwise end the process in abort().
  struct StopLogging {
    ~StopLogging() { mu::platform::stop_logging(); }
  } stop_logging_on_exit;
  mu::domain::IdGenerator ids(node_id);
  mu::commands::AuthCache auth_cache;
  // Every instance forgets its cached authentications when a command changed
  // who may call, and when it may have missed such news.
  mu::eventstore::NotificationListener auth_news(
      c.database_url, mu::commands::kAuthChannel, [&](const std::string&) { auth_cache.clear(); },
      [&] { auth_cache.clear(); });
  mu::projections::set_async_projections({c.async_projections.begin(), c.async_projections.end()});
  // Runs each async projection here unless another instance already does (leader lock).
  std::optional<mu::projections::AsyncRunner> async_runner;
  if (!c.async_projections.empty()) async_runner.emplace(c.database_url, c.async_projections);
  mu::jobs::CheckpointKeeper checkpoints(c.database_url, std::chrono::milliseconds(250));
  // Seals every interval unless another instance leads the round.
  std::optional<mu::jobs::Sealer> sealer;
  if (!seal_key.empty()) {
    sealer.emplace(c.database_url, std::move(seal_key), c.seal_log,
                   std::chrono::seconds(c.seal_interval_seconds));
  }
  // The I/O threads' contexts, one each: the HTTP server's, and (by default) the database
  // sessions'.
  std::vector<std::shared_ptr<boost::asio::io_context>> io_contexts;
  std::vector<boost::asio::io_context*> io_context_list;
  for (int i = 0; i < std::max(1, c.io_threads); ++i) {
    io_contexts.push_back(std::make_shared<boost::asio::io_context>(1));
    io_context_list.push_back(io_contexts.back().get());
  }
  std::unique_ptr<mu::platform::DbJobs> db_jobs;
  if (c.db_executor == "workers") {
    db_jobs = std::make_unique<mu::platform::WorkerPool>(c.database_url, c.db_connections,
                                                         c.queue_capacity, c.read_database_url);
  } else {
    db_jobs = std::make_unique<mu::platform::FiberPool>(
        io_context_list, c.database_url, c.db_connections, c.queue_capacity, c.read_database_url);
  }
  auto& pool = *db_jobs;
  auto& metrics = mu::platform::metrics();
  metrics.set_gauge("mu_worker_pool_busy", "Database sessions running a call now.",
                    [&pool] { return static_cast<double>(pool.busy()); });
  metrics.set_gauge("mu_worker_pool_queued", "Calls waiting for a database session.",
                    [&pool] { return static_cast<double>(pool.queued()); });
  metrics.set_gauge("mu_worker_pool_size", "Database sessions (one connection each).",
                    [n = c.db_connections] { return static_cast<double>(n); });
  mu::commands::UserWriteModels user_write_models(c.write_cache_entries);
  metrics.set_gauge("mu_write_cache_entries",
                    "Users whose write models this instance keeps (--write-cache bounds it).",
                    [&user_write_models] { return static_cast<double>(user_write_models.size()); });
  // The JWTs the OAuth endpoints issue are accepted on every transport (with a signing key).
  mu::pipeline::CallPipeline calls(pool, ids, auth_cache, user_write_models,
                                   mu::rest::print_message,
                                   signing_keys.signing() ? &signing_keys : nullptr);
  // Without a signing key this instance issues no tokens: the OAuth endpoints are not served.
  std::optional<mu::oauth::OAuthEndpoints> oauth;
  if (signing_keys.signing()) {
    oauth.emplace(mu::oauth::OAuthConfig{c.issuer, c.token_lifetime_seconds}, signing_keys, pool,
                  ids, auth_cache, user_write_models);
  }
  mu::rest::RestApi api(calls, pool, oauth ? &*oauth : nullptr);
  mu::grpc::GrpcCalls grpc_calls(calls);
  mu::grpc::GrpcWebApi grpc_web(grpc_calls, mu::grpc::CorsPolicy(c.cors_origins));
  mu::grpc::GrpcH2Service grpc_h2(grpc_calls);
  metrics.set_gauge("mu_grpc_buffered_bytes",
                    "Bytes of gRPC request messages held now, over all HTTP/2 streams.",
                    [&grpc_h2] { return static_cast<double>(grpc_h2.buffered()); });

  mu::http::ServerOptions options;
  options.address = c.listen_host;
  options.port = c.listen_port;
  options.io_threads = c.io_threads;
  options.io_contexts = io_contexts;
  options.read_timeout = std::chrono::seconds(c.read_timeout_seconds);
  options.log_error = [](const std::string& what, const std::string& detail) {
    mu::platform::log_error(what, detail);
  };
  // One port for all three: HTTP/2 connections go to gRPC, gRPC paths to gRPC-Web.
  options.http2 = [&grpc_h2](mu::http::H2Fields headers, mu::http::H2Responder respond) {
    return grpc_h2.open(std::move(headers), std::move(respond));
  };
  mu::http::Server server(
      options, [&api, &grpc_web](mu::http::HttpRequest req, mu::http::Responder respond) {
        if (mu::grpc::GrpcWebApi::handles(req)) return grpc_web(std::move(req), std::move(respond));
        api(std::move(req), std::move(respond));
      });
  server.start();
  const std::string url = "http://" + c.listen_host + ":" + std::to_string(server.port());
  mu::platform::log_info("listening on " + url, {{"address", url},
                                                 {"node_id", node_id},
                                                 {"db_connections", c.db_connections},
                                                 {"db_executor", c.db_executor}});
  // Returns once the calls in flight, gRPC's too (its connections are the server's
  // sessions), are answered: they need the workers, which stop next.
  server.run_until_stopped();
  pool.stop();
  metrics.clear_gauges();  // they read the pool, which goes now
  mu::platform::log_info("stopped");
  mu::platform::stop_logging();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = mu::cli::parse_command_line(args, getenv_string);
  if (!parsed.ok()) {
    std::cerr << "machine-users: " << parsed.error().message << "\n";
    return 2;
  }
  // Every connection made from here on (pool, listeners, runners, sealer, CLI) bounds its
  // waits on a host that stops answering (eventstore/connection_options.hpp).
  parsed->config.database_url =
      mu::eventstore::with_connection_defaults(parsed->config.database_url);
  if (!parsed->config.read_database_url.empty()) {
    parsed->config.read_database_url =
        mu::eventstore::with_connection_defaults(parsed->config.read_database_url);
  }
  const Invocation& inv = *parsed;
  try {
    switch (inv.kind) {
      case Invocation::Kind::Help:
        std::cout << inv.help;
        return 0;
      case Invocation::Kind::Migrate:
        prepare_database(inv.config, true);
        return 0;
      case Invocation::Kind::Setup:
        return setup(inv);
      case Invocation::Kind::Serve:
        return serve(inv.config);
      case Invocation::Kind::Projections:
        return mu::cli::run_projections_command(inv.projections_args, inv.config.database_url,
                                                inv.config.async_projections);
      case Invocation::Kind::Audit:
        return mu::cli::run_audit_command(inv.audit_args, inv.config.database_url,
                                          inv.config.read_database_url);
    }
  } catch (const pqxx::broken_connection& e) {
    std::cerr << "machine-users: cannot reach the database: " << first_line(e.what()) << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "machine-users: " << first_line(e.what()) << "\n";
    return 1;
  }
  return 1;
}
