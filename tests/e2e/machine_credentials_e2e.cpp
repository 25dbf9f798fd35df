// A machine user's client secret and keys through the real binary: GenerateMachineSecret,
// RemoveMachineSecret, AddMachineKey, GetMachineKeyByIDs, ListMachineKeys, RemoveMachineKey
// over REST (every error of the contract) and gRPC; the key file's exact shape and that its
// key is the private half of the stored public key; and that no secret or private key
// reaches an event, a read model, a recorded answer or the server's output.
#include <grpcpp/grpcpp.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <catch2/catch.hpp>

#include <regex>

#include "domain/base64url.hpp"
#include "domain/client_secret.hpp"
#include "domain/machine_key_fixtures_test.hpp"
#include "domain/sha256.hpp"
#include "tests/e2e/service_fixture.hpp"
#include "zitadel/management.grpc.pb.h"

using namespace mu::domain::test_keys;
using mu::testing::Service;
using nlohmann::json;

namespace {

void cred_check_error(const mu::testing::Reply& r, int status, int code, const std::string& id) {
  INFO(r.body.dump());
  CHECK(r.status == status);
  CHECK(r.body.at("code") == code);
  if (id.empty()) {
    CHECK(r.body.at("details") == json::array());
  } else {
    REQUIRE(r.body.at("details").size() == 1);
    CHECK(r.body["details"][0]["id"] == id);
  }
}

std::string cred_sql_text(Service& s, const std::string& sql) {
  pqxx::connection conn(s.database().url());
  pqxx::nontransaction tx(conn);
  std::string out;
  for (const auto& row : tx.exec(sql)) {
    for (const auto& field : row) out += (field.is_null() ? "" : field.c_str()) + std::string("\n");
  }
  return out;
}

// Everything the database keeps as text: events, read models, recorded answers.
std::string cred_everything_stored(Service& s) {
  return cred_sql_text(s, "SELECT payload::text FROM events") +
         cred_sql_text(s, "SELECT t::text FROM machine_keys_read_model t") +
         cred_sql_text(s, "SELECT t::text FROM machine_secrets_read_model t") +
         cred_sql_text(s, "SELECT t::text FROM users_read_model t") +
         cred_sql_text(s, "SELECT t::text FROM idempotency_keys t") +
         cred_sql_text(s, "SELECT t::text FROM streams t");
}

std::vector<std::string> cred_change_texts(Service& s, const std::string& user_id) {
  auto r = s.call("POST", "/management/v1/users/" + user_id + "/changes/_search",
                  json{{"query", {{"asc", true}}}});
  REQUIRE(r.status == 200);
  std::vector<std::string> out;
  for (const auto& c : r.body["result"]) out.push_back(c["eventType"]["localizedMessage"]);
  return out;
}

struct CredPkey {
  EVP_PKEY* key = nullptr;
  ~CredPkey() { EVP_PKEY_free(key); }
};

std::string cred_public_pem(EVP_PKEY* key) {
  BIO* out = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PUBKEY(out, key) == 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(out);
  return pem;
}

std::string cred_base64_body(std::string pem) {
  // The PEM's base64 lines, without the armour: what a leaked key would look like anywhere.
  const auto first = pem.find('\n');
  const auto last = pem.rfind("-----END");
  std::string body = pem.substr(first + 1, last - first - 1);
  return body.substr(0, body.find('\n'));
}

}  // namespace

