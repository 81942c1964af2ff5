#include <fstream>
#include <iostream>
#include <string>
#include <vector>

// Each CHECK is one test: its id is "line N: condition". main() writes the report cladist
// grades from (argv[1]): one "PASS id" or "FAIL id" line per check, then "END".
static int failures = 0;
static std::vector<std::pair<bool, std::string>> checks;
static void record(bool ok, int line, const char* text) {
    checks.emplace_back(ok, "line " + std::to_string(line) + ": " + text);
    if (!ok) {
        std::cerr << __FILE__ << ":" << line << ": CHECK failed: " << text << "\n";
        ++failures;
    }
}
#define CHECK(cond) record(static_cast<bool>(cond), __LINE__, #cond)

static void write_report(int argc, char** argv) {
    if (argc < 2) return;
    std::ofstream out(argv[1]);
    for (const auto& check : checks) out << (check.first ? "PASS " : "FAIL ") << check.second << "\n";
    out << "END\n";
}
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

int main(int argc, char** argv) {
    run();
    write_report(argc, argv);
    if (failures) {
        std::cerr << failures << " check(s) failed\n";
        return 1;
    }
    std::cout << "all checks passed\n";
    return 0;
}
