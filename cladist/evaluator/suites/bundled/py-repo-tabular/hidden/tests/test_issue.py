import pytest

from tabular import read_rows, summarize
from tabular.numbers import parse_number
from tabular.reader import CSVFormatError

EXPORT = ('region,customer,amount\n'
          '"North, East","Smith, John","1,200.50"\n'
          'South,"Dana ""DJ"" Lee",300\n'
          '"North, East",Ann,"2,000"\n')


def test_quoted_fields():
    rows = read_rows(EXPORT)
    assert rows[0] == {"region": "North, East", "customer": "Smith, John",
                       "amount": "1,200.50"}
    assert rows[1]["customer"] == 'Dana "DJ" Lee'


def test_summarize_export():
    assert summarize(EXPORT, "region", "amount") == {"North, East": 3200.5, "South": 300.0}


def test_empty_quoted_field_and_spaces():
    rows = read_rows('a,b,c\n"",  x  ," y "\n')
    assert rows == [{"a": "", "b": "x", "c": " y "}]


def test_thousands():
    assert parse_number("1,200.50") == 1200.5
    assert parse_number("-12,345,678") == -12345678.0
    assert parse_number(" 42 ") == 42.0
    for bad in ["12,34", "1,,000", "abc", "", "1.2.3"]:
        with pytest.raises(ValueError):
            parse_number(bad)


def test_unquoted_still_checked():
    with pytest.raises(CSVFormatError, match="line 2"):
        read_rows('a,b\n"x,y"\n')
