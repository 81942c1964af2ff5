from mathutil import factorial


def test_zero_and_one():
    assert factorial(0) == 1
    assert factorial(1) == 1


def test_five():
    assert factorial(5) == 120


def test_ten():
    assert factorial(10) == 3628800
