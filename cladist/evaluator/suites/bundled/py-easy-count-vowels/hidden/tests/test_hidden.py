from vowels import count_vowels


def test_cup():
    assert count_vowels("cup") == 1


def test_sentence():
    assert count_vowels("Quiet Mouse") == 6


def test_none():
    assert count_vowels("rhythm") == 0
