// `machine-users audit events|history|as-of` through the real
// binary: the same events as ListEvents, streamed as a table or JSON lines, a user's
// history and its state as of a moment, and one-line errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "tests/e2e/service_fixture.hpp"

using mu::testing::ProcessResult;
using mu::testing::run_binary;
using mu::testing::Service;
using nlohmann::json;

namespace {

const std::string kEvents = "/admin/v1/events/_search";

ProcessResult audit(Service& s, std::vector<std::string> args) {
  args.insert(args.begin(), "audit");
  args.push_back("--database-url");
  args.push_back(s.database().url());
  return run_binary(args);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The JSON lines of a successful `audit events|history --json`.
std::vector<json> json_lines(const ProcessResult& r) {
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::vector<json> out;
  for (const auto& line : lines_of(r.out)) out.push_back(json::parse(line));
  return out;
}

// "<aggregate id>/<sequence>" of each event, in order: of JSON lines ...
std::vector<std::string> keys(const std::vector<json>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    out.push_back(e["aggregateId"].get<std::string>() + "/" +
                  std::to_string(e["sequence"].get<std::uint64_t>()));
  }
  return out;
}
// ... and of a ListEvents answer.
std::vector<std::string> http_keys(const json& body) {
  std::vector<std::string> out;
  if (!body.contains("events")) return out;
  for (const auto& e : body["events"]) {
    out.push_back(e["aggregate"]["id"].get<std::string>() + "/" + e["sequence"].get<std::string>());
  }
  return out;
}

std::vector<std::uint64_t> sequences(const std::vector<json>& events) {
  std::vector<std::uint64_t> out;
  for (const auto& e : events) out.push_back(e["sequence"].get<std::uint64_t>());
  return out;
}

// The POSITION column of a table's rows (its header left out).
std::vector<std::string> table_positions(const ProcessResult& r) {
  std::vector<std::string> out;
  const auto lines = lines_of(r.out);
  for (std::size_t i = 1; i < lines.size(); ++i)
    out.push_back(lines[i].substr(0, lines[i].find(' ')));
  return out;
}
std::vector<std::string> json_positions(const std::vector<json>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(std::to_string(e["position"].get<std::int64_t>()));
  return out;
}

// A usage error: exit 2 (or 1), nothing on stdout, one line on stderr.
void check_one_line_error(const ProcessResult& r, int code, const std::string& contains) {
  INFO(r.out << r.err);
  CHECK(r.exit_code == code);
  CHECK(r.out.empty());
  REQUIRE(!r.err.empty());
  CHECK(r.err.back() == '\n');
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.find(contains) != std::string::npos);
}

}  // namespace

