from geometry import rectangle_area


def test_small():
    assert rectangle_area(3, 4) == 12


def test_square():
    assert rectangle_area(5, 5) == 25


def test_zero():
    assert rectangle_area(0, 9) == 0


def test_float():
    assert rectangle_area(2.5, 2) == 5.0
