#include "app/cli/audit_command.hpp"

#include <CLI/CLI.hpp>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "app/cli/audit_integrity_command.hpp"
#include "domain/machine_user.hpp"
#include "domain/time.hpp"
#include "eventstore/audit_queries.hpp"
#include "eventstore/copy_stream.hpp"
#include "eventstore/event_store.hpp"
#include "eventstore/read_your_writes.hpp"

namespace mu::cli {

namespace {

constexpr const char* kAuditHelp =
    R"(Usage: machine-users audit COMMAND [flags]
The event store for auditors, across every organization (an operator tool). Commands:
  events [filters] [--json]  the events, newest first, streamed (no limit unless --limit):
                             an aligned table, or one JSON object per line with --json
    --type T                 event type (repeatable, at most 30)
    --aggregate-type T       aggregate type (repeatable, at most 10)
    --aggregate-id ID        one aggregate
    --editor ID              events written by this user (SYSTEM: the setup)
    --owner ORG              events of this organization (resource owner)
    --since TIME             created strictly after TIME (RFC 3339, e.g. 2026-11-28T10:55:22Z)
    --until TIME             created strictly before TIME
    --from TIME              created strictly before TIME (after it with --asc)
    --sequence N             each event's own sequence below N (above it with --asc)
    --after-position N       after the event at position N (a cursor, in the order asked)
    --asc                    oldest first
    --limit N                at most N events
  history USER_ID [--asc] [--json]
                             the changes of one user (every organization), newest first
  as-of USER_ID --sequence N|--time TIME [--json]
                             the user as it was after its event N, or at TIME, folded from
                             its events: indented JSON, or one line with --json
  verify, seal               the tamper evidence of the event store (audit verify --help)
Flags:
  --database-url URL         libpq URI (env DATABASE_URL)
  -h, --help                 this text
Exit codes: 0 done, 1 failed (no such user, the database), 2 bad usage.
)";

domain::Error audit_usage(std::string message) {
  return domain::invalid_argument(std::move(message));
}

int fail(const std::string& message, int code) {
  std::cerr << "machine-users audit: " << message << "\n";
  return code;
}

// A positive decimal number (no sign, no spaces), or nullopt.
std::optional<std::uint64_t> parse_positive_u64(const std::string& s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v == 0) return std::nullopt;
  return v;
}

}  // namespace

domain::Result<AuditFlags> split_flags(const SubcommandSpec& spec,
                                       const std::vector<std::string>& words) {
  const std::string sub(spec.name);
  CLI::App app;
  // CLI11 2.1 has no usage text of its own: the positional words go in the name, so
  // that "Usage:" shows them.
  app.name("machine-users audit " + sub + (spec.positional.empty() ? "" : " ") +
           std::string(spec.positional));
  app.description(std::string(spec.description));
  // Under the flags: what CLI11 does not see there (--database-url is the process's).
  app.footer("Also --database-url URL (env DATABASE_URL).\nExit codes: " +
             std::string(spec.exit_codes) + ".\nEvery command: machine-users audit --help");
  app.set_help_flag("-h,--help", "this text");
  app.allow_extras();  // unknown flags and words, told apart below in our words
  std::set<const CLI::Option*> takes_value;
  for (const auto& flag : spec.flags) {
    const std::string name(flag.name), description(flag.description);
    if (flag.value.empty()) {
      app.add_flag(name, description)->disable_flag_override();
    } else {
      // Repeatable (--type, --aggregate-type), each value kept in order.
      takes_value.insert(app.add_option(name, description)
                             ->type_name(std::string(flag.value))
                             ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll));
    }
  }
  try {
    // CLI11 takes the words last first.
    std::vector<std::string> reversed(words.rbegin(), words.rend());
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    AuditFlags help;
    help.help = app.help();
    return help;
  } catch (const CLI::ArgumentMismatch& e) {
    // "--limit: 1 required  missing" or "asc was given a disallowed flag override".
    const std::string what = e.what();
    std::string flag = what.substr(0, what.find_first_of(": "));
    if (!flag.starts_with("--")) flag = "--" + flag;
    if (what.find("flag override") != std::string::npos)
      return audit_usage("flag " + flag + " takes no value");
    return audit_usage("flag " + flag + " needs a value");
  } catch (const CLI::ParseError& e) {
    return audit_usage(std::string(e.what()) + " for audit " + sub + " (try audit --help)");
  }
  AuditFlags out;
  for (const auto& word : app.remaining()) {
    if (word.starts_with("-") && word != "-") {
      return audit_usage("unknown flag " + word.substr(0, word.find('=')) + " for audit " + sub +
                         " (try audit --help)");
    }
    out.positional.push_back(word);
  }
  // The flags in the order given: a flag's Nth appearance is its Nth value.
  std::map<const CLI::Option*, std::size_t> seen;
  for (const CLI::Option* opt : app.parse_order()) {
    const std::size_t nth = seen[opt]++;
    out.given.emplace_back(opt->get_name(),
                           takes_value.contains(opt) ? opt->results().at(nth) : std::string());
  }
  return out;
}