TEST_CASE("GenerateMachineSecret: the user name and a 64-character secret, once, and a hash kept") {
  Service s;
  const auto id = s.add_user("secret-bot");
  const std::string path = "/management/v1/users/" + id + "/secret";
  CHECK_FALSE(
      s.call("GET", "/management/v1/users/" + id).body["user"]["machine"].contains("hasSecret"));

  auto r = s.call("PUT", path, "{}");
  INFO(r.body.dump());
  REQUIRE(r.status == 200);
  CHECK(r.body["clientId"] == "secret-bot");
  const std::string secret = r.body["clientSecret"];
  CHECK(std::regex_match(secret, std::regex("[A-Za-z0-9]{64}")));
  CHECK(r.body["details"]["sequence"] == "2");
  CHECK(r.body["details"]["resourceOwner"] == s.org1());

  // The event holds the salted hash alone, and it is the secret's.
  const auto payload = s.last_payload(id);
  CHECK(payload.size() == 1);
  const std::string hashed = payload["hashedSecret"];
  CHECK(hashed.starts_with("sha256$"));
  CHECK(mu::domain::client_secret_matches(secret, hashed));
  CHECK_FALSE(mu::domain::client_secret_matches(secret + "x", hashed));

  auto user = s.call("GET", "/management/v1/users/" + id);
  CHECK(user.body["user"]["machine"]["hasSecret"] == true);

  // Again: another secret replaces the first.
  auto again = s.call("PUT", "/users/" + id + "/secret", "");
  REQUIRE(again.status == 200);
  const std::string second = again.body["clientSecret"];
  CHECK(second != secret);
  CHECK(again.body["details"]["sequence"] == "3");
  CHECK(mu::domain::client_secret_matches(second,
                                          s.last_payload(id)["hashedSecret"].get<std::string>()));
  CHECK(s.last_payload(id)["hashedSecret"] != hashed);  // a new salt too

  // RemoveMachineSecret: hasSecret false again; a second removal has nothing to remove.
  auto removed = s.call("DELETE", path);
  REQUIRE(removed.status == 200);
  CHECK(removed.body["details"]["sequence"] == "4");
  CHECK(s.last_payload(id) == json::object());
  CHECK_FALSE(
      s.call("GET", "/management/v1/users/" + id).body["user"]["machine"].contains("hasSecret"));
  cred_check_error(s.call("DELETE", path), 400, 9, "COMMAND-coi82n");
  CHECK(s.call("DELETE", path).body["message"] ==
        "Errors.User.Machine.Secret.NotExisting (COMMAND-coi82n)");

  // ListUserChanges names them in ZITADEL's words.
  CHECK(cred_change_texts(s, id) == std::vector<std::string>{"Technical user added", "Secret set",
                                                             "Secret set", "Secret removed"});

  // Neither secret is stored anywhere, nor in what the server wrote.
  const auto stored = cred_everything_stored(s);
  CHECK(stored.find(secret) == std::string::npos);
  CHECK(stored.find(second) == std::string::npos);
  const auto events = s.call("POST", "/admin/v1/events/_search", json{{"aggregateId", id}});
  REQUIRE(events.status == 200);
  CHECK(events.body["events"].size() == 4);
  CHECK(events.body.dump().find(secret) == std::string::npos);
  CHECK(events.body.dump().find(second) == std::string::npos);
  const auto output = s.server().output();
  CHECK(output.find(secret) == std::string::npos);
  CHECK(output.find(second) == std::string::npos);
  CHECK(output.find(hashed) == std::string::npos);
}

TEST_CASE("GenerateMachineSecret and RemoveMachineSecret: the contract's errors") {
  Service s;
  const auto other = s.add_user("elsewhere", s.org2());
  for (const auto& target : {std::string("/management/v1/users/nope/secret"),
                             "/management/v1/users/" + other + "/secret"}) {
    INFO(target);
    auto gen = s.call("PUT", target, "{}");
    cred_check_error(gen, 400, 9, "COMMAND-x8910n");
    CHECK(gen.body["message"] == "Errors.User.NotExisting (COMMAND-x8910n)");
    cred_check_error(s.call("DELETE", target), 400, 9, "COMMAND-x7s802");
  }
  // A removed user is no longer there.
  const auto gone = s.add_user("gone");
  REQUIRE(s.call("DELETE", "/management/v1/users/" + gone).status == 200);
  cred_check_error(s.call("PUT", "/users/" + gone + "/secret", "{}"), 400, 9, "COMMAND-x8910n");
  // In its own organization the other user has a secret to be had.
  CHECK(s.call("PUT", "/users/" + other + "/secret", "{}", s.org2()).status == 200);
  // user.write is needed.
  auto reader = s.add_caller("reader", s.org1(), {});
  CHECK(s.call_as(reader.token, "PUT", "/users/" + reader.id + "/secret", "{}").status == 403);
}

