"""The figure of ``cladist compare`` drawn from a hand-made report: one bar per agent, the
pairs' differences, readable ids in the SVG, and no layout warning."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from cladist.evaluator.compare import CompareReport
from cladist.evaluator.stats import agent_score, pair_score
from cladist.view.compare_plot import write_compare_plot

pytest.importorskip("matplotlib", reason="the figure needs matplotlib (cladist[plots])")


def test_the_figure_has_a_bar_per_agent_and_the_differences(tmp_path: Path) -> None:
    better = {"a": [True, True], "b": [True, False], "c": [False, False]}
    worse = {"a": [True, False], "b": [False, False], "c": [False, False]}
    labels = ["/work/selfimp/runs/20261206-125833-selfimp-hgm:best",
              "/work/selfimp/runs/20261206-125833-selfimp-hgm:0"]
    report = CompareReport("r", ("a", "b", "c"), 0, 2,
                           (agent_score(labels[0], better), agent_score(labels[1], worse)),
                           (pair_score(labels[0], better, labels[1], worse),))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        files = write_compare_plot(report, tmp_path)
    assert sorted(f.name for f in files) == ["compare.png", "compare.svg"]
    svg = (tmp_path / "compare.svg").read_text()
    assert 'id="pass-rate-0"' in svg and 'id="pass-rate-1"' in svg
    assert 'id="pass-rate-2"' not in svg and 'id="differences"' in svg
