import pytest

from calc import evaluate


@pytest.mark.parametrize("text, value", [
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("10 - 4 - 3", 3), ("2 ^ 3 ^ 2", 512),
    ("-2 ^ 2", -4), ("(-2) ^ 2", 4), ("--3", 3), ("+4 - -1", 5), (" 7 ", 7),
    ("2*(3+(4-1))*2", 24), ("100 / 8", 12.5), ("6 / 3", 2.0), ("2 ^ -1", 0.5),
    (".5 + 1.25", 1.75), ("3 - 2 * -2", 7), ("(((1)))", 1),
])
def test_values(text, value):
    assert evaluate(text) == pytest.approx(value)


def test_types():
    assert type(evaluate("2 ^ 10 - 3 * 4")) is int
    assert type(evaluate("6 / 3")) is float
    assert type(evaluate("1.0 + 1")) is float


@pytest.mark.parametrize("bad", ["", "   ", "1 +", "* 2", "(1 + 2", "1 + 2)", "1 2",
                                 "2 $ 3", "4 / 0", "4 / (2 - 2)", "()"])
def test_errors(bad):
    with pytest.raises(ValueError):
        evaluate(bad)
