// The well-known types our messages carry, converted to and from the domain's:
// google.protobuf.Timestamp <-> domain::Timestamp, google.protobuf.Struct <-> JSON.
#pragma once

#include <string_view>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/timestamp.pb.h>
#include <nlohmann/json.hpp>

#include "domain/result.hpp"
#include "domain/time.hpp"

namespace mu::handlers {

// Seconds and nanoseconds; the nanoseconds are always 0..999,999,999 (also before 1970),
// whole microseconds since the domain keeps no finer time.
google::protobuf::Timestamp to_proto_timestamp(domain::Timestamp t);

// InvalidArgument naming `field` outside the range google.protobuf.Timestamp defines
// (0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z, nanos 0..999,999,999):
// protojson refuses such a value on the REST path, so gRPC refuses it too instead of
// overflowing. Nanoseconds below a microsecond are dropped (rounded toward the past).
domain::Result<domain::Timestamp> from_proto_timestamp(const google::protobuf::Timestamp& ts,
                                                       std::string_view field);

// A JSON object as a Struct: every number becomes a double (the only number a Struct
// has), null becomes NULL_VALUE. Anything but a JSON object gives an empty Struct.
google::protobuf::Struct to_proto_struct(const nlohmann::json& object);

// A Struct as a JSON object. A double without a fraction that a double represents
// exactly (|x| <= 2^53) comes back as an integer, as protojson writes it ("1", not "1.0").
nlohmann::json from_proto_struct(const google::protobuf::Struct& s);

}  // namespace mu::handlers
