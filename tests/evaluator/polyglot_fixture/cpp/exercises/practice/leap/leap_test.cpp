#include "leap.h"
#ifdef EXERCISM_TEST_SUITE
#include <catch2/catch.hpp>
#else
#include "test/catch.hpp"
#endif

TEST_CASE("year not divisible by 4 in common year", "[6466b30d]") {
    REQUIRE(!leap::is_leap_year(2015));
}

TEST_CASE("year divisible by 4, not divisible by 100 in leap year", "[ac227e82]") {
    REQUIRE(leap::is_leap_year(1996));
}
