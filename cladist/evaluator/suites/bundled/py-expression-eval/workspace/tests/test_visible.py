from calc import evaluate


def test_simple():
    assert evaluate("1 + 2 * 3") == 7
