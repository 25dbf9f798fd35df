#include "app/cli/audit_command.hpp"

#include <catch2/catch.hpp>
#include <iostream>
#include <sstream>

#include "app/cli/audit_integrity_command.hpp"
#include "app/cli/projections_command.hpp"

using mu::cli::AuditCommand;
using mu::cli::parse_audit_command;

TEST_CASE("audit events: every ListEvents filter as a flag") {
  auto c = parse_audit_command({"events",
                                "--type",
                                "user.locked",
                                "--type=user.unlocked",
                                "--aggregate-type",
                                "user",
                                "--aggregate-id",
                                "42",
                                "--editor",
                                "7",
                                "--owner",
                                "9",
                                "--since",
                                "2026-11-28T10:00:00Z",
                                "--until",
                                "2026-11-28T12:00:00+01:00",
                                "--from=2026-11-28T11:00:00.5Z",
                                "--sequence",
                                "3",
                                "--after-position",
                                "17",
                                "--asc",
                                "--limit",
                                "5",
                                "--json"});
  REQUIRE(c.ok());
  CHECK(c->kind == AuditCommand::Kind::Events);
  const auto& q = c->query;
  CHECK(q.event_types == std::vector<std::string>{"user.locked", "user.unlocked"});
  CHECK(q.aggregate_types == std::vector<std::string>{"user"});
  CHECK(q.aggregate_id == "42");
  CHECK(q.editor_user_id == "7");
  CHECK(q.resource_owner == "9");
  CHECK(q.since == mu::domain::parse_rfc3339("2026-11-28T10:00:00Z"));
  CHECK(q.until == mu::domain::parse_rfc3339("2026-11-28T11:00:00Z"));
  CHECK(q.from == mu::domain::parse_rfc3339("2026-11-28T11:00:00.500Z"));
  CHECK(q.sequence == 3);
  CHECK(q.after_position == 17);
  CHECK(q.asc);
  CHECK(c->limit == 5);
  CHECK(c->json);

  auto plain = parse_audit_command({"events"});
  REQUIRE(plain.ok());
  CHECK(plain->limit == 0);  // no limit: every event, streamed
  CHECK_FALSE(plain->query.asc);
  CHECK_FALSE(plain->json);
}

TEST_CASE("audit: bad command lines are one clear line") {
  auto error = [](std::vector<std::string> args) {
    auto c = parse_audit_command(args);
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().message.find('\n') == std::string::npos);
    return c.error().message;
  };
  CHECK(error({"evnts"}) == "unknown command \"evnts\" for audit (try audit --help)");
  CHECK(error({"events", "--typ", "x"}) ==
        "unknown flag --typ for audit events (try audit --help)");
  CHECK(error({"events", "--limit", "x"}) == "flag --limit needs a positive number, not \"x\"");
  CHECK(error({"events", "--limit", "0"}) == "flag --limit needs a positive number, not \"0\"");
  CHECK(error({"events", "--limit"}) == "flag --limit needs a value");
  CHECK(error({"events", "--asc=yes"}) == "flag --asc takes no value");
  CHECK(error({"events", "--since", "yesterday"}).starts_with("--since \"yesterday\" is not"));
  CHECK(error({"events", "stray"}).find("\"stray\"") != std::string::npos);
  std::vector<std::string> many{"events"};
  for (int i = 0; i < 31; ++i) many.insert(many.end(), {"--type", "user.locked"});
  CHECK(error(many).find("no more than 30") != std::string::npos);
  CHECK(error({"events", "--since", "2026-01-02T00:00:00Z", "--until", "2026-01-01T00:00:00Z"})
            .find("until must be after since") != std::string::npos);
  CHECK(error({"history"}) == "audit history needs a USER_ID");
  CHECK(error({"history", "1", "2"}).find("one USER_ID") != std::string::npos);
  CHECK(error({"history", "1", "--limit", "3"}).starts_with("unknown flag --limit"));
  CHECK(error({"as-of", "1"}) == "audit as-of needs exactly one of --sequence N and --time TIME");
  CHECK(error({"as-of", "1", "--sequence", "2", "--time", "2026-01-01T00:00:00Z"}) ==
        "audit as-of needs exactly one of --sequence N and --time TIME");
  CHECK(error({"as-of", "1", "--sequence", "0"}) ==
        "flag --sequence needs a positive number, not \"0\"");
  CHECK(error({"as-of", "1", "--time", "2026-13-01T00:00:00Z"}).starts_with("--time \""));
}