namespace {

domain::Result<domain::Timestamp> parse_time(const std::string& flag, const std::string& value) {
  if (auto t = domain::parse_rfc3339(value)) return *t;
  return audit_usage(flag + " \"" + value +
                     "\" is not an RFC 3339 time, such as 2026-11-28T10:55:22Z or "
                     "2026-11-28T11:55:22+01:00");
}

domain::Result<std::uint64_t> parse_number(const std::string& flag, const std::string& value) {
  if (auto n = parse_positive_u64(value)) return *n;
  return audit_usage("flag " + flag + " needs a positive number, not \"" + value + "\"");
}

// -h/--help of a subcommand: its generated usage, before its other words are checked.
AuditCommand help_of(const AuditFlags& flags) {
  AuditCommand c;
  c.help = *flags.help;
  return c;
}

// The single USER_ID of history and as-of.
domain::Result<std::string> one_user_id(const std::string& sub, const AuditFlags& flags) {
  if (flags.positional.empty()) return audit_usage("audit " + sub + " needs a USER_ID");
  if (flags.positional.size() > 1) {
    return audit_usage("audit " + sub + " takes one USER_ID, not also \"" + flags.positional[1] +
                       "\"");
  }
  return flags.positional[0];
}

domain::Result<AuditCommand> parse_events(const std::vector<std::string>& words) {
  auto flags = split_flags(
      {"events",
       "",
       "The events, newest first, streamed (no limit unless --limit): an aligned table, or one\n"
       "JSON object per line with --json. Every organization (an operator tool).",
       {{"--type", "T", "event type (repeatable, at most 30)"},
        {"--aggregate-type", "T", "aggregate type (repeatable, at most 10)"},
        {"--aggregate-id", "ID", "one aggregate"},
        {"--editor", "ID", "events written by this user (SYSTEM: the setup)"},
        {"--owner", "ORG", "events of this organization (resource owner)"},
        {"--since", "TIME", "created strictly after TIME (RFC 3339, e.g. 2026-11-28T10:55:22Z)"},
        {"--until", "TIME", "created strictly before TIME"},
        {"--from", "TIME", "created strictly before TIME (after it with --asc)"},
        {"--sequence", "N", "each event's own sequence below N (above it with --asc)"},
        {"--after-position", "N", "after the event at position N (a cursor, in the order asked)"},
        {"--limit", "N", "at most N events"},
        {"--asc", "", "oldest first"},
        {"--json", "", "one JSON object per line"}}},
      words);
  if (!flags.ok()) return flags.error();
  if (flags->help) return help_of(*flags);
  if (!flags->positional.empty()) {
    return audit_usage("audit events takes no words but flags, not \"" + flags->positional[0] +
                       "\"");
  }
  AuditCommand c;
  c.kind = AuditCommand::Kind::Events;
  auto& q = c.query;
  for (const auto& [flag, value] : flags->given) {
    if (flag == "--type") {
      q.event_types.push_back(value);
    } else if (flag == "--aggregate-type") {
      q.aggregate_types.push_back(value);
    } else if (flag == "--aggregate-id") {
      q.aggregate_id = value;
    } else if (flag == "--editor") {
      q.editor_user_id = value;
    } else if (flag == "--owner") {
      q.resource_owner = value;
    } else if (flag == "--since" || flag == "--until" || flag == "--from") {
      auto t = parse_time(flag, value);
      if (!t.ok()) return t.error();
      (flag == "--since" ? q.since : flag == "--until" ? q.until : q.from) = *t;
    } else if (flag == "--sequence" || flag == "--after-position" || flag == "--limit") {
      auto n = parse_number(flag, value);
      if (!n.ok()) return n.error();
      if (flag == "--sequence") q.sequence = *n;
      if (flag == "--after-position") q.after_position = *n;
      if (flag == "--limit") c.limit = static_cast<std::size_t>(*n);
    } else if (flag == "--asc") {
      q.asc = true;
    } else if (flag == "--json") {
      c.json = true;
    }
  }
  if (auto invalid = domain::validate(q)) return *invalid;
  return c;
}

domain::Result<AuditCommand> parse_history(const std::vector<std::string>& words) {
  auto flags =
      split_flags({"history",
                   "USER_ID",
                   "The changes of one user (every organization), newest first.",
                   {{"--asc", "", "oldest first"}, {"--json", "", "one JSON object per line"}}},
                  words);
  if (!flags.ok()) return flags.error();
  if (flags->help) return help_of(*flags);
  auto id = one_user_id("history", *flags);
  if (!id.ok()) return id.error();
  AuditCommand c;
  c.kind = AuditCommand::Kind::History;
  c.user_id = *id;
  c.query.aggregate_types = {std::string(domain::kUserAggregate)};
  c.query.aggregate_id = *id;
  for (const auto& [flag, value] : flags->given) {
    if (flag == "--asc") c.query.asc = true;
    if (flag == "--json") c.json = true;
  }
  if (auto invalid = domain::validate(c.query)) return *invalid;
  return c;
}

domain::Result<AuditCommand> parse_as_of(const std::vector<std::string>& words) {
  auto flags = split_flags(
      {"as-of",
       "USER_ID",
       "The user as it was after its event N, or at TIME, folded from its events: indented\n"
       "JSON, or one line with --json. Exactly one of --sequence and --time.",
       {{"--sequence", "N", "the user after its own event N"},
        {"--time", "TIME", "the user at TIME (RFC 3339)"},
        {"--json", "", "one line of JSON"}}},
      words);
  if (!flags.ok()) return flags.error();
  if (flags->help) return help_of(*flags);
  auto id = one_user_id("as-of", *flags);
  if (!id.ok()) return id.error();
  AuditCommand c;
  c.kind = AuditCommand::Kind::AsOf;
  c.user_id = *id;
  int moments = 0;
  for (const auto& [flag, value] : flags->given) {
    if (flag == "--json") {
      c.json = true;
      continue;
    }
    ++moments;
    if (flag == "--sequence") {
      auto n = parse_number(flag, value);
      if (!n.ok()) return n.error();
      c.at.sequence = *n;
    } else {
      auto t = parse_time(flag, value);
      if (!t.ok()) return t.error();
      c.at.time = *t;
    }
  }
  if (moments != 1)
    return audit_usage("audit as-of needs exactly one of --sequence N and --time TIME");
  return c;
}

// ---- output --------------------------------------------------------------------

// Display width of UTF-8 text: its code points (the values here are ids, types, names).
std::size_t width_of(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}

// `s` in exactly `width` columns: padded with spaces, or cut at a code point and ended
// with an ellipsis.
std::string fit(std::string_view s, std::size_t width) {
  const std::size_t w = width_of(s);
  if (w <= width) return std::string(s) + std::string(width - w, ' ');
  std::string out;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool starts = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    if (starts && kept == width - 1) break;
    if (starts) ++kept;
    out += s[i];
  }
  return out + "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
}

