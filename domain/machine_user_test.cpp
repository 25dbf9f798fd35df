#include "domain/machine_user.hpp"

#include <catch2/catch.hpp>

using namespace mu::domain;
// validate() is called qualified: the generated protos declare a namespace ::validate
// (protoc-gen-validate's package), which a unity batch may bring in beside this file.
using nlohmann::json;

namespace {

StoredEvent event(std::string type, std::uint64_t seq, json payload = json::object(),
                  std::string owner = "org1") {
  StoredEvent e;
  e.aggregate_type = "user";
  e.aggregate_id = "u1";
  e.sequence = seq;
  e.position = static_cast<std::int64_t>(seq) * 10;
  e.type = std::move(type);
  e.payload = std::move(payload);
  e.owner = std::move(owner);
  e.created_at = from_unix_micros(1'700'000'000'000'000LL + static_cast<long long>(seq) * 1000);
  return e;
}

MachineUser existing_user() {
  return reduce({event(
      "user.machine.added", 1,
      {{"userName", "bot"}, {"name", "Bot"}, {"description", "d"}, {"accessTokenType", 0}})});
}

UpdateMachine update(std::string name, std::string description = "d",
                     AccessTokenType type = AccessTokenType::Bearer) {
  return UpdateMachine{"u1", "org1", std::move(name), std::move(description), type};
}

Error error_of(const Result<std::vector<NewEvent>>& r) {
  REQUIRE_FALSE(r.ok());
  return r.error();
}

}  // namespace

TEST_CASE("reduce builds the write model from the events") {
  auto u = existing_user();
  CHECK(u.id == "u1");
  CHECK(u.owner == "org1");
  CHECK(u.user_name == "bot");
  CHECK(u.name == "Bot");
  CHECK(u.state == UserState::Active);
  CHECK(u.sequence == 1);

  apply(u, event("user.machine.changed", 2, {{"description", "new"}, {"accessTokenType", 1}}));
  CHECK(u.name == "Bot");  // absent fields keep their value
  CHECK(u.description == "new");
  CHECK(u.access_token_type == AccessTokenType::Jwt);
  CHECK(u.sequence == 2);

  apply(u, event("user.locked", 3));
  CHECK(u.state == UserState::Locked);
  apply(u, event("user.unlocked", 4));
  CHECK(u.state == UserState::Active);
  apply(u, event("user.deactivated", 5));
  CHECK(u.state == UserState::Inactive);
  apply(u, event("user.reactivated", 6));
  CHECK(u.state == UserState::Active);
  apply(u, event("user.personal.access.token.added", 7));  // unknown: ignored, sequence moves
  CHECK(u.state == UserState::Active);
  CHECK(u.sequence == 7);
  apply(u, event("user.removed", 8));
  CHECK(u.state == UserState::Deleted);
  CHECK_FALSE(u.exists());
}

TEST_CASE("snapshots round-trip and refuse other revisions") {
  auto u = existing_user();
  apply(u, event("user.locked", 2));
  auto back = from_snapshot(nlohmann::json::parse(to_snapshot(u)), kMachineUserSnapshotRevision);
  REQUIRE(back);
  CHECK(*back == u);
  CHECK_FALSE(
      from_snapshot(nlohmann::json::parse(to_snapshot(u)), kMachineUserSnapshotRevision + 1));
  CHECK_FALSE(from_snapshot(json{{"id", 3}}, kMachineUserSnapshotRevision));
}

TEST_CASE("UpdateMachine validation follows the contract's rules") {
  CHECK_FALSE(mu::domain::validate(update("Bot")));
  SECTION("name is required and at most 200 code points") {
    auto e = mu::domain::validate(update(""));
    REQUIRE(e);
    CHECK(e->code == Code::InvalidArgument);
    CHECK(e->id.empty());
    CHECK(e->message ==
          "invalid UpdateMachineRequest.Name: value length must be between 1 and 200 runes, "
          "inclusive");
    CHECK_FALSE(mu::domain::validate(update(std::string(200, 'a'))));
    CHECK(mu::domain::validate(update(std::string(201, 'a'))));
  }
  SECTION("lengths count code points, not bytes") {
    std::string two_hundred_umlauts;
    for (int i = 0; i < 200; ++i) two_hundred_umlauts += "\xC3\xA4";  // 400 bytes
    CHECK_FALSE(mu::domain::validate(update(two_hundred_umlauts)));
    CHECK(mu::domain::validate(update(two_hundred_umlauts + "a")));
    std::string five_hundred_emoji;
    for (int i = 0; i < 500; ++i) five_hundred_emoji += "\xF0\x9F\x98\x80";
    CHECK_FALSE(mu::domain::validate(update("Bot", five_hundred_emoji)));
    auto e = mu::domain::validate(update("Bot", five_hundred_emoji + "x"));
    REQUIRE(e);
    CHECK(e->message ==
          "invalid UpdateMachineRequest.Description: value length must be at most 500 runes");
  }
  SECTION("the user id is 1..200 characters") {
    auto c = update("Bot");
    c.user_id = "";
    CHECK(mu::domain::validate(c));
    c.user_id = std::string(201, '1');
    CHECK(mu::domain::validate(c));
  }
  SECTION("access token type must be a defined value") {
    auto e = mu::domain::validate(update("Bot", "", static_cast<AccessTokenType>(2)));
    REQUIRE(e);
    CHECK(e->message ==
          "invalid UpdateMachineRequest.AccessTokenType: value must be one of the defined enum "
          "values");
    CHECK_FALSE(mu::domain::validate(update("Bot", "", AccessTokenType::Jwt)));
  }
}

TEST_CASE("UpdateMachine decides one event with only the changed fields") {
  const auto u = existing_user();
  SECTION("name only") {
    auto r = decide(u, update("Robot"));
    REQUIRE(r.ok());
    REQUIRE(r->size() == 1);
    CHECK((*r)[0].type == "user.machine.changed");
    CHECK((*r)[0].payload == json{{"name", "Robot"}});
  }
  SECTION("full replace: left-out fields take their defaults") {
    auto r = decide(u, update("Bot", "", AccessTokenType::Jwt));
    REQUIRE(r.ok());
    CHECK((*r)[0].payload == json{{"description", ""}, {"accessTokenType", 1}});
  }
  SECTION("nothing changes: NotChanged") {
    const auto& e = error_of(decide(u, update("Bot", "d")));
    CHECK(e.code == Code::FailedPrecondition);
    CHECK(e.id == "COMMAND-2n8vs");
    CHECK(e.message == "Errors.User.NotChanged");
  }
  SECTION("locked and deactivated users can still be changed") {
    auto locked = u;
    locked.state = UserState::Locked;
    CHECK(decide(locked, update("X")).ok());
    locked.state = UserState::Inactive;
    CHECK(decide(locked, update("X")).ok());
  }
}

TEST_CASE("UpdateMachine on a user that is not there: NotFound COMMAND-5M0od") {
  auto check_not_found = [](const MachineUser& u, std::string org) {
    auto c = update("Robot");
    c.org_id = std::move(org);
    const auto& e = error_of(decide(u, c));
    CHECK(e.code == Code::NotFound);
    CHECK(e.id == "COMMAND-5M0od");
    CHECK(e.message == "User could not be found");
    CHECK(e.full_message() == "User could not be found (COMMAND-5M0od)");
  };
  check_not_found(MachineUser{}, "org1");  // never existed
  auto removed = existing_user();
  apply(removed, event("user.removed", 2));
  check_not_found(removed, "org1");
  check_not_found(existing_user(), "org2");  // another organization's user
}

TEST_CASE("AddMachineUser validates and decides user.machine.added") {
  AddMachineUser c{"u1", "org1", "bot", "Bot", "desc", AccessTokenType::Jwt};
  CHECK_FALSE(mu::domain::validate(c));
  auto r = decide(MachineUser{}, c);
  REQUIRE(r.ok());
  CHECK((*r)[0].type == "user.machine.added");
  CHECK(
      (*r)[0].payload ==
      json{{"userName", "bot"}, {"name", "Bot"}, {"description", "desc"}, {"accessTokenType", 1}});

  const auto& e = error_of(decide(existing_user(), c));
  CHECK(e.code == Code::FailedPrecondition);
  CHECK(e.id == "COMMAND-k2una");
  CHECK(e.message == "Errors.User.AlreadyExisting");

  auto removed = existing_user();
  apply(removed, event("user.removed", 2));
  CHECK(decide(removed, c).ok());  // as in ZITADEL, a removed user's id may be used again

  auto bad = c;
  bad.user_name = "";
  REQUIRE(mu::domain::validate(bad));
  CHECK(mu::domain::validate(bad)->message ==
        "invalid AddMachineUserRequest.UserName: value length must be between 1 and 200 runes, "
        "inclusive");
  bad = c;
  bad.name = std::string(201, 'n');
  CHECK(mu::domain::validate(bad));
  bad = c;
  bad.user_id = std::string(201, '1');
  CHECK(mu::domain::validate(bad));
  bad.user_id = "";  // an explicit "" (an absent id is generated before validation)
  REQUIRE(mu::domain::validate(bad));
  CHECK(mu::domain::validate(bad)->code == Code::InvalidArgument);
}

TEST_CASE("lifecycle commands follow ZITADEL's state rules") {
  auto u = existing_user();
  auto run = [&](Lifecycle a, std::string org = "org1") {
    return decide(u, ChangeUserState{a, "u1", std::move(org)});
  };
  auto step = [&](Lifecycle a) {
    auto r = run(a);
    REQUIRE(r.ok());
    REQUIRE(r->size() == 1);
    apply(u, event((*r)[0].type, u.sequence + 1, (*r)[0].payload));
    return (*r)[0].type;
  };

  CHECK(error_of(run(Lifecycle::Reactivate)).id == "COMMAND-6M0sf");
  CHECK(error_of(run(Lifecycle::Unlock)).id == "COMMAND-4M0ds");
  CHECK(step(Lifecycle::Lock) == "user.locked");
  CHECK(error_of(run(Lifecycle::Lock)).id == "COMMAND-3NN8v");
  CHECK(step(Lifecycle::Unlock) == "user.unlocked");
  CHECK(step(Lifecycle::Deactivate) == "user.deactivated");
  const auto& again = error_of(run(Lifecycle::Deactivate));
  CHECK(again.code == Code::FailedPrecondition);
  CHECK(again.id == "COMMAND-5M0sf");
  CHECK(error_of(run(Lifecycle::Lock)).code == Code::FailedPrecondition);
  CHECK(step(Lifecycle::Reactivate) == "user.reactivated");

  CHECK(error_of(run(Lifecycle::Deactivate, "org2")).code == Code::NotFound);
  CHECK(error_of(run(Lifecycle::Remove, "org2")).id == "COMMAND-m9od");
  CHECK(step(Lifecycle::Remove) == "user.removed");
  for (auto a : {Lifecycle::Deactivate, Lifecycle::Reactivate, Lifecycle::Lock, Lifecycle::Unlock,
                 Lifecycle::Remove}) {
    CHECK(error_of(run(a)).code == Code::NotFound);
  }
  CHECK(mu::domain::validate(ChangeUserState{Lifecycle::Lock, "", "org1"})->message ==
        "invalid LockUserRequest.Id: value length must be between 1 and 200 runes, inclusive");
}

TEST_CASE("user names are unique per organization, ignoring ASCII case") {
  CHECK(user_name_unique_key("org1", "Bot") == user_name_unique_key("org1", "bot"));
  CHECK(user_name_unique_key("org1", "bot") != user_name_unique_key("org2", "bot"));
}

TEST_CASE("adding claims the user name, removing frees it") {
  auto added = unique_name_changes(MachineUser{}, "org1",
                                   {NewEvent{"user.machine.added", 1, json{{"userName", "Bot"}}}});
  CHECK(added.claim == std::vector<std::string>{"org1:bot"});
  CHECK(added.release.empty());
  auto removed = unique_name_changes(existing_user(), "org1", {NewEvent{"user.removed", 1, {}}});
  CHECK(removed.release == std::vector<std::string>{"org1:bot"});
  CHECK(
      unique_name_changes(existing_user(), "org1", {NewEvent{"user.locked", 1, {}}}).claim.empty());
}

TEST_CASE("personal access tokens: added with a hash, removed once") {
  const auto now = from_unix_micros(1'700'000'000'000'000LL);
  AddPersonalAccessToken add{"u1", "org1", "t1", "abc123", now + std::chrono::hours(1), now};
  CHECK_FALSE(mu::domain::validate(add));
  auto r = decide(existing_user(), add);
  REQUIRE(r.ok());
  CHECK((*r)[0].type == "user.personal.access.token.added");
  CHECK((*r)[0].payload["tokenHash"] == "abc123");
  CHECK((*r)[0].payload["expiration"] == to_rfc3339(now + std::chrono::hours(1)));

  auto u = existing_user();
  apply(u, event("user.personal.access.token.added", 2, (*r)[0].payload));
  REQUIRE(u.tokens.count("t1"));
  CHECK(u.tokens["t1"] == now + std::chrono::hours(1));
  CHECK(
      from_snapshot(nlohmann::json::parse(to_snapshot(u)), kMachineUserSnapshotRevision)->tokens ==
      u.tokens);
  CHECK(error_of(decide(u, add)).code == Code::AlreadyExists);

  RemovePersonalAccessToken remove{"u1", "org1", "t1"};
  auto removed = decide(u, remove);
  REQUIRE(removed.ok());
  CHECK((*removed)[0].payload == json{{"tokenId", "t1"}});
  apply(u, event("user.personal.access.token.removed", 3, (*removed)[0].payload));
  CHECK(u.tokens.empty());
  CHECK(error_of(decide(u, remove)).id == "COMMAND-4m77G");

  auto expired = add;
  expired.expiration = now;
  REQUIRE(mu::domain::validate(expired));
  CHECK(mu::domain::validate(expired)->code == Code::InvalidArgument);
  auto other_org = add;
  other_org.org_id = "org2";
  CHECK(error_of(decide(existing_user(), other_org)).code == Code::NotFound);
  CHECK(to_rfc3339(kNoExpiration) == "9999-12-31T23:59:59Z");
}
