#include "eventstore/connection_options.hpp"

#include <catch2/catch.hpp>

using mu::eventstore::with_connection_defaults;

namespace {
const std::string kAll =
    "connect_timeout=3&keepalives=1&keepalives_idle=5&keepalives_interval=2&keepalives_count=3&"
    "tcp_user_timeout=10000";
}

TEST_CASE("connection defaults: a URI gets the timeouts and keepalives it does not set") {
  CHECK(with_connection_defaults("postgresql://u@h:5432/db") == "postgresql://u@h:5432/db?" + kAll);
  CHECK(with_connection_defaults("postgres://h1:1,h2:2/db?target_session_attrs=read-write") ==
        "postgres://h1:1,h2:2/db?target_session_attrs=read-write&" + kAll);
  // The URL's own value wins, and is not repeated.
  CHECK(with_connection_defaults("postgresql:///db?connect_timeout=10&keepalives=0") ==
        "postgresql:///db?connect_timeout=10&keepalives=0&keepalives_idle=5&keepalives_interval="
        "2&keepalives_count=3&tcp_user_timeout=10000");
  // A parameter whose name only ends like one of ours is another.
  CHECK(
      with_connection_defaults("postgresql:///db?xconnect_timeout=1").find("&connect_timeout=3") !=
      std::string::npos);
}

TEST_CASE("connection defaults: a key=value string gets them as keywords") {
  CHECK(with_connection_defaults("host=h dbname=db") ==
        "host=h dbname=db connect_timeout=3 keepalives=1 keepalives_idle=5 keepalives_interval=2 "
        "keepalives_count=3 tcp_user_timeout=10000");
  CHECK(with_connection_defaults("host=h password='a connect_timeout=1' tcp_user_timeout = 0")
            .find("connect_timeout=3") != std::string::npos);  // the quoted one is a password
  CHECK(with_connection_defaults("host=h password='a connect_timeout=1' tcp_user_timeout = 0")
            .find("tcp_user_timeout=10000") == std::string::npos);
}
