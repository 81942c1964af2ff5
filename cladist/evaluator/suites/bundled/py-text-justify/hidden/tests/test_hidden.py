import pytest

from justify import justify


def test_example():
    assert justify("This is an example of text justification.", 16) == [
        "This    is    an", "example  of text", "justification.  "]


def test_uneven_gaps_go_left():
    assert justify("a b c d e", 8) == ["a  b c d", "e       "]


def test_single_word_line_and_whitespace():
    assert justify("  short\n\tverylongword   x ", 12) == [
        "short       ", "verylongword", "x           "]


def test_exact_fit_and_last_line():
    assert justify("abc def", 7) == ["abc def"]
    assert justify("what must be shall be", 12) == ["what must be", "shall be    "]


def test_all_lines_have_width():
    text = "the quick brown fox jumps over the lazy dog " * 5
    for width in range(5, 30):
        lines = justify(text, width)
        assert all(len(line) == width for line in lines)
        assert " ".join(" ".join(lines).split()) == " ".join(text.split())


def test_errors_and_empty():
    assert justify("   ", 10) == []
    with pytest.raises(ValueError):
        justify("abcdef", 5)
    with pytest.raises(ValueError):
        justify("a", 0)
