#include "app/oauth/token_request.hpp"

#include <catch2/catch.hpp>

using mu::oauth::ClientCredentials;
using mu::oauth::JwtBearer;
using mu::oauth::OAuthError;
using mu::oauth::read_token_request;

namespace {

OAuthError token_request_error(const std::optional<std::string>& auth, std::string_view body) {
  auto r = read_token_request(auth, body);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

}  // namespace

TEST_CASE("token request: client_credentials by post and by Basic", "[oauth]") {
  auto post = read_token_request(std::nullopt,
                                 "grant_type=client_credentials&client_id=bot&client_secret=s3"
                                 "&scope=openid+profile+urn%3Azitadel%3Aiam%3Aorg%3Aproject%3Aid"
                                 "%3Azitadel%3Aaud+openid");
  REQUIRE(post.ok());
  CHECK(std::get<ClientCredentials>(post->grant) == ClientCredentials{"bot", "s3"});
  CHECK(post->scopes ==
        std::vector<std::string>{"openid", "urn:zitadel:iam:org:project:id:zitadel:aud"});
  CHECK(post->api_audience);
  CHECK(post->audience == std::vector<std::string>{"zitadel"});
  auto other = read_token_request(
      std::nullopt,
      "grant_type=client_credentials&client_id=bot&scope=openid+urn%3Azitadel%3Aiam%3Aorg%3A"
      "project%3Aid%3A4711%3Aaud+urn%3Azitadel%3Aiam%3Aorg%3Aproject%3Aid%3A%3Aaud");
  REQUIRE(other.ok());
  CHECK(other->audience == std::vector<std::string>{"4711"});
  CHECK_FALSE(other->api_audience);

  // "b%3Ao t:se:cret" URL-decoded: id "b:o t", secret "se:cret".
  auto basic = read_token_request("Basic YiUzQW8rdDpzZTpjcmV0",
                                  "grant_type=client_credentials&scope=openid");
  REQUIRE(basic.ok());
  CHECK(std::get<ClientCredentials>(basic->grant) == ClientCredentials{"b:o t", "se:cret"});
  CHECK_FALSE(basic->api_audience);

  // No secret, or an empty one: known only once the client is looked up.
  auto none = read_token_request(std::nullopt,
                                 "grant_type=client_credentials&client_id=bot&client_secret=&scope=openid");
  REQUIRE(none.ok());
  CHECK_FALSE(std::get<ClientCredentials>(none->grant).client_secret);
}

TEST_CASE("token request: the contract's refusals", "[oauth]") {
  const std::string basic = "Basic Ym90OnMz";  // bot:s3
  CHECK(token_request_error(basic, "grant_type=client_credentials&client_id=bot&scope=openid")
            .error == "invalid_request");
  CHECK(token_request_error(basic, "grant_type=client_credentials&client_secret=x&scope=openid")
            .error == "invalid_request");
  CHECK(token_request_error("Bearer x", "grant_type=client_credentials&scope=openid").error ==
        "invalid_request");
  CHECK(token_request_error(std::nullopt, "grant_type=client_credentials&scope=openid").error ==
        "invalid_client");
  CHECK(token_request_error(std::nullopt, "scope=openid").error == "invalid_request");
  CHECK(token_request_error(std::nullopt, "grant_type=&scope=openid").error == "invalid_request");
  CHECK(token_request_error(std::nullopt, "grant_type=password&scope=openid").error ==
        "unsupported_grant_type");
  CHECK(token_request_error(std::nullopt, "grant_type=authorization_code").error ==
        "unsupported_grant_type");
  CHECK(token_request_error(std::nullopt,
                            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
                            "&scope=openid")
            .error == "invalid_request");
  CHECK(token_request_error(std::nullopt, "grant_type=client_credentials&grant_type=x").error ==
        "invalid_request");
  CHECK(token_request_error(std::nullopt, "grant_type=client_credentials&client_id=%zz").error ==
        "invalid_request");
  auto no_openid = token_request_error(
      basic, "grant_type=client_credentials&scope=urn%3Azitadel%3Aiam%3Aorg%3Aproject%3Aid%3Azitadel%3Aaud");
  CHECK(no_openid.error == "invalid_scope");
  CHECK(no_openid.status == 400);
  CHECK(token_request_error(basic, "grant_type=client_credentials").error == "invalid_scope");
}

TEST_CASE("token request: jwt-bearer", "[oauth]") {
  auto r = read_token_request(
      std::nullopt,
      "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b.c&scope=openid");
  REQUIRE(r.ok());
  CHECK(std::get<JwtBearer>(r->grant).assertion == "a.b.c");
  CHECK(r->scopes == std::vector<std::string>{"openid"});
}
