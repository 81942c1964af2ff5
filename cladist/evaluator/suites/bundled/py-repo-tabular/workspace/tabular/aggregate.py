"""Grouping and totals."""

from tabular.numbers import parse_number


def group_totals(rows, key, value):
    """{row[key]: sum of parse_number(row[value])}, keys in order of first appearance."""
    totals = {}
    for row in rows:
        group = row[key]
        totals[group] = totals.get(group, 0.0) + parse_number(row[value])
    return totals
