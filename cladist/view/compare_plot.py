"""The figure of ``cladist compare``: each agent's pass rate with its 95% interval, and each
pair's paired difference with its interval (zero marked), as ``compare.png``/``.svg``.

SVG ids: ``pass-rate-<i>`` (the bar of the i-th agent) and ``differences`` (the points of
the pairs), so tests and the viewer can read them.
"""

from __future__ import annotations

from pathlib import Path

from cladist.evaluator.compare import CompareReport
from cladist.view.plots import FORMATS, pyplot, save_figure


def write_compare_plot(report: CompareReport, folder: Path,
                       formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """Draw the report into ``folder/compare.<format>``; returns the files. Raises
    UsageError without matplotlib, OSError when the folder cannot be written."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 1.2 + 0.5 * max(
        len(report.agents), len(report.pairs))))
    names = [a.label for a in report.agents]
    values = [a.pass_rate.value for a in report.agents]
    errors = [[v - a.pass_rate.low for v, a in zip(values, report.agents, strict=True)],
              [a.pass_rate.high - v for v, a in zip(values, report.agents, strict=True)]]
    bars = left.barh(names, values, xerr=errors, color="#60a5fa", capsize=4)
    for i, bar in enumerate(bars):
        bar.set_gid(f"pass-rate-{i}")
    left.set_xlim(0, 1)
    left.invert_yaxis()
    left.set_xlabel(f"pass rate ({report.repeats} repeats x {len(report.tasks)} tasks, 95%)")
    pairs = [f"{p.a} - {p.b}" for p in report.pairs]
    diffs = [p.difference.value for p in report.pairs]
    spread = [[d - p.difference.low for d, p in zip(diffs, report.pairs, strict=True)],
              [p.difference.high - d for d, p in zip(diffs, report.pairs, strict=True)]]
    points = right.errorbar(diffs, pairs, xerr=spread, fmt="o", color="#1f2937", capsize=4)
    points.lines[0].set_gid("differences")
    right.axvline(0, color="#9ca3af", linewidth=1)
    right.set_xlim(-1, 1)
    right.invert_yaxis()
    right.set_xlabel("paired difference of pass rates (95%)")
    fig.tight_layout()
    return save_figure(plt, fig, Path(folder) / "compare", formats)
