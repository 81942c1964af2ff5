pub fn is_leap_year(year: u64) -> bool {
    let _ = year;
    false
}
