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
#include "sum_to.h"

static void run() {
    CHECK(sum_to(5) == 15);
    CHECK(sum_to(1) == 1);
    CHECK(sum_to(0) == 0);
    CHECK(sum_to(-3) == 0);
    CHECK(sum_to(100000) == 5000050000LL);
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
