// `machine-users audit events|history|as-of|verify|seal`: the auditors' command line
// (issue 8). The reads are in eventstore/audit_queries and domain/audit; this is the
// command line around them. An operator tool: instance-wide, every organization.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/audit.hpp"
#include "domain/result.hpp"

namespace mu::runtime {

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
};

// Errors are one line (InvalidArgument), meant for stderr, e.g. "unknown flag --typ for
// audit events (try audit --help)".
domain::Result<AuditCommand> parse_audit_command(const std::vector<std::string>& args);

// The flags of one subcommand of `audit`: each --name [value] of `words` (and
// --name=value), positional words apart; anything else is a one-line InvalidArgument.
struct AuditFlags {
  std::vector<std::pair<std::string, std::string>> given;  // in order, repeats kept
  std::vector<std::string> positional;
};
domain::Result<AuditFlags> split_flags(const std::string& sub,
                                       const std::vector<std::string>& words,
                                       const std::vector<std::string_view>& with_value,
                                       const std::vector<std::string_view>& without_value);

// The usage text of `machine-users audit`.
const char* audit_help();

// Runs `machine-users audit ARGS`. Returns the exit code: 0 done, 1 failed (no such user,
// the database), 2 bad usage. Errors are one line on stderr; output goes to stdout.
int run_audit_command(const std::vector<std::string>& args, const std::string& database_url);

}  // namespace mu::runtime
