#include "app/cli/projections_command.hpp"

#include <unistd.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <set>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "eventstore/migrations.hpp"
#include "projections/catch_up.hpp"
#include "projections/rebuild.hpp"
#include "projections/registry.hpp"

namespace mu::cli {

namespace {

using projections::ProjectionInfo;

int report_failure(const std::string& message, int code = 1) {
  std::cerr << "machine-users projections: " << message << "\n";
  return code;
}

std::string known_names() {
  std::string out;
  for (const auto& p : projections::registry()) out += (out.empty() ? "" : ", ") + p.name;
  return out;
}

// The words after the command (list, replay, verify): list takes --json, replay and
// verify NAME or --all. CLI11 reads them; errors stay one line of ours.
struct Words {
  bool json = false;
  bool all = false;
  std::vector<std::string> names;
  std::string unknown_flag;  // the first word that looks like a flag and is none
  std::string help;          // -h/--help: the command's usage, written by CLI11
};

Words read_words(const std::vector<std::string>& args) {
  Words w;
  CLI::App app;
  const bool is_list = args[0] == "list";
  // CLI11 2.1 has no usage text of its own: the names go in the app's name.
  app.name("machine-users projections " + args[0] + (is_list ? "" : " NAME|--all"));
  app.set_help_flag("-h,--help", "this text");
  app.allow_extras();  // names and unknown flags, told apart below
  if (is_list) {
    app.description(
        "Name, version, mode, checkpoint, events and seconds behind, failed events of every\n"
        "read model: a table, or JSON with --json.");
    app.add_flag("--json", w.json, "one JSON array")->disable_flag_override();
  } else {
    app.description(args[0] == "replay"
                        ? "Rebuild NAME (or every read model) from the first event; \"users\" is "
                          "rebuilt beside\nthe live table and swapped in, the others in place "
                          "under their write lock."
                        : "Rebuild NAME (or every read model) into scratch tables and print the "
                          "rows that differ\nfrom the live read model; exit 1 if any.");
    app.add_flag("--all", w.all, "every read model (" + known_names() + ")")
        ->disable_flag_override();
  }
  app.footer(
      "Also --database-url URL (env DATABASE_URL) and --async-projections L (env\n"
      "MU_ASYNC_PROJECTIONS). Every command: machine-users projections --help");
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend() - 1);
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    w.help = app.help();
    return w;
  } catch (const CLI::ParseError&) {
    // Only a flag given a value ("--json=x") gets here: it is no flag we know.
    for (std::size_t i = 1; i < args.size() && w.unknown_flag.empty(); ++i) {
      if (args[i].starts_with("-")) w.unknown_flag = args[i];
    }
    return w;
  }
  for (const auto& word : app.remaining()) {
    if (word.starts_with("-") && w.unknown_flag.empty()) w.unknown_flag = word;
    if (!word.starts_with("-")) w.names.push_back(word);
  }
  return w;
}

// targets' error after it printed the --help: no error, but the command is done.
constexpr int kHelped = -1;

// NAME or --all, as a list; empty with an error printed when neither fits.
std::vector<const ProjectionInfo*> targets(const std::vector<std::string>& args, int& error) {
  std::vector<const ProjectionInfo*> out;
  const Words w = read_words(args);
  if (!w.help.empty()) {
    std::cout << w.help;
    error = kHelped;
    return out;
  }
  if (!w.unknown_flag.empty() || w.names.size() + (w.all ? 1 : 0) != 1) {
    error = report_failure(
        "usage: projections " + args[0] + " NAME|--all (known: " + known_names() + ")", 2);
    return out;
  }
  if (w.all) {
    for (const auto& p : projections::registry()) out.push_back(&p);
    return out;
  }
  if (auto* p = projections::find_projection(w.names.front())) {
    out.push_back(p);
  } else {
    error = report_failure(
        "unknown projection \"" + w.names.front() + "\" (known: " + known_names() + ")", 2);
  }
  return out;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

int list(pqxx::connection& conn, bool as_json, const std::set<std::string>& async) {
  auto rows = nlohmann::json::array();
  pqxx::read_transaction tx(conn);
  for (const auto& p : projections::registry()) {
    const bool is_async = async.count(p.name) > 0;
    nlohmann::json row = {
        {"name", p.name}, {"version", p.version}, {"mode", is_async ? "async" : "inline"}};
    if (is_async) {
      const auto s = projections::checkpoint_state(tx, projections::async_checkpoint(p));
      row["checkpoint"] = s.done_snapshot;
      row["events_reduced"] = s.events_reduced;
      row["events_behind"] = s.events_behind;
      row["seconds_behind"] = s.seconds_behind;
    } else {
      // Inline read models are reduced in the commands' own transactions.
      const auto r = tx.exec_params("SELECT position FROM current_states WHERE projection = $1",
                                    p.inline_checkpoints.front());
      row["checkpoint"] = "position " + (r.empty() ? std::string("0") : r[0][0].c_str());
      row["events_reduced"] = nullptr;
      row["events_behind"] = 0;
      row["seconds_behind"] = 0.0;
    }
    const auto failed =
        tx.exec_params1("SELECT count(*) FROM projection_failures WHERE projection = $1", p.name);
    row["failed_events"] = failed[0].as<std::int64_t>();
    rows.push_back(row);
  }
  if (as_json) {
    std::cout << rows.dump() << "\n";
    return 0;
  }
  std::cout << pad("NAME", 8) << pad("VERSION", 9) << pad("MODE", 8) << pad("CHECKPOINT", 28)
            << pad("BEHIND", 9) << pad("SECONDS", 9) << "FAILED\n";
  for (const auto& r : rows) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f", r["seconds_behind"].get<double>());
    std::cout << pad(r["name"], 8) << pad(std::to_string(r["version"].get<int>()), 9)
              << pad(r["mode"], 8) << pad(r["checkpoint"].get<std::string>(), 28)
              << pad(std::to_string(r["events_behind"].get<std::int64_t>()), 9) << pad(seconds, 9)
              << r["failed_events"].get<std::int64_t>() << "\n";
  }
  return 0;
}

