from hello import greet


def test_ada():
    assert greet("Ada") == "Hello, Ada!"


def test_world():
    assert greet("World") == "Hello, World!"