TEST_CASE("GenerateMachineSecret with an Idempotency-Key: the replay answers without the secret") {
  Service s;
  const auto id = s.add_user("keyed");
  const std::map<std::string, std::string> headers{{"authorization", "Bearer " + s.admin_token()},
                                                   {"idempotency-key", "secret-once"}};
  auto first = s.http().request("PUT", "/management/v1/users/" + id + "/secret", "{}", headers);
  REQUIRE(first.status == 200);
  const auto body = json::parse(first.body);
  const std::string secret = body["clientSecret"];
  auto replay = s.http().request("PUT", "/management/v1/users/" + id + "/secret", "{}", headers);
  REQUIRE(replay.status == 200);
  CHECK(replay.header("idempotent-replayed") == "true");
  auto replayed = json::parse(replay.body);
  CHECK(replayed["clientId"] == "keyed");
  CHECK(replayed["details"] == body["details"]);
  CHECK_FALSE(replayed.contains("clientSecret"));
  CHECK(s.count_events(id) == 2);
  CHECK(cred_everything_stored(s).find(secret) == std::string::npos);
}

TEST_CASE("AddMachineKey: a key file of a new RSA key, exactly ZITADEL's, its public half kept") {
  Service s;
  const auto id = s.add_user("key-bot");
  auto r = s.call("POST", "/management/v1/users/" + id + "/keys", json{{"type", "KEY_TYPE_JSON"}});
  INFO(r.body.dump());
  REQUIRE(r.status == 200);
  const std::string key_id = r.body["keyId"];
  CHECK(r.body["details"]["sequence"] == "2");
  const auto file = mu::domain::base64_decode(r.body["keyDetails"].get<std::string>());
  REQUIRE(file);

  // The fields in ZITADEL's order, written compactly.
  const auto parsed = nlohmann::ordered_json::parse(*file);
  std::vector<std::string> names;
  for (const auto& [name, value] : parsed.items()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"type", "keyId", "key", "expirationDate", "userId"});
  CHECK(parsed.dump() == *file);
  CHECK(parsed["type"] == "serviceaccount");
  CHECK(parsed["keyId"] == key_id);
  CHECK(parsed["expirationDate"] == "9999-12-31T23:59:59Z");
  CHECK(parsed["userId"] == id);
  const std::string private_pem = parsed["key"];
  CHECK(private_pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
  CHECK(private_pem.ends_with("-----END RSA PRIVATE KEY-----\n"));

  // A PKCS#1 RSA-2048 private key whose public half is what the event and the read model hold.
  CredPkey key;
  BIO* in = BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size()));
  key.key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  REQUIRE(key.key);
  CHECK(EVP_PKEY_get_base_id(key.key) == EVP_PKEY_RSA);
  CHECK(EVP_PKEY_get_bits(key.key) == 2048);
  const auto public_pem = cred_public_pem(key.key);
  const auto payload = s.last_payload(id);
  CHECK(payload["keyId"] == key_id);
  CHECK(payload["type"] == 1);
  CHECK(payload["expirationDate"] == "9999-12-31T23:59:59Z");
  CHECK(mu::domain::base64_decode(payload["publicKey"].get<std::string>()) == public_pem);
  CHECK(payload.size() == 4);
  CHECK(cred_sql_text(s, "SELECT public_key FROM machine_keys_read_model WHERE id = '" + key_id +
                             "'") == public_pem + "\n");

  // The private key is nowhere but in that answer.
  const auto leaked = cred_base64_body(private_pem);
  REQUIRE(leaked.size() == 64);
  CHECK(cred_everything_stored(s).find(leaked) == std::string::npos);
  CHECK(s.server().output().find(leaked) == std::string::npos);

  // GetMachineKeyByIDs: id, details, type and expiration; never key material.
  auto got = s.call("GET", "/management/v1/users/" + id + "/keys/" + key_id);
  REQUIRE(got.status == 200);
  CHECK(got.body["key"]["id"] == key_id);
  CHECK(got.body["key"]["type"] == "KEY_TYPE_JSON");
  CHECK(got.body["key"]["expirationDate"] == "9999-12-31T23:59:59Z");
  // The key's details: its addition's sequence and time (its creation), its organization.
  const auto& details = got.body["key"]["details"];
  CHECK(details["sequence"] == r.body["details"]["sequence"]);
  CHECK(details["changeDate"] == r.body["details"]["changeDate"]);
  CHECK(details["creationDate"] == details["changeDate"]);
  CHECK(details["resourceOwner"] == s.org1());
  CHECK(got.body["key"].size() == 4);
  CHECK(cred_change_texts(s, id) == std::vector<std::string>{"Technical user added", "Key added"});
}

