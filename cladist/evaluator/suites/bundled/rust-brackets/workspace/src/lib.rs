//! Bracket matching.

/// Whether the brackets of `text` are balanced and properly nested.
pub fn is_balanced(text: &str) -> bool {
    let _ = text;
    unimplemented!("is_balanced")
}
