#include "binary_search.h"

long find_first(const std::vector<int>& values, int target) {
    long lo = 0;
    long hi = static_cast<long>(values.size());  // search in [lo, hi)
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (values[mid] < target) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < static_cast<long>(values.size()) && values[lo] == target) {
        return lo;
    }
    return -1;
}