TEST_CASE("AddMachineKey with a public key keeps it, GetMachineKeyByIDs and ListMachineKeys") {
  Service s;
  const auto id = s.add_user("own-key");
  const std::string keys = "/management/v1/users/" + id + "/keys";
  auto given = s.call("POST", keys,
                      json{{"type", 1},
                           {"expirationDate", "2099-01-02T03:04:05Z"},
                           {"publicKey", mu::domain::base64_encode(kCredRsaPublicKey)}});
  INFO(given.body.dump());
  REQUIRE(given.status == 200);
  CHECK_FALSE(given.body.contains("keyDetails"));
  const std::string k1 = given.body["keyId"];
  CHECK(mu::domain::base64_decode(s.last_payload(id)["publicKey"].get<std::string>()) ==
        std::string(kCredRsaPublicKey));
  CHECK(s.call("GET", keys + "/" + k1).body["key"]["expirationDate"] == "2099-01-02T03:04:05Z");

  const std::string k2 = s.call("POST", keys, json{{"type", "KEY_TYPE_JSON"}}).body["keyId"];
  const std::string k3 = s.call("POST", keys, json{{"type", "KEY_TYPE_JSON"}}).body["keyId"];

  // Newest first; pages with offset and limit; the details count them all.
  auto list = s.call("POST", keys + "/_search", "{}");
  INFO(list.body.dump());
  REQUIRE(list.status == 200);
  CHECK(list.body["details"]["totalResult"] == "3");
  REQUIRE(list.body["result"].size() == 3);
  CHECK(list.body["result"][0]["id"] == k3);
  CHECK(list.body["result"][2]["id"] == k1);
  CHECK(list.body["result"][2] == s.call("GET", keys + "/" + k1).body["key"]);
  auto page = s.call("POST", keys + "/_search",
                     json{{"query", {{"asc", true}, {"offset", "1"}, {"limit", 1}}}});
  REQUIRE(page.status == 200);
  CHECK(page.body["details"]["totalResult"] == "3");
  REQUIRE(page.body["result"].size() == 1);
  CHECK(page.body["result"][0]["id"] == k2);

  // Another organization sees neither the keys nor the key.
  auto elsewhere = s.call("POST", keys + "/_search", "{}", s.org2());
  REQUIRE(elsewhere.status == 200);
  CHECK_FALSE(elsewhere.body.contains("result"));
  CHECK_FALSE(elsewhere.body["details"].contains("totalResult"));
  cred_check_error(s.call("GET", keys + "/" + k1, "", s.org2()), 404, 5, "QUERY-Dgr3g");
  cred_check_error(s.call("GET", keys + "/unknown"), 404, 5, "QUERY-Dgr3g");
  CHECK(s.call("GET", keys + "/unknown").body["message"] ==
        "Errors.AuthNKey.NotFound (QUERY-Dgr3g)");
  CHECK(s.call("POST", "/users/nobody/keys/_search", "{}").body["details"].is_object());

  // RemoveMachineKey: gone for Get and List; removing again is NotFound.
  auto removed = s.call("DELETE", keys + "/" + k2);
  REQUIRE(removed.status == 200);
  CHECK(s.last_payload(id) == json{{"keyId", k2}});
  cred_check_error(s.call("GET", keys + "/" + k2), 404, 5, "QUERY-Dgr3g");
  CHECK(s.call("POST", keys + "/_search", "{}").body["details"]["totalResult"] == "2");
  auto again = s.call("DELETE", keys + "/" + k2);
  cred_check_error(again, 404, 5, "COMMAND-4m77G");
  CHECK(again.body["message"] == "Errors.User.Machine.Key.NotFound (COMMAND-4m77G)");
  cred_check_error(s.call("DELETE", "/users/nobody/keys/" + k1), 404, 5, "COMMAND-4m77G");
  cred_check_error(s.call("DELETE", keys + "/" + k1, "", s.org2()), 404, 5, "COMMAND-4m77G");
  CHECK(cred_change_texts(s, id).back() == "Key removed");

  // The read model is what its events give: verify finds nothing, a replay keeps it.
  const auto projections = [&](const std::string& verb, const std::string& which) {
    return mu::testing::run_binary(
        {"projections", verb, which, "--database-url", s.database().url()});
  };
  const auto rows = cred_sql_text(s, "SELECT t::text FROM machine_keys_read_model t ORDER BY id");
  const auto verified = projections("verify", "--all");
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  CHECK(projections("replay", "auth").exit_code == 0);
  CHECK(cred_sql_text(s, "SELECT t::text FROM machine_keys_read_model t ORDER BY id") == rows);

  // A removed user's keys go with it.
  REQUIRE(s.call("DELETE", "/management/v1/users/" + id).status == 200);
  cred_check_error(s.call("GET", keys + "/" + k1), 404, 5, "QUERY-Dgr3g");
  CHECK(cred_sql_text(s, "SELECT count(*) FROM machine_keys_read_model") == "0\n");
}

