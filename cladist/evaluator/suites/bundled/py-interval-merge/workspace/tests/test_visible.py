from intervals import merge_intervals


def test_disjoint_sorted():
    assert merge_intervals([(1, 2), (4, 6)]) == [(1, 2), (4, 6)]
