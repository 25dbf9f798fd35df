// protojson.hpp's reading half: a JSON object into a generated message, by reflection.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/timestamp.pb.h>

#include "app/rest/json_reader.hpp"
#include "app/rest/protojson.hpp"
#include "domain/base64url.hpp"
#include "domain/sha256.hpp"
#include "domain/time.hpp"

namespace mu::rest {

using domain::invalid_argument;
using nlohmann::json;
namespace pb = google::protobuf;

domain::Result<json> parse_message(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object();
  auto msg = read_json(body);
  if (!msg.ok()) return msg.error();
  if (!msg->is_object()) return invalid_argument("request body must be a JSON object");
  return msg;
}

namespace {

// Not "Error": in a unity batch this namespace is rest_api.cpp's too, where Error is domain's.
using FillError = std::optional<domain::Error>;
using FD = pb::FieldDescriptor;

// The field's value, or nullptr when absent or null. Both spellings at once is
// ambiguous, and protojson refuses it too.
domain::Result<const json*> lookup(const json& msg, const FD& f) {
  auto a = msg.find(f.json_name());
  auto b = f.name() == f.json_name() ? msg.end() : msg.find(f.name());
  if (a != msg.end() && b != msg.end()) {
    return invalid_argument("duplicate field \"" + f.json_name() + "\"");
  }
  auto it = a != msg.end() ? a : b;
  if (it == msg.end() || it->is_null()) return static_cast<const json*>(nullptr);
  return &*it;
}

domain::Error wrong_type(const FD& f, std::string_view expected, const json& value) {
  return invalid_argument("invalid value for " + std::string(expected) + " field " + f.json_name() +
                          ": " + excerpt(value.dump()));
}

bool is_timestamp(const FD& f) {
  return f.cpp_type() == FD::CPPTYPE_MESSAGE && f.message_type() == pb::Timestamp::descriptor();
}

// The name a wrong value's error gives the field's type.
std::string type_name(const FD& f) {
  std::string name;
  if (is_timestamp(f)) {
    name = "timestamp";
  } else if (f.cpp_type() == FD::CPPTYPE_MESSAGE) {
    name = "message";
  } else {
    name = f.type_name();
  }
  return f.is_repeated() ? "repeated " + name : name;
}

// An integer up to `max` (and from `min`): a JSON number without a fraction (5.0 is 5),
// or a string of decimal digits with an optional '-' (how protojson writes 64 bits).
std::optional<long double> integer(const json& v, long double min, long double max) {
  long double n = 0;
  if (v.is_number_unsigned()) {
    n = static_cast<long double>(v.get<std::uint64_t>());
  } else if (v.is_number_integer()) {
    n = static_cast<long double>(v.get<std::int64_t>());
  } else if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d) || d != std::trunc(d)) return std::nullopt;
    n = d;
  } else if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    const std::size_t digits_at = !s.empty() && s[0] == '-' ? 1 : 0;
    if (s.size() == digits_at || s.size() > 21 ||
        s.find_first_not_of("0123456789", digits_at) != std::string::npos) {
      return std::nullopt;
    }
    try {
      n = std::stold(s);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  if (n < min || n > max) return std::nullopt;
  return n;
}

// A bytes field's JSON value as protojson reads it: base64, the standard alphabet or the
// URL-safe one (when it has '-' or '_'), padded or, when its length is no multiple of 4, not.
std::optional<std::string> bytes_value(std::string text) {
  if (text.find_first_of("-_") != std::string::npos) {
    for (auto& c : text) {
      if (c == '-') c = '+';
      if (c == '_') c = '/';
    }
  }
  if (text.size() % 4 != 0) {
    if (text.find('=') != std::string::npos || text.size() % 4 == 1) return std::nullopt;
    text.append(4 - text.size() % 4, '=');
  }
  return domain::base64_decode(text);
}

// One value of field f (an element, for a repeated field) into the message.
FillError put_value(const json& v, const FD& f, pb::Message& out);

FillError put_message(const json& v, const FD& f, pb::Message& into) {
  if (is_timestamp(f)) {
    if (!v.is_string()) return wrong_type(f, "timestamp", v);
    auto t = domain::parse_rfc3339(v.get<std::string>());
    if (!t) return wrong_type(f, "timestamp (RFC 3339)", v);
    const auto micros = domain::to_unix_micros(*t);
    auto seconds = micros / 1'000'000, rest = micros % 1'000'000;
    if (rest < 0) {
      rest += 1'000'000;
      seconds -= 1;
    }
    const auto* type = into.GetDescriptor();
    into.GetReflection()->SetInt64(&into, type->FindFieldByName("seconds"), seconds);
    into.GetReflection()->SetInt32(&into, type->FindFieldByName("nanos"),
                                   static_cast<std::int32_t>(rest * 1000));
    return std::nullopt;
  }
  if (!v.is_object()) return wrong_type(f, "message", v);
  return fill_message(v, into);
}

