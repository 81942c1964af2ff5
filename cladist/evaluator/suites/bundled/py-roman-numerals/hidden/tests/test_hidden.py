import pytest

from roman import from_roman, to_roman

CASES = {1: "I", 4: "IV", 9: "IX", 14: "XIV", 40: "XL", 90: "XC", 400: "CD", 444: "CDXLIV",
         1994: "MCMXCIV", 2024: "MMXXIV", 3999: "MMMCMXCIX", 8: "VIII", 3: "III"}


def test_to_roman():
    for number, text in CASES.items():
        assert to_roman(number) == text


def test_from_roman():
    for number, text in CASES.items():
        assert from_roman(text) == number


def test_round_trip_all():
    for number in range(1, 4000):
        assert from_roman(to_roman(number)) == number


@pytest.mark.parametrize("bad", [0, -1, 4000])
def test_to_roman_out_of_range(bad):
    with pytest.raises(ValueError):
        to_roman(bad)


@pytest.mark.parametrize("bad", ["", "IIII", "IC", "VV", "ABC", "xiv", "MMMM", "IIV"])
def test_from_roman_rejects(bad):
    with pytest.raises(ValueError):
        from_roman(bad)
