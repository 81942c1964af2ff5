#include <iostream>

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { std::cerr << __FILE__ << ":" << __LINE__ \
    << ": CHECK failed: " #cond "\n"; ++failures; } } while (0)

#include "sum_to.h"

static void run() {
    // The hidden tests replace this file.
    CHECK(sum_to(0) == 0);
}

int main() {
    run();
    if (failures) {
        std::cerr << failures << " check(s) failed\n";
        return 1;
    }
    std::cout << "all checks passed\n";
    return 0;
}
