//! Limiting numbers to a range.

/// Limit `x` to the range `lo..=hi` (assumes `lo <= hi`).
pub fn clamp(x: i32, lo: i32, hi: i32) -> i32 {
    if x < lo {
        return lo;
    }
    if x > hi {
        return hi;
    }
    x
}