// The table streams: rows are printed as they arrive, before the widest value is known,
// so the widths are fixed up front (wide enough for this service's ids, types and
// microsecond times). A longer value is cut with an ellipsis; REQUEST ID, the last
// column, is printed whole. RPC shows the method, the part after the service's '/'.
struct Column {
  const char* title;
  std::size_t width;
};
constexpr Column kColumns[] = {{"POSITION", 10}, {"CREATED", 27}, {"AGGREGATE", 26}, {"SEQ", 6},
                               {"TYPE", 34},     {"EDITOR", 20},  {"OWNER", 20},     {"RPC", 26}};
constexpr std::size_t kGap = 2;  // spaces between columns

void print_table_row(const std::vector<std::string>& cells, const std::string& last) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    line += fit(cells[i], kColumns[i].width);
    line.append(kGap, ' ');
  }
  line += last;
  while (!line.empty() && line.back() == ' ') line.pop_back();
  std::cout << line << '\n';
}

void print_table_header() {
  std::vector<std::string> titles;
  for (const auto& c : kColumns) titles.emplace_back(c.title);
  print_table_row(titles, "REQUEST ID");
}

std::string rpc_method(const std::string& rpc) {
  const auto slash = rpc.rfind('/');
  return slash == std::string::npos ? rpc : rpc.substr(slash + 1);
}