TEST_CASE("AddMachineKey: the contract's errors") {
  Service s;
  const auto id = s.add_user("bad-keys");
  const std::string keys = "/management/v1/users/" + id + "/keys";
  const auto events = s.count_events(id);

  for (const char* bad : {kCredRsaPkcs1PublicKey, kCredEcPublicKey, "not a key"}) {
    INFO(bad);
    auto r = s.call("POST", keys, json{{"type", 1}, {"publicKey", mu::domain::base64_encode(bad)}});
    cred_check_error(r, 400, 3, "COMMAND-5F3h1");
    CHECK(r.body["message"] == "Errors.User.Machine.Key.Invalid (COMMAND-5F3h1)");
  }
  auto past = s.call("POST", keys, json{{"type", 1}, {"expirationDate", "2020-01-01T00:00:00Z"}});
  cred_check_error(past, 400, 3, "DOMAIN-dv3t5");
  CHECK(past.body["message"] == "Errors.AuthNKey.ExpireBeforeNow (DOMAIN-dv3t5)");

  auto no_type = s.call("POST", keys, "{}");
  cred_check_error(no_type, 400, 3, "");
  CHECK(no_type.body["message"] ==
        "invalid AddMachineKeyRequest.Type: value must not be in list [0]");
  auto undefined = s.call("POST", keys, json{{"type", 7}});
  cred_check_error(undefined, 400, 3, "");
  CHECK(undefined.body["message"] ==
        "invalid AddMachineKeyRequest.Type: value must be one of the defined enum values");

  for (const auto& target :
       {std::string("/users/nope/keys"), "/users/" + s.add_user("theirs", s.org2()) + "/keys"}) {
    auto r = s.call("POST", target, json{{"type", "KEY_TYPE_JSON"}});
    cred_check_error(r, 400, 9, "COMMAND-bnipwm1");
    CHECK(r.body["message"] == "Errors.User.NotFound (COMMAND-bnipwm1)");
  }
  CHECK(s.count_events(id) == events);
}

