#include "leap.h"
#include <cstdio>

int main() {
    int failures = 0;
    failures += leap::is_leap_year(2015) != false;
    failures += leap::is_leap_year(1996) != true;
    failures += leap::is_leap_year(2100) != false;
    failures += leap::is_leap_year(2000) != true;
    std::printf("%d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
