#include "domain/assertion_claims.hpp"

#include <catch2/catch.hpp>

using namespace mu::domain;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr std::string_view kIssuer = "http://127.0.0.1:8080";
constexpr std::int64_t kNow = 1800000000;
const Timestamp clock_now{seconds{kNow}};

// What @zitadel/node's ServiceAccount signs: iss = sub = the user id, aud = the issuer,
// exp = iat + 1 h.
json assertion() {
  return {{"iss", "648160431147319299"},
          {"sub", "648160431147319299"},
          {"aud", kIssuer},
          {"iat", kNow},
          {"exp", kNow + 3600}};
}

json with(std::string_view name, json value) {
  auto claims = assertion();
  claims[std::string(name)] = std::move(value);
  return claims;
}

json without(std::string_view name) {
  auto claims = assertion();
  claims.erase(std::string(name));
  return claims;
}

ClaimsError claims_error_of(const json& claims, Timestamp at = clock_now) {
  const auto checked = check_assertion_claims(claims, kIssuer, at);
  REQUIRE_FALSE(checked);
  return checked.error();
}

bool accepted(const json& claims, Timestamp at = clock_now) {
  return check_assertion_claims(claims, kIssuer, at).ok();
}

}  // namespace

TEST_CASE("an assertion as ZITADEL's clients sign it is accepted") {
  const auto checked = check_assertion_claims(with("jti", "t1"), kIssuer, clock_now);
  REQUIRE(checked);
  CHECK(checked->subject == "648160431147319299");
  CHECK(checked->issued_at == clock_now);
  CHECK(checked->expires_at == clock_now + seconds{3600});
  CHECK(checked->jwt_id == "t1");
  CHECK_FALSE(check_assertion_claims(assertion(), kIssuer, clock_now)->jwt_id);
}

TEST_CASE("the audience must name the issuer exactly, as a string or in an array") {
  CHECK(accepted(with("aud", json::array({"other", kIssuer}))));
  CHECK(claims_error_of(with("aud", "http://127.0.0.1:8080/")) == ClaimsError::AudMismatch);
  CHECK(claims_error_of(with("aud", "HTTP://127.0.0.1:8080")) == ClaimsError::AudMismatch);
  CHECK(claims_error_of(with("aud", json::array({"other"}))) == ClaimsError::AudMismatch);
  CHECK(claims_error_of(without("aud")) == ClaimsError::AudInvalid);
  CHECK(claims_error_of(with("aud", json::array())) == ClaimsError::AudInvalid);
  CHECK(claims_error_of(with("aud", json::array({kIssuer, 1}))) == ClaimsError::AudInvalid);
  CHECK(claims_error_of(with("aud", json{{"aud", kIssuer}})) == ClaimsError::AudInvalid);
}

TEST_CASE("the issuer must be the subject, both non-empty strings") {
  CHECK(claims_error_of(with("sub", "1")) == ClaimsError::IssNotSub);
  CHECK(claims_error_of(without("iss")) == ClaimsError::IssInvalid);
  CHECK(claims_error_of(with("iss", "")) == ClaimsError::IssInvalid);
  CHECK(claims_error_of(with("iss", 648160431147319299)) == ClaimsError::IssInvalid);
  CHECK(claims_error_of(without("sub")) == ClaimsError::SubInvalid);
  CHECK(claims_error_of(json::array()) == ClaimsError::IssInvalid);
}

TEST_CASE("exp must be more than a second ahead") {
  CHECK(accepted(with("exp", kNow + 2)));
  CHECK(claims_error_of(with("exp", kNow + 1)) == ClaimsError::Expired);
  CHECK(claims_error_of(with("exp", kNow)) == ClaimsError::Expired);
  CHECK(claims_error_of(with("exp", kNow - 100)) == ClaimsError::Expired);
  // A second later, kNow + 2 is no longer more than a second ahead; a millisecond less, it is.
  CHECK(claims_error_of(with("exp", kNow + 2), clock_now + milliseconds{1000}) ==
        ClaimsError::Expired);
  CHECK(accepted(with("exp", kNow + 2), clock_now + milliseconds{999}));
  CHECK(claims_error_of(without("exp")) == ClaimsError::ExpInvalid);
}

TEST_CASE("iat must be present, at most a second ahead and at most an hour old") {
  CHECK(accepted(with("iat", kNow + 1)));
  CHECK(claims_error_of(with("iat", kNow + 2)) == ClaimsError::IatInFuture);
  CHECK(claims_error_of(with("iat", kNow + 2), clock_now + milliseconds{999}) ==
        ClaimsError::IatInFuture);
  CHECK(accepted(with("iat", kNow + 2), clock_now + milliseconds{1000}));
  CHECK(accepted(with("iat", kNow - 3600)));
  CHECK(claims_error_of(with("iat", kNow - 3601)) == ClaimsError::IatTooOld);
  CHECK(claims_error_of(with("iat", kNow - 3600), clock_now + milliseconds{1}) ==
        ClaimsError::IatTooOld);
  CHECK(claims_error_of(without("iat")) == ClaimsError::IatInvalid);
}

TEST_CASE("nbf, when present, must not be more than a second ahead") {
  CHECK(accepted(with("nbf", kNow)));
  CHECK(accepted(with("nbf", kNow + 1)));
  CHECK(claims_error_of(with("nbf", kNow + 2)) == ClaimsError::NotYetValid);
  CHECK(claims_error_of(with("nbf", "soon")) == ClaimsError::NbfInvalid);
}

TEST_CASE("NumericDates are JSON integers of seconds within Timestamp's range") {
  CHECK(numeric_date(json(0)) == Timestamp{});
  CHECK(numeric_date(json::parse("1800000000")) == clock_now);
  CHECK(numeric_date(json(253402300799LL)) == Timestamp{seconds{253402300799LL}});
  CHECK_FALSE(numeric_date(json(253402300800LL)));
  CHECK_FALSE(numeric_date(json(-1)));
  CHECK_FALSE(numeric_date(json::parse("18446744073709551615")));
  CHECK_FALSE(numeric_date(json::parse("1800000000.5")));
  CHECK_FALSE(numeric_date(json::parse("1800000000.0")));
  CHECK_FALSE(numeric_date(json::parse("1.8e9")));
  CHECK_FALSE(numeric_date(json("1800000000")));
  CHECK_FALSE(numeric_date(json(true)));
  CHECK_FALSE(numeric_date(json(nullptr)));

  CHECK(claims_error_of(with("exp", json::parse("1800003600.5"))) == ClaimsError::ExpInvalid);
  CHECK(claims_error_of(with("exp", std::to_string(kNow + 3600))) == ClaimsError::ExpInvalid);
  CHECK(claims_error_of(with("iat", json::parse("1.8e9"))) == ClaimsError::IatInvalid);
}
