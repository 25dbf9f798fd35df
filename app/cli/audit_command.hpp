// `machine-users audit events|history|as-of|verify|seal`: the auditors' command line.
// The reads are in eventstore/audit_queries and domain/audit; this is the
// command line around them. An operator tool: instance-wide, every organization.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/audit.hpp"
#include "domain/result.hpp"

namespace mu::cli {

// The words after `audit`, parsed. Pure, so that every flag and its error are unit-tested.
struct AuditCommand {
  enum class Kind { Help, Events, History, AsOf, Integrity } kind = Kind::Help;
  // events and history: the filters (history: aggregate type user, aggregate id USER_ID).
  domain::EventsQuery query;
  std::size_t limit = 0;  // 0: every matching event, streamed
  bool json = false;
  // history and as-of.
  std::string user_id;
  domain::AsOf at;  // as-of: exactly one of sequence and time
  // verify and seal: the subcommand and the words after it, for run_audit_integrity.
  std::string integrity_sub;
  std::vector<std::string> integrity_args;
  // Help: the subcommand's usage, which CLI11 writes from its flags (--help after
  // events, history or as-of); empty for the overview of every command.
  std::string help;
};

// Errors are one line (InvalidArgument), meant for stderr, e.g. "unknown flag --typ for
// audit events (try audit --help)".
domain::Result<AuditCommand> parse_audit_command(const std::vector<std::string>& args);

// One flag of a subcommand of `audit`, as CLI11 declares it and its --help shows it.
struct FlagSpec {
  std::string_view name;         // "--type"
  std::string_view value;        // the value's name in the help ("T"); empty: takes none
  std::string_view description;  // one line for the help
};

// The flags of one subcommand of `audit`: each --name [value] of `words` (and
// --name=value), positional words apart; anything else is a one-line InvalidArgument.
// -h/--help anywhere among the words sets `help` to the subcommand's usage.
struct AuditFlags {
  std::vector<std::pair<std::string, std::string>> given;  // in order, repeats kept
  std::vector<std::string> positional;
  std::optional<std::string> help;
};
struct SubcommandSpec {
  std::string_view name;         // "events", or "verify" under the integrity tool
  std::string_view positional;   // the words besides the flags in the usage ("USER_ID")
  std::string_view description;  // what it does, first in its --help
  std::vector<FlagSpec> flags;
  std::string_view exit_codes = "0 done, 1 failed (no such user, the database), 2 bad usage";
};
domain::Result<AuditFlags> split_flags(const SubcommandSpec& spec,
                                       const std::vector<std::string>& words);

// The usage text of `machine-users audit`.
const char* audit_help();

// Runs `machine-users audit ARGS`. Returns the exit code: 0 done, 1 failed (no such user,
// the database), 2 bad usage. Errors are one line on stderr; output goes to stdout.
// `read_url` (MU_READ_DATABASE_URL): events, history, as-of and verify read on that standby
// when it has replayed every write acknowledged before the command began (waiting up to 2 s),
// else on `database_url`; seal always writes on `database_url`.
int run_audit_command(const std::vector<std::string>& args, const std::string& database_url,
                      const std::string& read_url = "");

}  // namespace mu::cli