void print_table(const eventstore::EventRow& r) {
  print_table_row({std::to_string(r.position), domain::to_rfc3339(r.created_at),
                   r.aggregate_type + "/" + r.aggregate_id, std::to_string(r.sequence), r.type,
                   r.creator, r.owner, rpc_method(r.rpc)},
                  r.request_id);
}

// One JSON object per line: every field of the event, the payload as JSON; the keys in
// the order of the table's columns (ordered_json), not sorted.
void print_json_line(const eventstore::EventRow& r) {
  auto payload = nlohmann::ordered_json::parse(r.payload, nullptr, /*allow_exceptions=*/false);
  if (payload.is_discarded()) payload = r.payload;
  const nlohmann::ordered_json line = {{"position", r.position},
                                       {"aggregateType", r.aggregate_type},
                                       {"aggregateId", r.aggregate_id},
                                       {"sequence", r.sequence},
                                       {"type", r.type},
                                       {"payload", std::move(payload)},
                                       {"editor", r.creator},
                                       {"resourceOwner", r.owner},
                                       {"creationDate", domain::to_rfc3339(r.created_at)},
                                       {"rpc", r.rpc},
                                       {"transport", r.transport},
                                       {"requestId", r.request_id}};
  std::cout << line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
}

// ---- the commands ----------------------------------------------------------------

// events and history: streamed with COPY, each row printed as it arrives (bounded memory).
int stream_events(const AuditCommand& c, const std::string& database_url) {
  pqxx::connection conn(database_url);
  eventstore::EventsWindow window;
  {
    // Autocommit: the horizon's statement ends before the COPY's snapshot is taken.
    pqxx::nontransaction read(conn);
    if (c.kind == AuditCommand::Kind::History &&
        read.exec_params("SELECT 1 FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 "
                         "LIMIT 1",
                         std::string(domain::kUserAggregate), c.user_id)
            .empty()) {
      return fail("no user " + c.user_id, 1);
    }
    auto resolved = eventstore::events_window(read, c.query.after_position);
    if (!resolved) {
      return fail("--after-position " + std::to_string(c.query.after_position) +
                      " is the position of no event",
                  2);
    }
    window = std::move(*resolved);
  }
  pqxx::read_transaction tx(conn);
  const auto select = eventstore::events_select(tx, c.query, "", window, c.limit);
  if (!c.json) print_table_header();
  eventstore::stream_rows(tx, select, eventstore::kEventRowColumns,
                          [&](const std::vector<std::string>& fields) {
                            const auto row = eventstore::event_row_from(fields);
                            c.json ? print_json_line(row) : print_table(row);
                            return true;
                          });
  tx.commit();
  std::cout.flush();
  return 0;
}

