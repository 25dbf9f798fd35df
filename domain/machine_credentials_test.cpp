// The credential commands on the machine user's write model: secrets and keys.
#include "domain/machine_credentials.hpp"
#include "domain/base64url.hpp"

#include <catch2/catch.hpp>

#include "domain/machine_key_fixtures_test.hpp"

#include "domain/client_secret.hpp"
#include "domain/sha256.hpp"

using namespace mu::domain;
// validate() is called qualified: the generated protos declare a namespace ::validate.
using nlohmann::json;
using namespace mu::domain::test_keys;

namespace {

StoredEvent cred_event(std::string type, std::uint64_t seq, json payload = json::object()) {
  StoredEvent e;
  e.aggregate_type = "user";
  e.aggregate_id = "u1";
  e.sequence = seq;
  e.type = std::move(type);
  e.payload = std::move(payload);
  e.owner = "org1";
  return e;
}

MachineUser cred_user() {
  return reduce({cred_event("user.machine.added", 1, {{"userName", "bot"}, {"name", "Bot"}})});
}

Error cred_error(const Result<std::vector<NewEvent>>& r) {
  REQUIRE_FALSE(r.ok());
  return r.error();
}

// Applies the decision's one event as the next of the user's stream.
void cred_apply(MachineUser& u, const Result<std::vector<NewEvent>>& r) {
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  apply(u, cred_event((*r)[0].type, u.sequence + 1, (*r)[0].payload));
}

const Timestamp kCredNow = from_unix_micros(1'700'000'000'000'000LL);

AddMachineKey cred_add_key(std::string key_id = "k1") {
  AddMachineKey c;
  c.user_id = "u1";
  c.org_id = "org1";
  c.key_id = std::move(key_id);
  c.type = 1;
  c.public_key = kCredRsaPublicKey;
  c.now = kCredNow;
  return c;
}

}  // namespace

TEST_CASE("GenerateMachineSecret: secret.set with the hash alone, and again replaces it") {
  GenerateMachineSecret gen{"u1", "org1", hash_client_secret("s3cret", "salt")};
  CHECK_FALSE(mu::domain::validate(gen));
  auto u = cred_user();
  CHECK_FALSE(u.has_secret);
  auto r = decide(u, gen);
  REQUIRE(r.ok());
  CHECK((*r)[0].type == "user.machine.secret.set");
  CHECK((*r)[0].payload == json{{"hashedSecret", gen.hashed_secret}});
  CHECK((*r)[0].payload.dump().find("s3cret") == std::string::npos);
  cred_apply(u, r);
  CHECK(u.has_secret);
  // A second secret replaces the first: no refusal.
  CHECK(decide(u, gen).ok());

  // Unknown, removed or another organization's user: FailedPrecondition COMMAND-x8910n.
  for (auto const& who : {MachineUser{}, [] {
                            auto removed = cred_user();
                            apply(removed, cred_event("user.removed", 2));
                            return removed;
                          }()}) {
    const auto e = cred_error(decide(who, gen));
    CHECK(e.code == Code::FailedPrecondition);
    CHECK(e.id == "COMMAND-x8910n");
    CHECK(e.message == "Errors.User.NotExisting");
  }
  auto other = gen;
  other.org_id = "org2";
  CHECK(cred_error(decide(cred_user(), other)).id == "COMMAND-x8910n");

  gen.user_id = "";
  REQUIRE(mu::domain::validate(gen));
  CHECK(mu::domain::validate(gen)->message ==
        "invalid GenerateMachineSecretRequest.UserId: value length must be at least 1 runes");
  // min_len alone, as ZITADEL's rule: a long id is not refused by validation.
  gen.user_id = std::string(300, 'x');
  CHECK_FALSE(mu::domain::validate(gen));
}

TEST_CASE("RemoveMachineSecret: only a secret that is there") {
  RemoveMachineSecret remove{"u1", "org1"};
  CHECK_FALSE(mu::domain::validate(remove));
  auto u = cred_user();
  auto none = cred_error(decide(u, remove));
  CHECK(none.code == Code::FailedPrecondition);
  CHECK(none.id == "COMMAND-coi82n");
  CHECK(none.message == "Errors.User.Machine.Secret.NotExisting");

  cred_apply(u, decide(u, GenerateMachineSecret{"u1", "org1", "sha256$x$y"}));
  auto r = decide(u, remove);
  REQUIRE(r.ok());
  CHECK((*r)[0].type == "user.machine.secret.removed");
  CHECK((*r)[0].payload == json::object());
  cred_apply(u, r);
  CHECK_FALSE(u.has_secret);
  CHECK(cred_error(decide(u, remove)).id == "COMMAND-coi82n");

  const auto missing = cred_error(decide(MachineUser{}, remove));
  CHECK(missing.code == Code::FailedPrecondition);
  CHECK(missing.id == "COMMAND-x7s802");
  CHECK(missing.message == "Errors.User.NotExisting");

  remove.user_id = std::string(201, 'x');
  REQUIRE(mu::domain::validate(remove));
  CHECK(mu::domain::validate(remove)->message ==
        "invalid RemoveMachineSecretRequest.UserId: value length must be between 1 and 200 runes, "
        "inclusive");
}

TEST_CASE("AddMachineKey: key.added with the public key, never another") {
  auto add = cred_add_key();
  CHECK_FALSE(mu::domain::validate(add));
  auto u = cred_user();
  auto r = decide(u, add);
  REQUIRE(r.ok());
  CHECK((*r)[0].type == "user.machine.key.added");
  const auto& p = (*r)[0].payload;
  CHECK(p["keyId"] == "k1");
  CHECK(p["type"] == 1);
  CHECK(p["expirationDate"] == "9999-12-31T23:59:59Z");
  // The PEM as ZITADEL's []byte writes it: base64.
  CHECK(base64_decode(p["publicKey"].get<std::string>()) == std::string(kCredRsaPublicKey));
  CHECK(p.size() == 4);
  cred_apply(u, r);
  REQUIRE(u.keys.count("k1"));
  CHECK(u.keys["k1"] == kNoExpiration);

  auto later = cred_add_key("k2");
  later.expiration = kCredNow + std::chrono::hours(24);
  auto r2 = decide(u, later);
  REQUIRE(r2.ok());
  CHECK((*r2)[0].payload["expirationDate"] == to_rfc3339(kCredNow + std::chrono::hours(24)));
  cred_apply(u, r2);
  CHECK(u.keys["k2"] == kCredNow + std::chrono::hours(24));
  CHECK(cred_error(decide(u, later)).code == Code::AlreadyExists);

  // The snapshot keeps the keys and the secret flag.
  cred_apply(u, decide(u, GenerateMachineSecret{"u1", "org1", "sha256$x$y"}));
  const auto back =
      from_snapshot(nlohmann::json::parse(to_snapshot(u)), kMachineUserSnapshotRevision);
  REQUIRE(back);
  CHECK(*back == u);
  CHECK(back->keys.size() == 2);
  CHECK(back->has_secret);

  // A removed user loses its keys and secret; an id added again starts without them.
  apply(u, cred_event("user.removed", u.sequence + 1));
  CHECK(u.keys.empty());
  CHECK_FALSE(u.has_secret);

  const auto unknown = cred_error(decide(MachineUser{}, add));
  CHECK(unknown.code == Code::FailedPrecondition);
  CHECK(unknown.id == "COMMAND-bnipwm1");
  CHECK(unknown.message == "Errors.User.NotFound");
  auto other = add;
  other.org_id = "org2";
  CHECK(cred_error(decide(cred_user(), other)).id == "COMMAND-bnipwm1");
}

TEST_CASE("AddMachineKey validation: type, then the key, then the expiration") {
  const auto message = [](const AddMachineKey& c) {
    const auto e = mu::domain::validate(c);
    REQUIRE(e);
    return e->id + " " + e->message;
  };
  auto c = cred_add_key();
  c.type = 0;
  CHECK(message(c) == " invalid AddMachineKeyRequest.Type: value must not be in list [0]");
  c.type = 2;
  CHECK(message(c) ==
        " invalid AddMachineKeyRequest.Type: value must be one of the defined enum values");
  c = cred_add_key();
  c.user_id = "";
  CHECK(message(c) ==
        " invalid AddMachineKeyRequest.UserId: value length must be at least 1 runes");

  for (const char* bad :
       {"not a key", kCredRsaPkcs1PublicKey, kCredEcPublicKey, kCredRsaPssPublicKey,
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}) {
    INFO(bad);
    c = cred_add_key();
    c.public_key = bad;
    const auto e = mu::domain::validate(c);
    REQUIRE(e);
    CHECK(e->code == Code::InvalidArgument);
    CHECK(e->id == "COMMAND-5F3h1");
    CHECK(e->message == "Errors.User.Machine.Key.Invalid");
    // The key is judged before the expiration, as ZITADEL does.
    c.expiration = kCredNow - std::chrono::seconds(1);
    CHECK(mu::domain::validate(c)->id == "COMMAND-5F3h1");
  }
  c = cred_add_key();
  c.expiration = kCredNow - std::chrono::seconds(1);
  const auto past = mu::domain::validate(c);
  REQUIRE(past);
  CHECK(past->code == Code::InvalidArgument);
  CHECK(past->id == "DOMAIN-dv3t5");
  CHECK(past->message == "Errors.AuthNKey.ExpireBeforeNow");
  // No key: one is made after validation.
  c = cred_add_key();
  c.public_key.clear();
  CHECK_FALSE(mu::domain::validate(c));
}

TEST_CASE("RemoveMachineKey: only a live key of the caller's organization's user") {
  auto u = cred_user();
  cred_apply(u, decide(u, cred_add_key()));
  RemoveMachineKey remove{"u1", "org1", "k1"};
  CHECK_FALSE(mu::domain::validate(remove));
  auto r = decide(u, remove);
  REQUIRE(r.ok());
  CHECK((*r)[0].type == "user.machine.key.removed");
  CHECK((*r)[0].payload == json{{"keyId", "k1"}});
  auto other = remove;
  other.org_id = "org2";
  CHECK(cred_error(decide(u, other)).id == "COMMAND-4m77G");
  cred_apply(u, r);
  CHECK(u.keys.empty());
  for (const auto& e : {cred_error(decide(u, remove)), cred_error(decide(MachineUser{}, remove))}) {
    CHECK(e.code == Code::NotFound);
    CHECK(e.id == "COMMAND-4m77G");
    CHECK(e.message == "Errors.User.Machine.Key.NotFound");
  }
  remove.key_id = "";
  CHECK(mu::domain::validate(remove)->message ==
        "invalid RemoveMachineKeyRequest.KeyId: value length must be between 1 and 200 runes, "
        "inclusive");
  CHECK(validate_get_machine_key("u1", "")->message ==
        "invalid GetMachineKeyByIDsRequest.KeyId: value length must be between 1 and 200 runes, "
        "inclusive");
  CHECK(validate_list_machine_keys("")->message ==
        "invalid ListMachineKeysRequest.UserId: value length must be between 1 and 200 runes, "
        "inclusive");
  CHECK(machine_key_not_found().id == "QUERY-Dgr3g");
  CHECK(machine_key_not_found().message == "Errors.AuthNKey.NotFound");
}

TEST_CASE("machine keys: RSA public keys in PKIX PEM only, and the key file's shape") {
  const auto pem = rsa_public_key_pem(std::string("some text first\n") + kCredRsaPublicKey);
  REQUIRE(pem);
  CHECK(*pem == kCredRsaPublicKey);  // the key alone, as OpenSSL writes it
  CHECK_FALSE(rsa_public_key_pem(""));
  CHECK_FALSE(rsa_public_key_pem(kCredRsaPkcs1PublicKey));
  CHECK_FALSE(rsa_public_key_pem(kCredEcPublicKey));
  CHECK_FALSE(rsa_public_key_pem(kCredRsaPssPublicKey));

  CHECK(
      machine_key_file("k1",
                       "-----BEGIN RSA PRIVATE KEY-----\nAB/+\n-----END RSA PRIVATE KEY-----\n",
                       kNoExpiration, "u1") ==
      R"({"type":"serviceaccount","keyId":"k1","key":"-----BEGIN RSA PRIVATE KEY-----\nAB/+\n)"
      R"(-----END RSA PRIVATE KEY-----\n","expirationDate":"9999-12-31T23:59:59Z","userId":"u1"})");
}

