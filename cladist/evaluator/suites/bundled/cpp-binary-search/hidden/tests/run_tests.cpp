#include <iostream>

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { std::cerr << __FILE__ << ":" << __LINE__ \
    << ": CHECK failed: " #cond "\n"; ++failures; } } while (0)

#include "binary_search.h"

static void run() {
    CHECK(find_first({}, 3) == -1);
    CHECK(find_first({7}, 7) == 0);
    CHECK(find_first({7}, 8) == -1);
    CHECK(find_first({1, 3, 5}, 1) == 0);
    CHECK(find_first({1, 3, 5}, 3) == 1);
    CHECK(find_first({1, 3, 5}, 5) == 2);
    CHECK(find_first({1, 3, 5}, 4) == -1);
    CHECK(find_first({1, 3, 5}, 0) == -1);
    CHECK(find_first({1, 3, 5}, 6) == -1);
    CHECK(find_first({2, 2, 2, 2}, 2) == 0);
    CHECK(find_first({1, 2, 2, 2, 2, 3, 3}, 3) == 5);
    CHECK(find_first({1, 2, 2, 2, 2, 3, 3}, 2) == 1);
    std::vector<int> big;
    for (int i = 0; i < 1000000; ++i) {
        big.push_back(i / 3);
    }
    bool all = true;
    for (int t = 0; t < 333334; t += 7) {
        all = all && find_first(big, t) == 3L * t;
    }
    CHECK(all);
    CHECK(find_first(big, -1) == -1);
    CHECK(find_first(big, 333334) == -1);
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