TEST_CASE("audit history, as-of, help and the integrity tool") {
  auto h = parse_audit_command({"history", "42", "--asc"});
  REQUIRE(h.ok());
  CHECK(h->kind == AuditCommand::Kind::History);
  CHECK(h->user_id == "42");
  CHECK(h->query.aggregate_id == "42");
  CHECK(h->query.aggregate_types == std::vector<std::string>{"user"});
  CHECK(h->query.asc);

  auto a = parse_audit_command({"as-of", "42", "--time", "2026-11-28T10:00:00Z", "--json"});
  REQUIRE(a.ok());
  CHECK(a->kind == AuditCommand::Kind::AsOf);
  CHECK(a->user_id == "42");
  CHECK(a->at.time == mu::domain::parse_rfc3339("2026-11-28T10:00:00Z"));
  CHECK_FALSE(a->at.sequence);
  CHECK(a->json);
  a = parse_audit_command({"as-of", "--sequence=4", "42"});
  REQUIRE(a.ok());
  CHECK(a->at.sequence == 4u);

  CHECK(parse_audit_command({})->kind == AuditCommand::Kind::Help);
  CHECK(parse_audit_command({"--help"})->kind == AuditCommand::Kind::Help);
  CHECK(parse_audit_command({"history", "1", "-h"})->kind == AuditCommand::Kind::Help);
  CHECK(parse_audit_command({"--help"})->help.empty());  // the overview of every command

  auto v = parse_audit_command({"verify", "--from", "3", "--help"});
  REQUIRE(v.ok());
  CHECK(v->kind == AuditCommand::Kind::Integrity);
  CHECK(v->integrity_sub == "verify");
  CHECK(v->integrity_args == std::vector<std::string>{"--from", "3", "--help"});
  CHECK(parse_audit_command({"seal"})->integrity_sub == "seal");
}

namespace {

// What `run` printed on stdout, and its exit code.
template <typename Run>
std::pair<int, std::string> captured(Run run) {
  std::ostringstream out;
  auto* old = std::cout.rdbuf(out.rdbuf());
  const int code = run();
  std::cout.rdbuf(old);
  return {code, out.str()};
}

void check_names(const std::string& help, std::initializer_list<const char*> flags) {
  CHECK(help.find("--help") != std::string::npos);
  for (const char* flag : flags) {
    INFO(help);
    CHECK(help.find(flag) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("audit: each subcommand's --help is its own usage, generated from its flags") {
  auto events = parse_audit_command({"events", "--typ", "--help"});
  REQUIRE(events.ok());
  CHECK(events->kind == AuditCommand::Kind::Help);
  CHECK(events->help.starts_with("The events, newest first"));
  check_names(events->help,
              {"machine-users audit events", "--type T", "--aggregate-type", "--aggregate-id",
               "--editor", "--owner", "--since", "--until", "--from", "--sequence",
               "--after-position", "--limit", "--asc", "--json", "DATABASE_URL"});
  auto history = parse_audit_command({"history", "-h"});
  REQUIRE(history.ok());
  check_names(history->help, {"machine-users audit history USER_ID", "--asc", "--json"});
  auto as_of = parse_audit_command({"as-of", "--help"});
  REQUIRE(as_of.ok());
  check_names(as_of->help, {"machine-users audit as-of USER_ID", "--sequence N", "--time TIME"});
  // Printed by the command, exit 0, no database touched.
  auto [code, out] = captured([] { return mu::cli::run_audit_command({"events", "--help"}, ""); });
  CHECK(code == 0);
  CHECK(out == events->help);
}

TEST_CASE("audit verify and seal: --help exits 0 and names their flags") {
  auto [code, out] =
      captured([] { return mu::cli::run_audit_integrity("verify", {"--help"}, ""); });
  CHECK(code == 0);
  check_names(out, {"machine-users audit verify", "--seals FILE", "--public-key FILE"});
  std::tie(code, out) = captured([] {
    return mu::cli::run_audit_integrity("seal", {"--key", "k", "-h"}, "");
  });
  CHECK(code == 0);
  check_names(out, {"machine-users audit seal", "--key FILE", "MU_SEAL_KEY", "--seal-log FILE",
                    "MU_SEAL_LOG"});
  // A bad flag stays one line and exit 2.
  std::ostringstream err;
  auto* old = std::cerr.rdbuf(err.rdbuf());
  const int bad = mu::cli::run_audit_integrity("seal", {"--kee", "k"}, "");
  std::cerr.rdbuf(old);
  CHECK(bad == 2);
  CHECK(err.str() == "machine-users audit: unknown flag --kee for audit seal (try audit --help)\n");
}

TEST_CASE("projections list, replay and verify: --help exits 0 and names their flags") {
  for (const char* command : {"list", "replay", "verify"}) {
    auto [code, out] = captured([&] {
      return mu::cli::run_projections_command({command, "--help"}, "", {});
    });
    CHECK(code == 0);
    check_names(out, {"machine-users projections", command, "DATABASE_URL",
                      std::string(command) == "list" ? "--json" : "--all"});
  }
}
