#pragma once

#include <vector>

// Index of the first element equal to target in the sorted vector values, or -1.
long find_first(const std::vector<int>& values, int target);
