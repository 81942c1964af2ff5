"""tabular: tiny CSV reports (group rows by a column and total another)."""

from tabular.aggregate import group_totals
from tabular.reader import read_rows
from tabular.report import render


def summarize(csv_text, key, value):
    """{key value: total of the value column} for the CSV text (header on the first line)."""
    return group_totals(read_rows(csv_text), key, value)


__all__ = ["group_totals", "read_rows", "render", "summarize"]