TEST_CASE("audit cli: events --json are ListEvents' events, the table the same, filters") {
  Service s;
  const auto id = s.add_user("cli", s.org2());
  REQUIRE(s.call("PUT", "/users/" + id + "/machine", R"({"name":"second"})", s.org2()).status ==
          200);
  REQUIRE(s.call("POST", "/users/" + id + "/_lock", "", s.org2()).status == 200);
  const auto other = s.add_user("other", s.org1());
  const auto stored = static_cast<std::size_t>(s.count_events());

  // Every event, newest first and oldest first, as ListEvents answers.
  auto all = json_lines(audit(s, {"events", "--json"}));
  REQUIRE(all.size() == stored);
  CHECK(keys(all) == http_keys(s.call("POST", kEvents, json{{"limit", 1000}}).body));
  CHECK(keys(all)[0] == other + "/1");
  auto asc = json_lines(audit(s, {"events", "--asc", "--json"}));
  CHECK(keys(asc) == http_keys(s.call("POST", kEvents, json{{"limit", 1000}, {"asc", true}}).body));
  CHECK(keys(asc).back() == other + "/1");

  // Every field of the event.
  auto mine = json_lines(audit(s, {"events", "--aggregate-id", id, "--asc", "--json"}));
  REQUIRE(sequences(mine) == std::vector<std::uint64_t>{1, 2, 3});
  const auto& changed = mine[1];
  CHECK(changed["aggregateType"] == "user");
  CHECK(changed["aggregateId"] == id);
  CHECK(changed["type"] == "user.machine.changed");
  CHECK(changed["payload"] == json{{"name", "second"}});
  CHECK(changed["editor"] == s.admin_id());
  CHECK(changed["resourceOwner"] == s.org2());
  CHECK(changed["rpc"] == "zitadel.management.v1.ManagementService/UpdateMachine");
  CHECK(changed["transport"] == "rest");
  CHECK(!changed["requestId"].get<std::string>().empty());
  CHECK(changed["position"].get<std::int64_t>() > mine[0]["position"].get<std::int64_t>());
  // The same creation dates as ListEvents.
  auto http_mine = s.call("POST", kEvents, json{{"aggregateId", id}, {"asc", true}}).body;
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(mine[i]["creationDate"] == http_mine["events"][i]["creationDate"]);
  }

  // The table: a header, then one line per event, the same events in the same order.
  auto table = audit(s, {"events"});
  REQUIRE(table.exit_code == 0);
  const auto rows = lines_of(table.out);
  REQUIRE(rows.size() == stored + 1);
  CHECK(rows[0].starts_with("POSITION"));
  for (const char* title :
       {"CREATED", "AGGREGATE", "SEQ", "TYPE", "EDITOR", "OWNER", "RPC", "REQUEST ID"}) {
    CHECK(rows[0].find(title) != std::string::npos);
  }
  CHECK(table_positions(table) == json_positions(all));
  CHECK(rows[1].find("user/" + other) != std::string::npos);
  CHECK(rows[1].find("user.machine.added") != std::string::npos);
  CHECK(rows[1].find("AddMachineUser") != std::string::npos);
  // Fixed widths: every column starts where its title does.
  const auto type_column = rows[0].find("TYPE");
  for (std::size_t i = 1; i < rows.size(); ++i) {
    CHECK(rows[i].substr(type_column).find_first_of("uoi") == 0);  // user., org., instance.
  }

  // Filters, each through --json and the table alike.
  auto locked = audit(s, {"events", "--type", "user.locked", "--json"});
  CHECK(keys(json_lines(locked)) == std::vector<std::string>{id + "/3"});
  CHECK(table_positions(audit(s, {"events", "--type", "user.locked"})) ==
        json_positions(json_lines(locked)));
  CHECK(keys(json_lines(audit(
            s, {"events", "--type", "user.locked", "--type", "user.machine.changed", "--json"}))) ==
        std::vector<std::string>{id + "/3", id + "/2"});
  for (const auto& e : json_lines(audit(s, {"events", "--aggregate-type", "org", "--json"}))) {
    CHECK(e["aggregateType"] == "org");
  }
  for (const auto& e : json_lines(audit(s, {"events", "--owner", s.org1(), "--json"}))) {
    CHECK(e["resourceOwner"] == s.org1());
  }
  CHECK(keys(json_lines(
            audit(s, {"events", "--editor", s.admin_id(), "--aggregate-id", id, "--json"}))) ==
        std::vector<std::string>{id + "/3", id + "/2", id + "/1"});
  const std::string t1 = mine[0]["creationDate"], t3 = mine[2]["creationDate"];
  auto between = audit(s, {"events", "--aggregate-id", id, "--since", t1, "--until", t3, "--json"});
  CHECK(sequences(json_lines(between)) == std::vector<std::uint64_t>{2});
  CHECK(table_positions(audit(s, {"events", "--aggregate-id", id, "--since", t1, "--until", t3})) ==
        json_positions(json_lines(between)));
  CHECK(sequences(json_lines(audit(s, {"events", "--aggregate-id", id, "--from", t1, "--asc",
                                       "--json"}))) == std::vector<std::uint64_t>{2, 3});
  CHECK(sequences(json_lines(audit(s, {"events", "--aggregate-id", id, "--sequence", "3",
                                       "--json"}))) == std::vector<std::uint64_t>{2, 1});
  CHECK(json_lines(audit(s, {"events", "--limit", "2", "--json"})).size() == 2);
  CHECK(lines_of(audit(s, {"events", "--limit", "2"}).out).size() == 3);
  // The cursor: after the event at a position, in the order asked.
  const auto after = json_lines(
      audit(s, {"events", "--asc", "--after-position", json_positions(asc)[1], "--json"}));
  const auto asc_keys = keys(asc);
  CHECK(keys(after) == std::vector<std::string>(asc_keys.begin() + 2, asc_keys.end()));
}

