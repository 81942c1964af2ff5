import pytest

from tabular import read_rows, render, summarize
from tabular.reader import CSVFormatError

SIMPLE = "region,amount\nNorth,10\nSouth, 2.5\nNorth,-1\n\n"


def test_read_rows():
    assert read_rows(SIMPLE)[1] == {"region": "South", "amount": "2.5"}


def test_summarize_simple():
    assert summarize(SIMPLE, "region", "amount") == {"North": 9.0, "South": 2.5}


def test_wrong_field_count():
    with pytest.raises(CSVFormatError, match="line 3"):
        read_rows("a,b\n1,2\n3\n")


def test_render():
    assert render({"North": 1234.5, "S": 1.0}) == (
        "          total\n"
        "North  1,234.50\n"
        "S          1.00\n"
        "TOTAL  1,235.50")