// A progress bar on a terminal; otherwise a line every 2 s.
projections::ProgressFn progress_printer(const std::string& name) {
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  const auto started = std::chrono::steady_clock::now();
  auto last = started - std::chrono::seconds(10);
  return [=](const projections::Progress& p) mutable {
    const auto now = std::chrono::steady_clock::now();
    if (!tty && now - last < std::chrono::seconds(2)) return;
    if (tty && now - last < std::chrono::milliseconds(100)) return;
    last = now;
    const double secs = std::chrono::duration<double>(now - started).count();
    const double rate = secs > 0 ? static_cast<double>(p.done) / secs : 0;
    const auto total = std::max(p.total, p.done);
    const double eta = rate > 0 ? static_cast<double>(total - p.done) / rate : 0;
    if (tty) {
      const int width = 30;
      const int filled = total > 0 ? static_cast<int>(width * p.done / total) : width;
      std::fprintf(stderr, "\r%s [%s%s] %lld/%lld events, %.0f events/s, ETA %.0fs ", name.c_str(),
                   std::string(static_cast<std::size_t>(filled), '#').c_str(),
                   std::string(static_cast<std::size_t>(width - filled), '.').c_str(),
                   static_cast<long long>(p.done), static_cast<long long>(total), rate, eta);
    } else {
      std::fprintf(stderr, "replay %s: %lld of %lld events, %.0f events/s, ETA %.0fs\n",
                   name.c_str(), static_cast<long long>(p.done), static_cast<long long>(total),
                   rate, eta);
    }
  };
}

}  // namespace

int run_projections_command(const std::vector<std::string>& args, const std::string& database_url,
                            const std::vector<std::string>& async_projections) {
  if (args.empty())
    return report_failure("usage: projections list|replay|verify ... (try --help)", 2);
  const auto& command = args[0];
  if (command != "list" && command != "replay" && command != "verify") {
    return report_failure("unknown command \"" + command + "\" (list, replay or verify)", 2);
  }
  bool as_json = false;
  std::vector<const ProjectionInfo*> chosen;
  if (command == "list") {
    const Words w = read_words(args);
    if (!w.help.empty()) {
      std::cout << w.help;
      return 0;
    }
    if (!w.unknown_flag.empty())
      return report_failure("unknown flag " + w.unknown_flag + " for list", 2);
    if (!w.names.empty()) return report_failure("unknown flag " + w.names.front() + " for list", 2);
    as_json = w.json;
  } else {
    int error = 0;
    chosen = targets(args, error);
    if (error == kHelped) return 0;
    if (error) return error;
  }

  pqxx::connection conn(database_url);
  {
    pqxx::read_transaction tx(conn);
    auto pending = eventstore::pending_migrations(tx, eventstore::embedded_migrations());
    if (!pending.empty()) {
      return report_failure("the database is not migrated (" + pending.front() +
                            " is pending): run machine-users migrate");
    }
  }
  const std::set<std::string> async(async_projections.begin(), async_projections.end());
  if (command == "list") return list(conn, as_json, async);

  if (command == "replay") {
    for (const auto* p : chosen) {
      const auto started = std::chrono::steady_clock::now();
      try {
        const auto n = projections::replay(conn, *p, progress_printer(p->name));
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        if (::isatty(STDERR_FILENO) == 1) std::fprintf(stderr, "\n");
        std::printf("replayed %s: %lld events in %.2f s (%.0f events/s)\n", p->name.c_str(),
                    static_cast<long long>(n), secs, secs > 0 ? n / secs : 0.0);
      } catch (const projections::RebuildError& e) {
        return report_failure(e.what());
      } catch (const pqxx::broken_connection&) {
        throw;
      } catch (const std::exception& e) {
        return report_failure("replay of " + p->name + " failed: " + e.what());
      }
    }
    return 0;
  }

  std::size_t differences = 0;
  for (const auto* p : chosen) {
    const auto diffs = projections::verify(conn, *p);
    for (const auto& d : diffs) {
      std::cout << d.table << "\t" << d.key << "\t" << d.column << "\tlive=" << d.live
                << "\trebuilt=" << d.rebuilt << "\n";
    }
    differences += diffs.size();
    std::cerr << "verify " << p->name << ": "
              << (diffs.empty() ? "the read model matches its events"
                                : std::to_string(diffs.size()) + " differences")
              << "\n";
  }
  return differences == 0 ? 0 : 1;
}

}  // namespace mu::cli
