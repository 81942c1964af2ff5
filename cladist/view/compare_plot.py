"""The figure of ``cladist compare``: each agent's pass rate with its 95% interval, and each
pair's paired difference with its interval (zero marked), as ``compare.png``/``.svg``.

SVG ids: ``pass-rate-<i>`` (the bar of the i-th agent) and ``differences`` (the points of
the pairs), so tests and the viewer can read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from cladist.view.plots import FORMATS, pyplot, save_figure


class Estimate(Protocol):
    """A value with its interval."""

    @property
    def value(self) -> float: ...  # noqa: D102
    @property
    def low(self) -> float: ...  # noqa: D102
    @property
    def high(self) -> float: ...  # noqa: D102


class AgentRate(Protocol):
    """An agent's pass rate (:class:`cladist.evaluator.stats.AgentScore` is one)."""

    @property
    def label(self) -> str: ...  # noqa: D102
    @property
    def pass_rate(self) -> Estimate: ...  # noqa: D102


class PairDifference(Protocol):
    """Agent ``a`` minus agent ``b`` (:class:`cladist.evaluator.stats.PairScore` is one)."""

    @property
    def a(self) -> str: ...  # noqa: D102
    @property
    def b(self) -> str: ...  # noqa: D102
    @property
    def difference(self) -> Estimate: ...  # noqa: D102


class Comparison(Protocol):
    """What the figure draws (:class:`cladist.evaluator.compare.CompareReport` is one)."""

    @property
    def tasks(self) -> Sequence[str]: ...  # noqa: D102
    @property
    def repeats(self) -> int: ...  # noqa: D102
    @property
    def agents(self) -> Sequence[AgentRate]: ...  # noqa: D102
    @property
    def pairs(self) -> Sequence[PairDifference]: ...  # noqa: D102


def write_compare_plot(report: Comparison, folder: Path,
                       formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """Draw the report into ``folder/compare.<format>``; returns the files. Raises
    UsageError without matplotlib, OSError when the folder cannot be written."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, layout="constrained", figsize=(11, 1.6 + 0.9 * max(
        len(report.agents), len(report.pairs))))
    names = [short_label(a.label) for a in report.agents]
    values = [a.pass_rate.value for a in report.agents]
    errors = [[v - a.pass_rate.low for v, a in zip(values, report.agents, strict=True)],
              [a.pass_rate.high - v for v, a in zip(values, report.agents, strict=True)]]
    bars = left.barh(names, values, xerr=errors, color="#60a5fa", capsize=4)
    for i, bar in enumerate(bars):
        bar.set_gid(f"pass-rate-{i}")
    left.set_xlim(0, 1)
    left.invert_yaxis()
    left.set_xlabel(f"pass rate ({report.repeats} repeats x {len(report.tasks)} tasks, 95%)")
    pairs = [f"{short_label(p.a)}\n- {short_label(p.b)}" for p in report.pairs]
    diffs = [p.difference.value for p in report.pairs]
    spread = [[d - p.difference.low for d, p in zip(diffs, report.pairs, strict=True)],
              [p.difference.high - d for d, p in zip(diffs, report.pairs, strict=True)]]
    points = right.errorbar(diffs, pairs, xerr=spread, fmt="o", color="#1f2937", capsize=4)
    points.lines[0].set_gid("differences")
    right.axvline(0, color="#9ca3af", linewidth=1)
    right.set_xlim(-1, 1)
    right.invert_yaxis()
    right.set_xlabel("paired difference of pass rates (95%)")
    return save_figure(plt, fig, Path(folder) / "compare", formats)


def short_label(label: str, width: int = 26) -> str:
    """An agent's label for the figure: a ``RUN:NODE`` whose run is a path keeps the run
    folder's name only, and a long label is wrapped (``width`` characters a line)."""
    import textwrap

    run, colon, node = label.rpartition(":")
    if colon and "/" in run:
        label = f"{Path(run).name}:{node}"
    return "\n".join(textwrap.wrap(label, width, break_on_hyphens=True)) or label
