#include <iostream>

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { std::cerr << __FILE__ << ":" << __LINE__ \
    << ": CHECK failed: " #cond "\n"; ++failures; } } while (0)

#include "ring_buffer.h"

// The hidden tests replace this file.
static void run() {
    RingBuffer b(2);
    CHECK(b.push(7) && b.pop() == 7);
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
