"""``cladist plot``: three figures of a run, as PNG and SVG, written into ``<run>/plots/``.

- ``progress``: best-belief score and archive mean over scored evaluations;
- ``tree``: the lineage tree, nodes coloured by own score (grey: not evaluated; red cross:
  invalid), the best-belief agent starred;
- ``costs``: cumulative dollars (or tokens) by purpose over time.

SVGs keep their text as ``<text>`` and tag each data series with an ``id`` (``best-belief``,
``archive-mean``, ``cost-<purpose>``, ``tree-nodes``), so the viewer and tests can read
them. matplotlib is imported lazily, with the non-interactive Agg backend.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from cladist.archive.blobs import write_atomic
from cladist.archive.run import Run
from cladist.errors import UsageError
from cladist.view.plot_data import cost_series, progress_series, tree_layout

PLOTS = ("progress", "tree", "costs")
FORMATS = ("png", "svg")


def write_plots(run: Run, out_dir: Path | None = None,
                formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """Draw every plot of :data:`PLOTS` in each format into ``out_dir`` (default
    ``<run>/plots``); returns the files written. Raises UsageError for an unknown format
    or without matplotlib, OSError when the folder cannot be written."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise UsageError(f"plot format {sorted(unknown)[0]!r}: use {' or '.join(FORMATS)}")
    plt = pyplot()
    out = Path(out_dir) if out_dir is not None else run.path / "plots"
    written = []
    for name, draw in (("progress", _progress), ("tree", _tree), ("costs", _costs)):
        written += save_figure(plt, draw(plt, run), out / name, formats)
    return written


def save_figure(plt: Any, fig: Any, stem: Path, formats: tuple[str, ...] = FORMATS
                ) -> list[Path]:
    """Write ``fig`` as ``stem.<format>`` for each format (atomically), then close it;
    returns the files. Raises OSError when the folder cannot be written."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        for fmt in formats:
            buffer = io.BytesIO()
            fig.savefig(buffer, format=fmt, dpi=110, metadata=_metadata(fmt))
            write_atomic(stem.with_name(f"{stem.name}.{fmt}"), buffer.getvalue())
            written.append(stem.with_name(f"{stem.name}.{fmt}"))
    finally:
        plt.close(fig)
    return written


def pyplot() -> Any:
    """matplotlib's pyplot with the Agg backend and text kept as text in SVGs. Raises
    UsageError without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        raise UsageError("plots need matplotlib: run 'scripts/setup --view' (or pip install "
                         "'cladist[view]')") from None

    matplotlib.use("Agg", force=True)
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text
    matplotlib.rcParams["svg.hashsalt"] = "cladist"  # stable ids between runs
    import matplotlib.pyplot as plt

    return plt


def _metadata(fmt: str) -> dict[str, Any]:
    return {"Date": None} if fmt == "svg" else {}


def _progress(plt: Any, run: Run) -> Any:
    series = progress_series(run)
    fig, ax = plt.subplots(figsize=(7, 4))
    if series.evaluations:
        (best,) = ax.plot(series.evaluations, series.best_belief_score, marker=".",
                          drawstyle="steps-post", label="best-belief agent (own score)")
        best.set_gid("best-belief")
        (mean,) = ax.plot(series.evaluations, series.archive_mean, marker=".",
                          label="archive mean", alpha=0.8)
        mean.set_gid("archive-mean")
        ax.legend(loc="lower right")
    else:
        ax.text(0.5, 0.5, "no scored evaluation yet", ha="center", transform=ax.transAxes)
    ax.set_xlabel("scored evaluations")
    ax.set_ylabel("pass rate")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"{run.id}: progress")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _tree(plt: Any, run: Run) -> Any:
    layout = tree_layout(run)
    width = min(40.0, max(6.0, 0.35 * (max(layout.x.values(), default=0) + 1)))
    height = min(30.0, max(3.0, 0.8 * (1 - min(layout.y.values(), default=0))))
    fig, ax = plt.subplots(figsize=(width, height))
    for parent, child in layout.edges:
        ax.plot([layout.x[parent], layout.x[child]], [layout.y[parent], layout.y[child]],
                color="#999999", linewidth=0.8, zorder=1)
    ids = sorted(layout.x)
    scored = [i for i in ids if layout.score[i] is not None]
    unscored = [i for i in ids if layout.score[i] is None and layout.status[i] != "invalid"]
    invalid = [i for i in ids if layout.status[i] == "invalid"]
    points = ax.scatter([layout.x[i] for i in scored], [layout.y[i] for i in scored],
                        c=[layout.score[i] for i in scored], cmap="viridis", vmin=0, vmax=1,
                        s=60, zorder=3, edgecolors="black", linewidths=0.5)
    points.set_gid("tree-nodes")
    ax.scatter([layout.x[i] for i in unscored], [layout.y[i] for i in unscored],
               color="#cccccc", s=40, zorder=2, edgecolors="black", linewidths=0.5)
    ax.scatter([layout.x[i] for i in invalid], [layout.y[i] for i in invalid], color="red",
               marker="x", s=40, zorder=2)
    if layout.best is not None:
        ax.scatter([layout.x[layout.best]], [layout.y[layout.best]], marker="*", s=260,
                   color="magenta", zorder=4, label=f"best-belief: node {layout.best}")
        ax.legend(loc="upper right")
    if len(ids) <= 200:
        for i in ids:
            ax.annotate(str(i), (layout.x[i], layout.y[i]), textcoords="offset points",
                        xytext=(0, 7), ha="center", fontsize=7)
    fig.colorbar(points, ax=ax, label="own pass rate", shrink=0.8)
    ax.set_xticks([])
    ax.set_ylabel("depth")
    ax.set_yticks(sorted(set(layout.y.values())))
    ax.set_yticklabels([str(int(-d)) for d in sorted(set(layout.y.values()))])
    ax.set_title(f"{run.id}: lineage tree ({len(ids)} nodes)")
    fig.tight_layout()
    return fig


def _costs(plt: Any, run: Run) -> Any:
    series = cost_series(run)
    fig, ax = plt.subplots(figsize=(7, 4))
    for purpose, points in sorted(series.points.items()):
        (line,) = ax.plot([p[0] for p in points], [p[1] for p in points],
                          drawstyle="steps-post", label=purpose)
        line.set_gid(f"cost-{purpose}")
    if series.points:
        ax.legend(loc="upper left")
    else:
        ax.text(0.5, 0.5, "no LLM call recorded yet", ha="center", transform=ax.transAxes)
    ax.set_xlabel("minutes since the run started")
    ax.set_ylabel(f"cumulative {series.unit}")
    ax.set_title(f"{run.id}: spending by purpose")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
