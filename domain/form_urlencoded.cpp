#include "domain/form_urlencoded.hpp"

#include <optional>

#include "domain/base64url.hpp"
#include "domain/unicode.hpp"

namespace mu::domain {

namespace {

// Text a form may carry on: UTF-8, no NUL (PostgreSQL takes text as C strings).
bool usable_text(std::string_view s) {
  return s.find('\0') == std::string_view::npos && count_code_points(s).has_value();
}

bool unreserved_in_form(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '*' ||
         c == '-' || c == '.' || c == '_';
}

}  // namespace

std::string_view describe(FormError e) {
  switch (e) {
    case FormError::TooLarge:
      return "the form is too large";
    case FormError::BadEscape:
      return "a '%' escape is malformed";
    case FormError::EmptyName:
      return "a parameter has no name";
    case FormError::DuplicateName:
      return "a parameter is given more than once";
    case FormError::BadText:
      return "a parameter is not UTF-8 or contains NUL";
  }
  return "a malformed form";
}

std::string_view describe(BasicError e) {
  switch (e) {
    case BasicError::NotBasic:
      return "not Basic credentials";
    case BasicError::BadBase64:
      return "the Basic credentials are not base64";
    case BasicError::NoColon:
      return "the Basic credentials hold no ':'";
    case BasicError::BadEscape:
      return "the client id or secret has a malformed '%' escape";
    case BasicError::EmptyId:
      return "the client id is empty";
    case BasicError::BadText:
      return "the client id or secret is not UTF-8 or contains NUL";
  }
  return "malformed Basic credentials";
}

std::optional<std::string> form_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (text.size() - i < 3) return std::nullopt;
      const int hi = hex_digit_value(text[i + 1]);
      const int lo = hex_digit_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

Expected<FormFields, FormError> parse_form(std::string_view body) {
  if (body.size() > kMaxFormBytes) return Unexpected(FormError::TooLarge);
  FormFields fields;
  std::size_t at = 0;
  while (at <= body.size()) {
    auto end = body.find('&', at);
    if (end == std::string_view::npos) end = body.size();
    const auto pair = body.substr(at, end - at);
    at = end + 1;
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const auto raw_name = pair.substr(0, eq);
    const auto raw_value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (raw_name.empty()) return Unexpected(FormError::EmptyName);
    auto name = form_decode(raw_name);
    auto value = form_decode(raw_value);
    if (!name || !value) return Unexpected(FormError::BadEscape);
    if (!usable_text(*name) || !usable_text(*value)) return Unexpected(FormError::BadText);
    // RFC 6749 §3.1 and §3.2: "Request and response parameters MUST NOT be included more than
    // once." Refusing is also what keeps two readers of one body from seeing two requests.
    if (!fields.emplace(std::move(*name), std::move(*value)).second) {
      return Unexpected(FormError::DuplicateName);
    }
  }
  return fields;
}

std::string form_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (unreserved_in_form(c)) {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

std::string form_encode(const FormFields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += form_escape(name);
    out += '=';
    out += form_escape(value);
  }
  return out;
}

Expected<BasicCredentials, BasicError> parse_basic_credentials(std::string_view header_value) {
  // RFC 7235 §2.1: the scheme is case-insensitive, one or more spaces follow it.
  constexpr std::string_view kScheme = "basic";
  if (header_value.size() <= kScheme.size() ||
      ascii_lower(header_value.substr(0, kScheme.size())) != kScheme ||
      header_value[kScheme.size()] != ' ') {
    return Unexpected(BasicError::NotBasic);
  }
  auto token = header_value.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (token.empty()) return Unexpected(BasicError::NotBasic);
  const auto decoded = base64_decode(token);
  if (!decoded) return Unexpected(BasicError::BadBase64);
  // RFC 7617: the user-id cannot hold ':', so the first one ends it (RFC 6749 §2.3.1 has
  // clients escape one in the id as %3A).
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return Unexpected(BasicError::NoColon);
  auto id = form_decode(std::string_view(*decoded).substr(0, colon));
  auto secret = form_decode(std::string_view(*decoded).substr(colon + 1));
  if (!id || !secret) return Unexpected(BasicError::BadEscape);
  if (id->empty()) return Unexpected(BasicError::EmptyId);
  if (!usable_text(*id) || !usable_text(*secret)) return Unexpected(BasicError::BadText);
  return BasicCredentials{std::move(*id), std::move(*secret)};
}

}  // namespace mu::domain
