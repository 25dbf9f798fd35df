// machine-users: the executable. Parses the command line, then migrates and/or
// serves. Failures are one clear line on stderr and a non-zero exit.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "app/http/server.hpp"
#include "app/rest/rest_api.hpp"
#include "app/runtime/checkpoint_keeper.hpp"
#include "app/runtime/config.hpp"
#include "app/runtime/worker_pool.hpp"
#include "domain/ids.hpp"
#include "eventstore/migrations.hpp"
#include "eventstore/node_ids.hpp"

namespace {

using mu::runtime::Invocation;
using mu::runtime::ServeConfig;

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

int serve(const ServeConfig& c) {
  const auto node_id = prepare_database(c, false);
  mu::domain::IdGenerator ids(node_id);
  mu::runtime::CheckpointKeeper checkpoints(c.database_url, std::chrono::milliseconds(250));
  mu::runtime::WorkerPool pool(c.database_url, c.db_connections, c.queue_capacity);
  mu::rest::RestApi api(pool, ids);

  mu::http::ServerOptions options;
  options.address = c.listen_host;
  options.port = c.listen_port;
  options.io_threads = c.io_threads;
  mu::http::Server server(options, [&api](mu::http::HttpRequest req, mu::http::Responder respond) {
    api(std::move(req), std::move(respond));
  });
  server.start();
  std::cout << "listening on http://" << c.listen_host << ":" << server.port() << std::endl;
  server.run_until_stopped();
  pool.stop();
  std::cout << "stopped" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = mu::runtime::parse_command_line(args, getenv_string);
  if (!parsed.ok()) {
    std::cerr << "machine-users: " << parsed.error().message << "\n";
    return 2;
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
      case Invocation::Kind::Serve:
        return serve(inv.config);
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
