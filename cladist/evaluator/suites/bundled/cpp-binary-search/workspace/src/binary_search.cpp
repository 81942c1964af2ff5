#include "binary_search.h"

long find_first(const std::vector<int>& values, int target) {
    if (values.empty()) {
        return -1;
    }
    long lo = 0;
    long hi = static_cast<long>(values.size()) - 1;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (values[mid] == target) {
            return mid;
        }
        if (values[mid] < target) {
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return -1;
}
