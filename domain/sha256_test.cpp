#include "domain/sha256.hpp"

#include <catch2/catch.hpp>

TEST_CASE("SHA-256 as hex") {
  CHECK(mu::domain::sha256_hex("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(mu::domain::sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