TEST_CASE("audit cli: a user's history, newest first or --asc, and its state as of a moment") {
  Service s;
  const auto id = s.add_user("hist", s.org2());
  REQUIRE(s.call("PUT", "/users/" + id + "/machine", R"({"name":"second"})", s.org2()).status ==
          200);
  REQUIRE(s.call("PUT", "/users/" + id + "/machine", R"({"name":"third"})", s.org2()).status ==
          200);
  s.add_user("bystander", s.org2());

  auto newest = json_lines(audit(s, {"history", id, "--json"}));
  CHECK(keys(newest) == std::vector<std::string>{id + "/3", id + "/2", id + "/1"});
  auto oldest = json_lines(audit(s, {"history", id, "--asc", "--json"}));
  CHECK(keys(oldest) == std::vector<std::string>{id + "/1", id + "/2", id + "/3"});
  CHECK(oldest[2]["payload"]["name"] == "third");
  auto table = audit(s, {"history", id});
  REQUIRE(table.exit_code == 0);
  CHECK(table_positions(table) == json_positions(newest));

  // As of a sequence, and as of a time (the creation date of an event).
  auto at = [&](std::vector<std::string> args) {
    auto r = audit(s, args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
  };
  auto first = at({"as-of", id, "--sequence", "1", "--json"});
  CHECK(first["id"] == id);
  CHECK(first["userName"] == "hist");
  CHECK(first["name"] == "Name of hist");
  CHECK(first["state"] == "USER_STATE_ACTIVE");
  CHECK(first["sequence"] == 1);
  CHECK(first["creationDate"] == oldest[0]["creationDate"]);
  CHECK(first["changeDate"] == oldest[0]["creationDate"]);
  CHECK(at({"as-of", id, "--sequence", "2"})["name"] == "second");
  CHECK(at({"as-of", id, "--sequence", "99"})["name"] == "third");
  const std::string t2 = oldest[1]["creationDate"];
  auto by_time = at({"as-of", id, "--time", t2});
  CHECK(by_time["name"] == "second");
  CHECK(by_time["sequence"] == 2);
  CHECK(by_time["changeDate"] == t2);
  // Indented by default, one line with --json.
  CHECK(lines_of(audit(s, {"as-of", id, "--sequence", "2"}).out).size() > 5);
  CHECK(lines_of(audit(s, {"as-of", id, "--sequence", "2", "--json"}).out).size() == 1);

  // No such user, or not yet: exit 1 and one line.
  check_one_line_error(audit(s, {"history", "999"}), 1, "no user 999");
  check_one_line_error(audit(s, {"as-of", "999", "--sequence", "1"}), 1, "no user 999");
  check_one_line_error(audit(s, {"as-of", id, "--time", "2000-01-01T00:00:00Z"}), 1,
                       "did not exist yet");
}

TEST_CASE("audit cli: bad input is one line on stderr and exit 2, and --help is the usage") {
  Service s;
  const auto id = s.add_user("bad", s.org2());
  check_one_line_error(audit(s, {"nope"}), 2, "unknown command \"nope\" for audit");
  check_one_line_error(audit(s, {"events", "--typo"}), 2, "unknown flag --typo");
  check_one_line_error(audit(s, {"events", "--since", "yesterday"}), 2,
                       "--since \"yesterday\" is not an RFC 3339 time");
  check_one_line_error(audit(s, {"events", "--limit", "x"}), 2,
                       "flag --limit needs a positive number, not \"x\"");
  check_one_line_error(audit(s, {"events", "--after-position", "999999999"}), 2,
                       "--after-position 999999999 is the position of no event");
  check_one_line_error(audit(s, {"as-of", id, "--sequence", "2", "--time", "2026-01-01T00:00:00Z"}),
                       2, "exactly one of --sequence N and --time TIME");
  check_one_line_error(audit(s, {"as-of", id, "--sequence", "0"}), 2, "positive number");
  check_one_line_error(audit(s, {"as-of", id, "--time", "noon"}), 2, "not an RFC 3339 time");
  check_one_line_error(audit(s, {"history"}), 2, "needs a USER_ID");

  for (const auto& args : std::vector<std::vector<std::string>>{{"audit"}, {"audit", "--help"}}) {
    auto help = run_binary(args);
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("as-of USER_ID --sequence N|--time TIME") != std::string::npos);
  }
  // A subcommand's own help: generated from its flags, without a database.
  for (const auto& [args, flag] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"audit", "events", "--help"}, "--aggregate-type"},
           {{"audit", "seal", "--help"}, "--key"},
           {{"projections", "list", "--help"}, "--json"}}) {
    auto help = run_binary(args, {{"DATABASE_URL", ""}});
    INFO(help.out << help.err);
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("Usage: machine-users " + args[0] + " " + args[1]) != std::string::npos);
    CHECK(help.out.find(flag) != std::string::npos);
  }
  CHECK(run_binary({"--help"}).out.find("machine-users audit ...") != std::string::npos);
}
