use clamp::clamp;

#[test]
fn below_range() {
    assert_eq!(clamp(-5, 0, 10), 0);
}

#[test]
fn above_range() {
    assert_eq!(clamp(15, 0, 10), 10);
}

#[test]
fn inside_and_edges() {
    assert_eq!(clamp(7, 0, 10), 7);
    assert_eq!(clamp(0, 0, 10), 0);
    assert_eq!(clamp(10, 0, 10), 10);
    assert_eq!(clamp(3, 3, 3), 3);
}
