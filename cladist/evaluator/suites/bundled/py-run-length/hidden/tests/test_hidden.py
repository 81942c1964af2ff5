import pytest

from rle import decode, encode


def test_encode_cases():
    assert encode("") == ""
    assert encode("abc") == "abc"
    assert encode("aabbbc") == "2a3bc"
    assert encode("  !!") == "2 2!"
    assert encode("x" * 12) == "12x"


def test_decode_cases():
    assert decode("") == ""
    assert decode("12Ab2c") == "A" * 12 + "bcc"
    assert decode("2 hs2q q2w2 ") == "  hsqq qww  "


def test_round_trip():
    for text in ["zzz ZZ  zZ", "aAaA", "hello   world!!!", "q"]:
        assert decode(encode(text)) == text


def test_trailing_count_is_an_error():
    with pytest.raises(ValueError):
        decode("3a4")
