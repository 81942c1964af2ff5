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
#include <stdexcept>

#include "ring_buffer.h"

template <typename Exception, typename F>
static bool throws(F f) {
    try {
        f();
    } catch (const Exception&) {
        return true;
    } catch (...) {
        return false;
    }
    return false;
}

static void run() {
    CHECK(throws<std::invalid_argument>([] { RingBuffer b(0); }));

    RingBuffer b(3);
    CHECK(b.empty() && !b.full() && b.size() == 0 && b.capacity() == 3);
    CHECK(throws<std::out_of_range>([&] { b.pop(); }));
    CHECK(throws<std::out_of_range>([&] { b.peek(); }));
    CHECK(b.push(1) && b.push(2) && b.push(3));
    CHECK(b.full() && !b.push(4) && b.size() == 3);
    CHECK(b.peek() == 1 && b.at(0) == 1 && b.at(2) == 3);
    CHECK(throws<std::out_of_range>([&] { b.at(3); }));
    CHECK(b.pop() == 1 && b.size() == 2);
    CHECK(b.push(4));
    CHECK(b.at(0) == 2 && b.at(1) == 3 && b.at(2) == 4);
    b.push_overwrite(5);
    CHECK(b.size() == 3 && b.pop() == 3 && b.pop() == 4 && b.pop() == 5 && b.empty());

    // Many wrap-arounds, mixing pushes and pops, against a simple model.
    RingBuffer r(5);
    std::vector<int> model;
    bool same = true;
    for (int i = 0; i < 10000; ++i) {
        if (i % 3 == 2 && !model.empty()) {
            same = same && r.pop() == model.front();
            model.erase(model.begin());
        } else if (i % 7 == 0) {
            r.push_overwrite(i);
            if (model.size() == 5) {
                model.erase(model.begin());
            }
            model.push_back(i);
        } else {
            bool pushed = r.push(i);
            same = same && pushed == (model.size() < 5);
            if (pushed) {
                model.push_back(i);
            }
        }
        same = same && r.size() == model.size();
        for (std::size_t k = 0; k < model.size(); ++k) {
            same = same && r.at(k) == model[k];
        }
    }
    CHECK(same);

    r.clear();
    CHECK(r.empty() && r.size() == 0 && r.capacity() == 5);
    CHECK(r.push(42) && r.peek() == 42 && r.size() == 1);
}

int main(int argc, char** argv) {
    try {
        run();
    } catch (const std::exception& e) {
        std::cerr << "uncaught exception: " << e.what() << "\n";
        write_report(argc, argv);
        return 1;
    }
    write_report(argc, argv);
    if (failures) {
        std::cerr << failures << " check(s) failed\n";
        return 1;
    }
    std::cout << "all checks passed\n";
    return 0;
}