FillError put_value(const json& v, const FD& f, pb::Message& out) {
  const auto* r = out.GetReflection();
  const bool rep = f.is_repeated();
  // The repeated field's whole value is quoted in its errors, as before.
  switch (f.cpp_type()) {
    case FD::CPPTYPE_STRING: {
      if (!v.is_string()) return std::nullopt;  // reported by the caller
      auto value = v.get<std::string>();
      if (f.type() == FD::TYPE_BYTES) {
        auto bytes = bytes_value(std::move(value));
        if (!bytes) return wrong_type(f, type_name(f), v);
        value = std::move(*bytes);
      }
      rep ? r->AddString(&out, &f, std::move(value)) : r->SetString(&out, &f, std::move(value));
      return std::nullopt;
    }
    case FD::CPPTYPE_BOOL:
      if (!v.is_boolean()) return std::nullopt;
      rep ? r->AddBool(&out, &f, v.get<bool>()) : r->SetBool(&out, &f, v.get<bool>());
      return std::nullopt;
    case FD::CPPTYPE_MESSAGE: {
      pb::Message* m = rep ? r->AddMessage(&out, &f) : r->MutableMessage(&out, &f);
      if (auto e = put_message(v, f, *m)) return e;
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

// Whether v has the JSON type field f takes (scalars only; messages say so themselves).
bool scalar_fits(const json& v, const FD& f) {
  switch (f.cpp_type()) {
    case FD::CPPTYPE_STRING:
      return v.is_string();
    case FD::CPPTYPE_BOOL:
      return v.is_boolean();
    default:
      return true;
  }
}

FillError put_number(const json& v, const FD& f, pb::Message& out, const json& quoted) {
  const auto* r = out.GetReflection();
  const bool rep = f.is_repeated();
  const auto bad = [&] { return wrong_type(f, type_name(f), quoted); };
  switch (f.cpp_type()) {
    case FD::CPPTYPE_UINT32: {
      auto n = integer(v, 0, std::numeric_limits<std::uint32_t>::max());
      if (!n) return bad();
      const auto x = static_cast<std::uint32_t>(*n);
      rep ? r->AddUInt32(&out, &f, x) : r->SetUInt32(&out, &f, x);
      return std::nullopt;
    }
    case FD::CPPTYPE_UINT64: {
      auto n = integer(v, 0, static_cast<long double>(std::numeric_limits<std::uint64_t>::max()));
      if (!n) return bad();
      const auto x = static_cast<std::uint64_t>(*n);
      rep ? r->AddUInt64(&out, &f, x) : r->SetUInt64(&out, &f, x);
      return std::nullopt;
    }
    case FD::CPPTYPE_INT32: {
      auto n = integer(v, std::numeric_limits<std::int32_t>::min(),
                       std::numeric_limits<std::int32_t>::max());
      if (!n) return bad();
      const auto x = static_cast<std::int32_t>(*n);
      rep ? r->AddInt32(&out, &f, x) : r->SetInt32(&out, &f, x);
      return std::nullopt;
    }
    case FD::CPPTYPE_INT64: {
      auto n = integer(v, static_cast<long double>(std::numeric_limits<std::int64_t>::min()),
                       static_cast<long double>(std::numeric_limits<std::int64_t>::max()));
      if (!n) return bad();
      const auto x = static_cast<std::int64_t>(*n);
      rep ? r->AddInt64(&out, &f, x) : r->SetInt64(&out, &f, x);
      return std::nullopt;
    }
    case FD::CPPTYPE_DOUBLE:
    case FD::CPPTYPE_FLOAT: {
      if (!v.is_number()) return bad();
      const double d = v.get<double>();
      if (f.cpp_type() == FD::CPPTYPE_DOUBLE) {
        rep ? r->AddDouble(&out, &f, d) : r->SetDouble(&out, &f, d);
      } else {
        rep ? r->AddFloat(&out, &f, static_cast<float>(d))
            : r->SetFloat(&out, &f, static_cast<float>(d));
      }
      return std::nullopt;
    }
    case FD::CPPTYPE_ENUM: {
      // By name, or by any number (proto3 enums are open: validation refuses the
      // numbers the enum does not define).
      int number = 0;
      if (v.is_string()) {
        const auto* value = f.enum_type()->FindValueByName(v.get<std::string>());
        if (!value) return wrong_type(f, f.is_repeated() ? "repeated enum" : "enum", quoted);
        number = value->number();
      } else if (v.is_number_integer()) {
        const auto n = v.get<long long>();
        if (n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max()) {
          return wrong_type(f, f.is_repeated() ? "repeated enum" : "enum", quoted);
        }
        number = static_cast<int>(n);
      } else {
        return wrong_type(f, f.is_repeated() ? "repeated enum" : "enum", quoted);
      }
      rep ? r->AddEnumValue(&out, &f, number) : r->SetEnumValue(&out, &f, number);
      return std::nullopt;
    }
    default:
      return domain::Error{domain::Code::Internal, "",
                           "field " + f.json_name() + " has a type REST does not read"};
  }
}

// Numbers and enums: put_number reads them; strings, booleans and messages put_value.
bool is_numeric(const FD& f) {
  return f.cpp_type() != FD::CPPTYPE_STRING && f.cpp_type() != FD::CPPTYPE_BOOL &&
         f.cpp_type() != FD::CPPTYPE_MESSAGE;
}

// One value of a singular field, checked for its type.
FillError put_single(const json& v, const FD& f, pb::Message& out) {
  if (is_numeric(f)) return put_number(v, f, out, v);
  if (!scalar_fits(v, f)) return wrong_type(f, type_name(f), v);
  return put_value(v, f, out);
}

FillError put_field(const json& v, const FD& f, pb::Message& out) {
  if (f.is_map()) {
    return domain::Error{domain::Code::Internal, "",
                         "field " + f.json_name() + " is a map, which REST does not read"};
  }
  const bool numeric = is_numeric(f);
  if (!f.is_repeated()) return put_single(v, f, out);
  if (!v.is_array()) return wrong_type(f, type_name(f), v);
  // All or nothing: a bad element leaves the field as it was.
  for (const auto& item : v) {
    if (!numeric && !scalar_fits(item, f)) return wrong_type(f, type_name(f), v);
  }
  out.GetReflection()->ClearField(&out, &f);
  for (const auto& item : v) {
    if (auto e = numeric ? put_number(item, f, out, v) : put_value(item, f, out)) return e;
  }
  return std::nullopt;
}

}  // namespace

std::optional<domain::Error> fill_message(const json& object, pb::Message& out) {
  const auto* type = out.GetDescriptor();
  // A oneof takes one member: two set at once is ambiguous, and protojson refuses it.
  for (int i = 0; i < type->real_oneof_decl_count(); ++i) {
    const auto* oneof = type->oneof_decl(i);  // real oneofs come first
    const FD* first = nullptr;
    for (int j = 0; j < oneof->field_count(); ++j) {
      const auto& f = *oneof->field(j);
      auto found = lookup(object, f);
      if (!found.ok()) return found.error();
      if (!*found) continue;
      if (first) {
        return invalid_argument(first->json_name() + " and " + f.json_name() + " are one oneof (" +
                                oneof->name() + "): set one of them");
      }
      first = &f;
    }
  }
  for (int i = 0; i < type->field_count(); ++i) {
    const auto& f = *type->field(i);
    auto found = lookup(object, f);
    if (!found.ok()) return found.error();
    if (!*found) continue;
    if (auto e = put_field(**found, f, out)) return e;
  }
  return std::nullopt;
}

namespace {

// fill_message_direct's SAX consumer (nlohmann's interface). Each value goes into the message
// as soon as it is read, through the same conversions fill_message uses (put_number,
// put_value). Whatever fill_message would refuse, or whatever this does not handle, stops the
// parse ("declines"); fill_message_direct then clears the message.
class DirectFiller {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  explicit DirectFiller(pb::Message& root) : root_(root) { stack_.reserve(4); }

  bool null() {
    if (stack_.empty() || stack_.back().array) return false;  // a null element is refused
    stack_.back().field = nullptr;                            // null is "not set"
    return true;
  }
  bool boolean(bool v) { return scalar(json(v)); }
  bool number_integer(number_integer_t v) { return scalar(json(v)); }
  bool number_unsigned(number_unsigned_t v) { return scalar(json(v)); }
  bool number_float(number_float_t v, const string_t&) {
    return std::isfinite(v) && scalar(json(v));
  }
  bool string(string_t& v) {
    if (v.find('\0') != string_t::npos) return false;
    const FD* f = target();
    if (!f) return false;
    // A plain string field takes the parser's string as it is: no JSON value, no copy.
    if (f->type() == FD::TYPE_STRING) {
      auto& frame = stack_.back();
      const auto* r = frame.message->GetReflection();
      if (frame.array) {
        r->AddString(frame.message, f, std::move(v));
        return true;
      }
      if (f->is_repeated() || !set_once(*f)) return false;
      r->SetString(frame.message, f, std::move(v));
      frame.field = nullptr;
      return true;
    }
    return scalar(json(std::move(v)));
  }
  bool binary(binary_t&) { return false; }

  bool start_object(std::size_t) {
    if (stack_.empty()) {
      stack_.push_back({&root_});
      return true;
    }
    if (stack_.size() >= kMaxJsonDepth) return false;
    const FD* f = target();
    if (!f || f->cpp_type() != FD::CPPTYPE_MESSAGE || is_timestamp(*f)) return false;
    auto& frame = stack_.back();
    const auto* r = frame.message->GetReflection();
    pb::Message* child = nullptr;
    if (frame.array) {
      child = r->AddMessage(frame.message, f);
    } else {
      if (!set_once(*f)) return false;
      child = r->MutableMessage(frame.message, f);
      frame.field = nullptr;
    }
    stack_.push_back({child});
    return true;
  }
  bool end_object() {
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) {
    if (stack_.empty() || stack_.back().array || !stack_.back().field) return false;
    if (stack_.size() >= kMaxJsonDepth) return false;
    const FD* f = stack_.back().field;
    if (!f->is_repeated()) return false;
    stack_.back().field = nullptr;
    stack_.push_back({stack_.back().message, f, /*array=*/true});
    return true;
  }
  bool end_array() {
    stack_.pop_back();
    return true;
  }

  bool key(string_t& k) {
    auto& frame = stack_.back();
    const auto* type = frame.message->GetDescriptor();
    const FD* f = field_named(*type, k);
    // Unknown keys (and their duplicates), maps and very wide messages: fill_message's.
    if (!f || f->is_map() || f->index() >= 64) return false;
    const auto bit = std::uint64_t{1} << f->index();
    if (frame.named & bit) return false;  // named twice, or in both spellings
    frame.named |= bit;
    frame.field = f;
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const json::exception&) { return false; }

 private:
  struct Frame {
    pb::Message* message;
    const FD* field = nullptr;  // an object's field whose value comes next; an array's field
    bool array = false;
    std::uint64_t named = 0;   // an object's fields named so far, by index
    std::uint64_t oneofs = 0;  // an object's oneofs with a member set, by index
  };

  // The field a key names: its lowerCamel JSON name or its proto name, as lookup() reads them.
  // A scan: the messages have a handful of fields, and protobuf has no index by JSON name.
  static const FD* field_named(const pb::Descriptor& type, std::string_view key) {
    for (int i = 0; i < type.field_count(); ++i) {
      const FD* f = type.field(i);
      if (f->json_name() == key || f->name() == key) return f;
    }
    return nullptr;
  }

  // The field the next value is for: the pending key's, or the array's element.
  const FD* target() const {
    if (stack_.empty()) return nullptr;
    return stack_.back().field;
  }

  // A oneof takes one member: the second one set declines.
  bool set_once(const FD& f) {
    const auto* oneof = f.real_containing_oneof();
    if (!oneof || oneof->index() >= 64) return !oneof;
    auto& frame = stack_.back();
    const auto bit = std::uint64_t{1} << oneof->index();
    if (frame.oneofs & bit) return false;
    frame.oneofs |= bit;
    return true;
  }

  bool scalar(const json& v) {
    const FD* f = target();
    if (!f) return false;
    auto& frame = stack_.back();
    if (!frame.array) {
      // A scalar for a repeated field or a message (not a timestamp) is refused.
      if (f->is_repeated()) return false;
      if (f->cpp_type() == FD::CPPTYPE_MESSAGE && !is_timestamp(*f)) return false;
      if (!set_once(*f)) return false;
      frame.field = nullptr;
    }
    // An element of an array is checked as a singular value is: any refusal declines.
    return !put_single(v, *f, *frame.message);
  }

  pb::Message& root_;
  std::vector<Frame> stack_;
};

}  // namespace

bool fill_message_direct(std::string_view body, pb::Message& out) {
  const auto first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return true;
  // A byte-order mark (which nlohmann would skip) or no object: parse_message's refusals.
  if (body[first] != '{') return false;
  DirectFiller filler(out);
  const bool ok = json::sax_parse(body.begin(), body.end(), &filler, json::input_format_t::json,
                                  /*strict=*/true, /*ignore_comments=*/false);
  if (!ok) out.Clear();
  return ok;
}

}  // namespace mu::rest