int as_of(const AuditCommand& c, const std::string& database_url) {
  pqxx::connection conn(database_url);
  eventstore::EventStore store(conn);
  std::vector<domain::StoredEvent> events;
  {
    pqxx::read_transaction tx(conn);
    events = store.read_stream(tx, std::string(domain::kUserAggregate), c.user_id);
  }
  if (events.empty()) return fail("no user " + c.user_id, 1);
  const auto then = domain::user_as_of(events, c.at);
  if (!then) {
    const std::string moment = c.at.sequence ? "sequence " + std::to_string(*c.at.sequence)
                                             : domain::to_rfc3339(*c.at.time);
    return fail("user " + c.user_id + " did not exist yet at " + moment, 1);
  }
  const auto& u = then->user;
  const nlohmann::ordered_json out = {{"id", u.id},
                                      {"resourceOwner", u.owner},
                                      {"userName", u.user_name},
                                      {"name", u.name},
                                      {"description", u.description},
                                      {"state", domain::to_string(u.state)},
                                      {"accessTokenType", domain::to_string(u.access_token_type)},
                                      {"sequence", u.sequence},
                                      {"creationDate", domain::to_rfc3339(then->creation_date)},
                                      {"changeDate", domain::to_rfc3339(then->change_date)}};
  // Indented for a reader by default; one line with --json, for tools.
  std::cout << out.dump(c.json ? -1 : 2, ' ', false,
                        nlohmann::ordered_json::error_handler_t::replace)
            << '\n';
  return 0;
}

}  // namespace

const char* audit_help() {
  return kAuditHelp;
}

domain::Result<AuditCommand> parse_audit_command(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
    return AuditCommand{};
  }
  const std::string& sub = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (sub == "verify" || sub == "seal") {
    // The integrity tool owns its words, its --help included.
    AuditCommand c;
    c.kind = AuditCommand::Kind::Integrity;
    c.integrity_sub = sub;
    c.integrity_args = rest;
    return c;
  }
  if (sub != "events" && sub != "history" && sub != "as-of") {
    return audit_usage("unknown command \"" + sub + "\" for audit (try audit --help)");
  }
  if (sub == "events") return parse_events(rest);
  if (sub == "history") return parse_history(rest);
  return parse_as_of(rest);
}

int run_audit_command(const std::vector<std::string>& args, const std::string& database_url,
                      const std::string& read_url) {
  auto parsed = parse_audit_command(args);
  if (!parsed.ok()) return fail(parsed.error().message, 2);
  const AuditCommand& c = *parsed;
  const bool reads_only = c.kind != AuditCommand::Kind::Help &&
                          (c.kind != AuditCommand::Kind::Integrity || c.integrity_sub == "verify");
  const std::string url =
      reads_only ? eventstore::caught_up_url(database_url, read_url, std::chrono::seconds(2))
                 : database_url;
  switch (c.kind) {
    case AuditCommand::Kind::Help:
      std::cout << (c.help.empty() ? std::string(kAuditHelp) : c.help);
      return 0;
    case AuditCommand::Kind::Events:
    case AuditCommand::Kind::History:
      return stream_events(c, url);
    case AuditCommand::Kind::AsOf:
      return as_of(c, url);
    case AuditCommand::Kind::Integrity:
      return run_audit_integrity(c.integrity_sub, c.integrity_args, url);
  }
  return 2;
}

}  // namespace mu::cli
