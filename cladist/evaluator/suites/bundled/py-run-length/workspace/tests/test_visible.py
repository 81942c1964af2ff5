from rle import decode, encode


def test_encode_example():
    assert encode("WWWWBWWW") == "4WB3W"


def test_decode_example():
    assert decode("4WB3W") == "WWWWBWWW"