TEST_CASE("gRPC: the credential calls on the same port") {
  Service s;
  const auto id = s.add_user("grpc-creds");
  auto stub = zitadel::management::v1::ManagementService::NewStub(::grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(s.server().port()), ::grpc::InsecureChannelCredentials()));
  const auto context = [&](::grpc::ClientContext& ctx) {
    ctx.AddMetadata("authorization", "Bearer " + s.admin_token());
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  };
  namespace mgmt = zitadel::management::v1;

  mgmt::GenerateMachineSecretRequest gen;
  gen.set_user_id(id);
  mgmt::GenerateMachineSecretResponse secret;
  {
    ::grpc::ClientContext ctx;
    context(ctx);
    REQUIRE(stub->GenerateMachineSecret(&ctx, gen, &secret).ok());
  }
  CHECK(secret.client_id() == "grpc-creds");
  CHECK(secret.client_secret().size() == 64);
  CHECK(s.call("GET", "/management/v1/users/" + id).body["user"]["machine"]["hasSecret"] == true);

  mgmt::AddMachineKeyRequest add;
  add.set_user_id(id);
  add.set_type(zitadel::authn::v1::KEY_TYPE_JSON);
  mgmt::AddMachineKeyResponse added;
  {
    ::grpc::ClientContext ctx;
    context(ctx);
    REQUIRE(stub->AddMachineKey(&ctx, add, &added).ok());
  }
  CHECK(added.key_details().starts_with(R"({"type":"serviceaccount","keyId":")" + added.key_id()));

  mgmt::ListMachineKeysRequest list;
  list.set_user_id(id);
  mgmt::ListMachineKeysResponse listed;
  {
    ::grpc::ClientContext ctx;
    context(ctx);
    REQUIRE(stub->ListMachineKeys(&ctx, list, &listed).ok());
  }
  REQUIRE(listed.result_size() == 1);
  CHECK(listed.result(0).id() == added.key_id());
  CHECK(listed.details().total_result() == 1);

  mgmt::GetMachineKeyByIDsRequest get;
  get.set_user_id(id);
  get.set_key_id(added.key_id());
  mgmt::GetMachineKeyByIDsResponse got;
  {
    ::grpc::ClientContext ctx;
    context(ctx);
    REQUIRE(stub->GetMachineKeyByIDs(&ctx, get, &got).ok());
  }
  CHECK(got.key().type() == zitadel::authn::v1::KEY_TYPE_JSON);
  CHECK(got.key().details().sequence() == added.details().sequence());

  // The same errors as REST: a second removal of the secret, an unknown key.
  mgmt::RemoveMachineSecretRequest remove;
  remove.set_user_id(id);
  mgmt::RemoveMachineSecretResponse removed;
  for (int i = 0; i < 2; ++i) {
    ::grpc::ClientContext ctx;
    context(ctx);
    const auto status = stub->RemoveMachineSecret(&ctx, remove, &removed);
    if (i == 0) {
      CHECK(status.ok());
    } else {
      CHECK(status.error_code() == ::grpc::StatusCode::FAILED_PRECONDITION);
      CHECK(status.error_message() == "Errors.User.Machine.Secret.NotExisting (COMMAND-coi82n)");
    }
  }
  mgmt::RemoveMachineKeyRequest unknown;
  unknown.set_user_id(id);
  unknown.set_key_id("unknown");
  mgmt::RemoveMachineKeyResponse none;
  ::grpc::ClientContext ctx;
  context(ctx);
  const auto status = stub->RemoveMachineKey(&ctx, unknown, &none);
  CHECK(status.error_code() == ::grpc::StatusCode::NOT_FOUND);
  CHECK(s.server().output().find(secret.client_secret()) == std::string::npos);
}
