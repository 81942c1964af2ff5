use brackets::is_balanced;

#[test]
fn balanced_cases() {
    for text in ["", "()", "{[()]}", "a(b)c[d]{e}", "f(\"(\")", "x = \"\\\"]\";", "(((())))[]"] {
        assert!(is_balanced(text), "{:?} should be balanced", text);
    }
}

#[test]
fn unbalanced_cases() {
    for text in ["(", ")", "([)]", "(]", "{{}", "\"(", "f(\")\"", "\"\\\"", "}{"] {
        assert!(!is_balanced(text), "{:?} should not be balanced", text);
    }
}

#[test]
fn deep_nesting() {
    let text = "(".repeat(5000) + &")".repeat(5000);
    assert!(is_balanced(&text));
    assert!(!is_balanced(&text[1..]));
}
