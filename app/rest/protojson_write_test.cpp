// The REST printer against protobuf's own JSON printer: the same bytes for every answer
// message, over every kind of character, number and time, and Struct keys in order.
#include <catch2/catch.hpp>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver_util.h>

#include "app/pipeline/rpc_table.hpp"
#include "app/rest/protojson.hpp"
#include "zitadel/admin.pb.h"
#include "zitadel/management.pb.h"

namespace pb = google::protobuf;
using mu::rest::print_message;

namespace {

// Protobuf's printer over deterministic bytes (sorted map keys: comparable across runs).
std::string protobuf_json(const pb::Message& m) {
  static const std::unique_ptr<pb::util::TypeResolver> resolver(
      pb::util::NewTypeResolverForDescriptorPool("type.googleapis.com",
                                                 pb::DescriptorPool::generated_pool()));
  std::string bytes;
  {
    pb::io::StringOutputStream stream(&bytes);
    pb::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  std::string out;
  REQUIRE(pb::util::BinaryToJsonString(resolver.get(),
                                       "type.googleapis.com/" + m.GetDescriptor()->full_name(),
                                       bytes, &out, pb::util::JsonPrintOptions{})
              .ok());
  return out;
}

void same(const pb::Message& m) {
  INFO(m.GetDescriptor()->full_name() << ": " << m.ShortDebugString());
  CHECK(print_message(m).value() == protobuf_json(m));
}

// Sets every field of a message (recursively, to a depth) to a value other than its default.
void fill(pb::Message& m, int seed, int depth = 0) {
  const auto* type = m.GetDescriptor();
  const auto* r = m.GetReflection();
  if (type == pb::Timestamp::descriptor()) {
    r->SetInt64(&m, type->FindFieldByName("seconds"), 1722428578 + seed);
    r->SetInt32(&m, type->FindFieldByName("nanos"),
                std::array{0, 702000000, 702123000, 702123456}[seed % 4]);
    return;
  }
  if (type == pb::Struct::descriptor()) {
    auto& fields = *static_cast<pb::Struct&>(m).mutable_fields();
    fields["zeta"].set_number_value(seed);
    fields["alpha"].set_string_value("a<b>&\"c\"\n");
    fields["mid"].set_number_value(1.5);
    fields["big"].set_number_value(12345678901234567.0);
    fields["tiny"].set_number_value(1e-7);
    fields["huge"].set_number_value(1e21);
    fields["neg"].set_number_value(-3);
    fields["on"].set_bool_value(true);
    fields["none"].set_null_value(pb::NULL_VALUE);
    *fields["list"].mutable_list_value()->add_values() = fields["alpha"];
    (*fields["nested"].mutable_struct_value()->mutable_fields())["b"].set_string_value("x");
    return;
  }
  for (int i = 0; i < type->field_count(); ++i) {
    const auto* f = type->field(i);
    const int n = f->is_repeated() ? 2 : 1;
    for (int k = 0; k < n; ++k) {
      const std::string text = "v" + std::to_string(seed + k) + "\xc3\xa9\xe2\x80\xa8<";
      switch (f->cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_STRING:
          f->is_repeated() ? r->AddString(&m, f, text) : r->SetString(&m, f, text);
          break;
        case pb::FieldDescriptor::CPPTYPE_BOOL:
          f->is_repeated() ? r->AddBool(&m, f, true) : r->SetBool(&m, f, true);
          break;
        case pb::FieldDescriptor::CPPTYPE_UINT64:
          f->is_repeated() ? r->AddUInt64(&m, f, 18446744073709551615ull - k)
                           : r->SetUInt64(&m, f, 18446744073709551615ull);
          break;
        case pb::FieldDescriptor::CPPTYPE_UINT32:
          f->is_repeated() ? r->AddUInt32(&m, f, 7 + k) : r->SetUInt32(&m, f, 4294967295u);
          break;
        case pb::FieldDescriptor::CPPTYPE_INT64:
          f->is_repeated() ? r->AddInt64(&m, f, -5 - k) : r->SetInt64(&m, f, -5);
          break;
        case pb::FieldDescriptor::CPPTYPE_INT32:
          f->is_repeated() ? r->AddInt32(&m, f, -7 - k) : r->SetInt32(&m, f, -7);
          break;
        case pb::FieldDescriptor::CPPTYPE_ENUM: {
          const int number = f->enum_type()->value(f->enum_type()->value_count() - 1)->number();
          f->is_repeated() ? r->AddEnumValue(&m, f, number) : r->SetEnumValue(&m, f, number);
          break;
        }
        case pb::FieldDescriptor::CPPTYPE_MESSAGE:
          if (depth < 4) {
            fill(f->is_repeated() ? *r->AddMessage(&m, f) : *r->MutableMessage(&m, f), seed + k + 1,
                 depth + 1);
          }
          break;
        default:
          break;
      }
    }
  }
}

}  // namespace

TEST_CASE("REST printer: every answer message, filled, prints as protobuf's printer does") {
  for (const auto& rpc : mu::pipeline::rpc_table()) {
    auto response = rpc.new_response();
    same(*response);  // empty
    fill(*response, 3);
    same(*response);
  }
}

TEST_CASE("REST printer: characters, numbers and times as protobuf's printer writes them") {
  zitadel::management::v1::GetUserByIDResponse u;
  std::string every_byte;
  for (int c = 1; c < 0x80; ++c) every_byte += static_cast<char>(c);
  every_byte +=
      "\xc3\xa9 \xe2\x80\xa8 \xe2\x80\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";  // é, LS, PS, €, 😀
  u.mutable_user()->set_user_name(every_byte);
  u.mutable_user()->set_state(static_cast<zitadel::user::v1::UserState>(42));  // open enum
  same(u);

  zitadel::admin::v1::ListEventsResponse events;
  auto& payload = *events.add_events()->mutable_payload()->mutable_fields();
  for (double d : {0.0, -0.0, 1.0, 0.1, 1.5, 100.0, 1e15, 1e16, 9007199254740993.0, 1e21, 1e-7,
                   123.456, -2.5e-10}) {
    payload["n" + std::to_string(payload.size())].set_number_value(d);
  }
  same(events);

  zitadel::management::v1::UpdateMachineResponse details;
  for (int nanos : {0, 1000000, 120000000, 1000, 123456000, 1, 999999999}) {
    details.mutable_details()->mutable_change_date()->set_seconds(-62135596800 + 86400 * 400);
    details.mutable_details()->mutable_change_date()->set_nanos(nanos);
    same(details);
  }
}
