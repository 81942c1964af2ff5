#pragma once

// 1 + 2 + ... + n, or 0 when n <= 0.
long long sum_to(int n);