TEST_CASE("client secrets: a salted SHA-256, compared in constant time") {
  const auto stored = hash_client_secret("secret-1", "0123456789abcdef");
  CHECK(stored.starts_with("sha256$" + base64_encode("0123456789abcdef") + "$"));
  CHECK(stored.find("secret-1") == std::string::npos);
  CHECK(client_secret_matches("secret-1", stored));
  CHECK_FALSE(client_secret_matches("secret-2", stored));
  CHECK(client_secret_matches("secret-1", hash_client_secret("secret-1", "another salt")));
  // Another salt, another hash.
  CHECK(hash_client_secret("secret-1", "another salt") != stored);
  for (const char* bad : {"", "sha256", "sha256$", "sha256$$", "md5$AAAA$AAAA", "sha256$!!$AAAA",
                          "sha256$MDEy$c2hvcnQ="}) {
    INFO(bad);
    CHECK_FALSE(client_secret_matches("secret-1", bad));
  }
}

TEST_CASE("IssueToken: an active user with the credential that got it") {
  const auto now = from_unix_micros(1'700'000'000'000'000LL);
  auto u = cred_user();
  IssueToken by_secret{"u1",
                       "t1",
                       AccessTokenType::Bearer,
                       "ab12",
                       now + std::chrono::hours(12),
                       {"u1", "zitadel"},
                       {"openid"},
                       std::nullopt,
                       now};
  CHECK(cred_error(decide(u, by_secret)).message == "Errors.User.Machine.Secret.NotExisting");
  cred_apply(u, decide(u, GenerateMachineSecret{"u1", "org1", "sha256$x$y"}));
  auto issued = decide(u, by_secret);
  REQUIRE(issued.ok());
  REQUIRE(issued->size() == 1);
  CHECK((*issued)[0].type == "user.token.v2.added");
  CHECK((*issued)[0].payload == json{{"tokenId", "t1"},
                                     {"tokenType", "bearer"},
                                     {"expiration", "2023-11-15T10:13:20Z"},
                                     {"audience", {"u1", "zitadel"}},
                                     {"scopes", {"openid"}},
                                     {"grant", "client_credentials"},
                                     {"tokenHash", "ab12"}});

  IssueToken by_key = by_secret;
  by_key.key_id = "k1";
  by_key.type = AccessTokenType::Jwt;
  by_key.token_hash.reset();
  CHECK(cred_error(decide(u, by_key)).message == "Errors.User.Machine.Key.NotFound");
  cred_apply(u, decide(u, AddMachineKey{"u1", "org1", "k1", 1, now + std::chrono::seconds(1), "PEM",
                                        now}));
  auto jwt = decide(u, by_key);
  REQUIRE(jwt.ok());
  CHECK((*jwt)[0].payload["tokenType"] == "jwt");
  CHECK((*jwt)[0].payload["keyId"] == "k1");
  CHECK((*jwt)[0].payload["grant"] == "jwt-bearer");
  CHECK_FALSE((*jwt)[0].payload.contains("tokenHash"));
  // Expired at the decision.
  by_key.now = now + std::chrono::seconds(1);
  CHECK(cred_error(decide(u, by_key)).message == "Errors.User.Machine.Key.NotFound");

  // Not while deactivated or locked; not once removed.
  for (const char* type : {"user.deactivated", "user.locked"}) {
    auto v = u;
    apply(v, cred_event(type, v.sequence + 1));
    auto e = cred_error(decide(v, by_secret));
    CHECK(e.code == Code::FailedPrecondition);
    CHECK(e.message == "Errors.User.NotActive");
  }
  auto removed = u;
  apply(removed, cred_event("user.removed", removed.sequence + 1));
  CHECK(cred_error(decide(removed, by_secret)).message == "Errors.User.NotExisting");
  CHECK(cred_error(decide(MachineUser{}, by_secret)).message == "Errors.User.NotExisting");
}
