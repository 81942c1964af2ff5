use leap::is_leap_year;

#[test]
fn common_years() {
    assert!(!is_leap_year(2015));
    assert!(!is_leap_year(2100));
}

#[test]
#[ignore]
fn leap_years() {
    assert!(is_leap_year(1996));
    assert!(is_leap_year(2000));
}
