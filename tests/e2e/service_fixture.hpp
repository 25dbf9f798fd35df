// One running service on its own fresh database, set up as on a first run (an
// organization, an IAM_OWNER machine user and its token), and the calls tests make.
#pragma once

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_database.hpp"

namespace mu::testing {

struct Reply {
  int status = 0;
  nlohmann::json body;
};

// The first run: `machine-users setup` on the test database; its token and ids.
struct FirstRun {
  std::string org_id;
  std::string admin_id;
  std::string token;

  explicit FirstRun(const std::string& database_url) {
    const std::string token_file = "/tmp/mu-e2e-token-" + std::to_string(::getpid()) + "-" +
                                   std::to_string(reinterpret_cast<std::uintptr_t>(this));
    auto r = run_binary({"setup", "--org-name", "Org One", "--admin-user", "admin", "--token-file",
                         token_file, "--database-url", database_url});
    if (r.exit_code != 0) throw std::runtime_error("setup failed: " + r.err);
    std::ifstream in(token_file);
    std::getline(in, token);
    std::remove(token_file.c_str());
    org_id = field(r.out, "organization Org One: ");
    admin_id = field(r.out, "IAM_OWNER machine user admin: ");
  }

  static std::string field(const std::string& out, const std::string& label) {
    auto at = out.find(label);
    if (at == std::string::npos)
      throw std::runtime_error("setup did not print " + label + "\n" + out);
    at += label.size();
    return out.substr(at, out.find(' ', at) - at);
  }
};

class Service {
 public:
  explicit Service(std::vector<std::string> extra_args = {})
      : first_run_(db_.url()),
        server_(db_.url(), std::move(extra_args)),
        http_("127.0.0.1", server_.port()) {
    auto org = call("POST", "/management/v1/orgs", nlohmann::json{{"name", "Org Two"}});
    if (org.status != 200) throw std::runtime_error("AddOrg failed: " + org.body.dump());
    org2_ = org.body.at("id").get<std::string>();
  }

  // A call as the IAM_OWNER; `org` non-empty sends it as x-zitadel-orgid.
  Reply call(const std::string& method, const std::string& target, const std::string& body = "",
             const std::string& org = "") {
    return call_as(first_run_.token, method, target, body, org);
  }
  Reply call(const std::string& method, const std::string& target, const char* body,
             const std::string& org = "") {
    return call(method, target, std::string(body), org);
  }
  Reply call(const std::string& method, const std::string& target, const nlohmann::json& body,
             const std::string& org = "") {
    return call(method, target, body.dump(), org);
  }

  // A call with another token ("" sends no Authorization header).
  Reply call_as(const std::string& token, const std::string& method, const std::string& target,
                const std::string& body = "", const std::string& org = "") {
    std::map<std::string, std::string> headers;
    if (!org.empty()) headers["x-zitadel-orgid"] = org;
    if (!token.empty()) headers["authorization"] = "Bearer " + token;
    auto r = http_.request(method, target, body, headers);
    Reply reply{r.status, nullptr};
    if (!r.body.empty()) reply.body = nlohmann::json::parse(r.body);
    return reply;
  }

  // Adds a machine user (in `org`, default the admin's) and returns its id.
  std::string add_user(const std::string& user_name, const std::string& org = "") {
    auto r = call("POST", "/management/v1/users/machine",
                  nlohmann::json{{"userName", user_name}, {"name", "Name of " + user_name}}, org);
    if (r.status != 200) throw std::runtime_error("add_user failed: " + r.body.dump());
    return r.body.at("userId").get<std::string>();
  }

  // A new token of a user (as the IAM_OWNER), optionally expiring.
  std::string add_token(const std::string& user_id, const std::string& org = "",
                        const std::string& expiration = "") {
    nlohmann::json body = nlohmann::json::object();
    if (!expiration.empty()) body["expirationDate"] = expiration;
    auto r = call("POST", "/management/v1/users/" + user_id + "/pats", body, org);
    if (r.status != 200) throw std::runtime_error("add_token failed: " + r.body.dump());
    return r.body.at("token").get<std::string>();
  }

  // A machine user of `org` holding `roles` there (none: no membership), and a token of it.
  struct MadeCaller {
    std::string id;
    std::string token;
    std::string token_id;
  };
  MadeCaller add_caller(const std::string& name, const std::string& org,
                        const std::vector<std::string>& roles, const std::string& expiration = "") {
    MadeCaller c;
    c.id = add_user(name, org);
    if (!roles.empty()) {
      auto r = call("POST", "/management/v1/orgs/me/members",
                    nlohmann::json{{"userId", c.id}, {"roles", roles}}, org);
      if (r.status != 200) throw std::runtime_error("AddOrgMember failed: " + r.body.dump());
    }
    nlohmann::json body = nlohmann::json::object();
    if (!expiration.empty()) body["expirationDate"] = expiration;
    auto pat = call("POST", "/management/v1/users/" + c.id + "/pats", body, org);
    if (pat.status != 200) {
      throw std::runtime_error("AddPersonalAccessToken failed: " + pat.body.dump());
    }
    c.token = pat.body["token"];
    c.token_id = pat.body["tokenId"];
    return c;
  }

  long long count_events(const std::string& aggregate_id = "") {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    auto r =
        aggregate_id.empty()
            ? tx.exec("SELECT count(*) FROM events")
            : tx.exec("SELECT count(*) FROM events WHERE aggregate_id = " + tx.quote(aggregate_id));
    return r[0][0].as<long long>();
  }

  // The payload of the aggregate's last event.
  nlohmann::json last_payload(const std::string& aggregate_id) {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    auto r =
        tx.exec("SELECT payload::text FROM events WHERE aggregate_id = " + tx.quote(aggregate_id) +
                " ORDER BY sequence DESC LIMIT 1");
    return nlohmann::json::parse(r[0][0].as<std::string>());
  }

  const std::string& org1() const { return first_run_.org_id; }  // the admin's organization
  const std::string& org2() const { return org2_; }
  const std::string& admin_token() const { return first_run_.token; }
  const std::string& admin_id() const { return first_run_.admin_id; }
  ServerProcess& server() { return server_; }
  TestDatabase& database() { return db_; }
  HttpClient& http() { return http_; }

 private:
  TestDatabase db_;
  FirstRun first_run_;
  ServerProcess server_;
  HttpClient http_;
  std::string org2_;
};

}  // namespace mu::testing
