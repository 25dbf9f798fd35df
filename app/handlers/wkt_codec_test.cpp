// The well-known types against the domain's: timestamps both ways with their range,
// JSON objects as google.protobuf.Struct and back.
#include <catch2/catch.hpp>

#include "app/handlers/wkt_codec.hpp"

using namespace mu;
using domain::Code;
using nlohmann::json;

namespace {

const domain::Timestamp kT =
    domain::from_unix_micros(1722428578702123LL);  // 2024-07-31T12:22:58.702123Z

}  // namespace

TEST_CASE("wkt: timestamps: microseconds both ways, out of range refused", "[wkt]") {
  auto ts = handlers::to_proto_timestamp(kT);
  CHECK(ts.seconds() == 1722428578);
  CHECK(ts.nanos() == 702123000);
  CHECK(handlers::from_proto_timestamp(ts, "t").value() == kT);

  auto before_1970 = handlers::to_proto_timestamp(domain::from_unix_micros(-1));
  CHECK(before_1970.seconds() == -1);
  CHECK(before_1970.nanos() == 999999000);
  CHECK(handlers::from_proto_timestamp(before_1970, "t").value() == domain::from_unix_micros(-1));

  google::protobuf::Timestamp fine;
  fine.set_seconds(1);
  fine.set_nanos(123456789);  // below a microsecond: dropped
  CHECK(handlers::from_proto_timestamp(fine, "t").value() == domain::from_unix_micros(1123456));

  google::protobuf::Timestamp year_10000;
  year_10000.set_seconds(253402300800LL);
  auto e = handlers::from_proto_timestamp(year_10000, "expiration_date");
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().code == Code::InvalidArgument);
  CHECK(e.error().message.starts_with("expiration_date: "));
  google::protobuf::Timestamp negative_nanos;
  negative_nanos.set_nanos(-1);
  CHECK_FALSE(handlers::from_proto_timestamp(negative_nanos, "t").ok());
}

TEST_CASE("wkt: JSON <-> google.protobuf.Struct", "[wkt]") {
  const json doc =
      json::parse(R"({"s":"x","t":true,"f":false,"n":null,"i":-3,"u":18446744073709551615,
                                   "d":1.5,"a":[1,"two",[null],{"k":{}}],"o":{"deep":{"x":[]}}})");
  auto s = handlers::to_proto_struct(doc);
  const auto& f = s.fields();
  CHECK(f.at("s").string_value() == "x");
  CHECK(f.at("t").bool_value());
  CHECK(f.at("f").kind_case() == google::protobuf::Value::kBoolValue);
  CHECK(f.at("n").kind_case() == google::protobuf::Value::kNullValue);
  CHECK(f.at("i").number_value() == -3.0);
  CHECK(f.at("u").number_value() == 18446744073709551615.0);  // a double, rounded
  CHECK(f.at("d").number_value() == 1.5);
  CHECK(f.at("a").list_value().values_size() == 4);
  CHECK(f.at("o")
            .struct_value()
            .fields()
            .at("deep")
            .struct_value()
            .fields()
            .at("x")
            .has_list_value());

  json back = handlers::from_proto_struct(s);
  CHECK(back["i"] == -3);
  CHECK(back["i"].is_number_integer());
  CHECK(back["d"] == 1.5);
  CHECK(back["u"].is_number_float());  // beyond 2^53: stays a double
  back.erase("u");
  json expected = doc;
  expected.erase("u");
  CHECK(back == expected);

  CHECK(handlers::to_proto_struct(json::array({1})).fields().empty());
  CHECK(handlers::from_proto_struct({}) == json::object());
}
