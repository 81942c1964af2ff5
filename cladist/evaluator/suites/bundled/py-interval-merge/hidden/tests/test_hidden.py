from intervals import merge_intervals


def test_unsorted_overlap():
    assert merge_intervals([(5, 8), (1, 3), (2, 6)]) == [(1, 8)]


def test_touching():
    assert merge_intervals([(1, 3), (3, 5)]) == [(1, 5)]


def test_contained_and_points():
    assert merge_intervals([(1, 10), (2, 3), (12, 12), (11, 11)]) == [(1, 10), (11, 11),
                                                                       (12, 12)]


def test_empty_and_input_unchanged():
    assert merge_intervals([]) == []
    data = [(4, 5), (1, 2)]
    assert merge_intervals(data) == [(1, 2), (4, 5)]
    assert data == [(4, 5), (1, 2)]
