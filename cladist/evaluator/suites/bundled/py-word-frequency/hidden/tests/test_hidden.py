import pytest

from wordfreq import top_words


def test_example():
    assert top_words("the cat and the hat", 2) == [("the", 2), ("and", 1)]


def test_case_and_punctuation():
    text = "Go, go! GO? stop... Stop; wait"
    assert top_words(text, 3) == [("go", 3), ("stop", 2), ("wait", 1)]


def test_apostrophes():
    text = "'Tis the dogs' bone, don't don't ''' it's"
    assert top_words(text, 10) == [("don't", 2), ("bone", 1), ("dogs", 1), ("it's", 1),
                                   ("the", 1), ("tis", 1)]


def test_digits_split_words_and_small_k():
    assert top_words("abc123abc x9x", 5) == [("abc", 2), ("x", 2)]
    assert top_words("a b c", 0) == []
    assert top_words("", 3) == []


def test_negative_k():
    with pytest.raises(ValueError):
        top_words("a", -1)
