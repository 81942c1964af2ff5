#include <iostream>

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { std::cerr << __FILE__ << ":" << __LINE__ \
    << ": CHECK failed: " #cond "\n"; ++failures; } } while (0)

#include "binary_search.h"

// The hidden tests replace this file.
static void run() {
    CHECK(find_first({1, 3, 5}, 3) == 1);
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
