#include "domain/form_urlencoded.hpp"

#include <catch2/catch.hpp>

#include "domain/base64url.hpp"

using namespace mu::domain;

namespace {

FormError form_error_of(std::string_view body) {
  const auto form = parse_form(body);
  REQUIRE_FALSE(form);
  return form.error();
}

BasicError basic_error_of(std::string_view header_value) {
  const auto credentials = parse_basic_credentials(header_value);
  REQUIRE_FALSE(credentials);
  return credentials.error();
}

std::string basic(std::string_view user_pass) {
  return "Basic " + base64_encode(user_pass);
}

}  // namespace

TEST_CASE("a token request's form is read: '&' pairs, '+' as space, %XX escapes") {
  const auto form = parse_form(
      "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=eyJ.eyJ.sig"
      "&scope=openid+urn%3azitadel%3Aiam%3Aorg%3Aproject%3Aid%3Azitadel%3Aaud");
  REQUIRE(form);
  CHECK(*form == FormFields{{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"},
                            {"assertion", "eyJ.eyJ.sig"},
                            {"scope", "openid urn:zitadel:iam:org:project:id:zitadel:aud"}});

  CHECK(parse_form("a=b=c").value() == FormFields{{"a", "b=c"}});  // the first '=' splits
  CHECK(parse_form("a").value() == FormFields{{"a", ""}});
  CHECK(parse_form("a=&b").value() == FormFields{{"a", ""}, {"b", ""}});
  CHECK(parse_form("&&a=1&").value() == FormFields{{"a", "1"}});  // empty pairs are skipped
  CHECK(parse_form("").value().empty());
  CHECK(parse_form("a=%2B+%25").value() == FormFields{{"a", "+ %"}});
  CHECK(parse_form("n%C3%A4me=%C3%A4").value() == FormFields{{"n\xC3\xA4me", "\xC3\xA4"}});
  CHECK(parse_form("+=x").value() == FormFields{{" ", "x"}});
}

TEST_CASE("a parameter given twice is refused, also when spelt differently") {
  CHECK(form_error_of("grant_type=client_credentials&grant_type=client_credentials") ==
        FormError::DuplicateName);
  CHECK(form_error_of("scope=a&%73cope=b") == FormError::DuplicateName);
  CHECK(form_error_of("a&a") == FormError::DuplicateName);
}

TEST_CASE("malformed escapes, nameless pairs, NUL, non-UTF-8 and oversized forms are refused") {
  CHECK(form_error_of("a=%") == FormError::BadEscape);
  CHECK(form_error_of("a=%4") == FormError::BadEscape);
  CHECK(form_error_of("a=%G0") == FormError::BadEscape);
  CHECK(form_error_of("a=%4g") == FormError::BadEscape);
  CHECK(form_error_of("a%=1") == FormError::BadEscape);
  CHECK(form_error_of("a=1&b=%%41") == FormError::BadEscape);

  CHECK(form_error_of("=x") == FormError::EmptyName);
  CHECK(form_error_of("a=1&=") == FormError::EmptyName);

  CHECK(form_error_of("a=%00") == FormError::BadText);
  CHECK(form_error_of(std::string("a=b\0c", 5)) == FormError::BadText);
  CHECK(form_error_of("a=%FF") == FormError::BadText);
  CHECK(form_error_of("%C0%AF=1") == FormError::BadText);  // overlong '/'

  const std::string limit = "a=" + std::string(kMaxFormBytes - 2, 'x');
  CHECK(parse_form(limit));
  CHECK(form_error_of(limit + "x") == FormError::TooLarge);
}

TEST_CASE("form_encode writes what parse_form reads back") {
  const FormFields fields = {{"grant_type", "client_credentials"},
                             {"a b", "1+1=2&3%"},
                             {"\xC3\xA4", "~!*'()/?:@"},
                             {"empty", ""}};
  const auto body = form_encode(fields);
  CHECK(body.find(' ') == std::string::npos);
  CHECK(parse_form(body).value() == fields);
  CHECK(form_escape("a b+c") == "a+b%2Bc");
  CHECK(form_escape("AZaz09*-._") == "AZaz09*-._");
}

TEST_CASE("Basic credentials: base64 of id:secret, each form-urlencoded") {
  const auto plain = parse_basic_credentials(basic("deploy-bot:s3cret"));
  REQUIRE(plain);
  CHECK(plain->client_id == "deploy-bot");
  CHECK(plain->client_secret == "s3cret");

  // RFC 6749 §2.3.1: a ':' in the id travels as %3A; '+' and %2B in the secret.
  const auto escaped = parse_basic_credentials(basic("my%3Abot:a%2Bb+c%3Ad"));
  REQUIRE(escaped);
  CHECK(escaped->client_id == "my:bot");
  CHECK(escaped->client_secret == "a+b c:d");

  // The first ':' ends the id; the secret may hold more, or be empty (the caller decides).
  CHECK(parse_basic_credentials(basic("id:a:b"))->client_secret == "a:b");
  CHECK(parse_basic_credentials(basic("id:"))->client_secret.empty());
  // The scheme in any case, more than one space after it.
  CHECK(parse_basic_credentials("basic " + base64_encode("id:s"))->client_id == "id");
  CHECK(parse_basic_credentials("BASIC  " + base64_encode("id:s"))->client_id == "id");
}

TEST_CASE("malformed Basic credentials are refused") {
  CHECK(basic_error_of("Bearer abc") == BasicError::NotBasic);
  CHECK(basic_error_of("Basic") == BasicError::NotBasic);
  CHECK(basic_error_of("BasicaWQ6cw==") == BasicError::NotBasic);
  CHECK(basic_error_of("") == BasicError::NotBasic);
  CHECK(basic_error_of("Basic  ") == BasicError::NotBasic);        // no credentials
  CHECK(basic_error_of("Basic aWQ6cw") == BasicError::BadBase64);  // padding left out
  CHECK(basic_error_of("Basic aWQ6cw== ") == BasicError::BadBase64);
  CHECK(basic_error_of("Basic aWQ6c-==") == BasicError::BadBase64);
  CHECK(basic_error_of(basic("no-colon")) == BasicError::NoColon);
  CHECK(basic_error_of(basic("id%zz:s")) == BasicError::BadEscape);
  CHECK(basic_error_of(basic("id:s%")) == BasicError::BadEscape);
  CHECK(basic_error_of(basic(":secret")) == BasicError::EmptyId);
  CHECK(basic_error_of(basic("id%00:s")) == BasicError::BadText);
  CHECK(basic_error_of(basic("id:\xFF")) == BasicError::BadText);
}
