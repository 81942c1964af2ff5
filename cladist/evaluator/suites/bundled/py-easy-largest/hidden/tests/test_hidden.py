from listutil import largest


def test_basic():
    assert largest([3, 9, 2]) == 9


def test_single():
    assert largest([4]) == 4


def test_negative():
    assert largest([-5, -1, -7]) == -1
