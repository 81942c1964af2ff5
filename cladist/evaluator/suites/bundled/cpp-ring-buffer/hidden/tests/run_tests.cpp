#include <iostream>

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { std::cerr << __FILE__ << ":" << __LINE__ \
    << ": CHECK failed: " #cond "\n"; ++failures; } } while (0)

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

int main() {
    try {
        run();
    } catch (const std::exception& e) {
        std::cerr << "uncaught exception: " << e.what() << "\n";
        return 1;
    }
    if (failures) {
        std::cerr << failures << " check(s) failed\n";
        return 1;
    }
    std::cout << "all checks passed\n";
    return 0;
}
