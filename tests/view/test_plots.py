"""``cladist plot``: the series behind the figures (hand-built archives), and the figures of a
real run, read back from their SVG (points per series, axis labels) and PNG headers."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from cladist.archive.lineage import best_belief
from cladist.archive.records import NewLlmCall, NewResult, NodeStatus, Verdict
from cladist.archive.run import Run
from cladist.config import load_config
from cladist.errors import UsageError
from cladist.view.plot_data import cost_series, progress_series, tree_layout
from cladist.view.plots import write_plots

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    cfg = load_config([f"run.runs_dir={tmp_path / 'runs'}", "archive.sqlite_synchronous=NORMAL"])
    with Run.create(cfg) as created:
        yield created


def _results(run: Run, node: int, verdicts: str, start: int = 0) -> None:
    run.store.record_results([NewResult(node, f"t{start + i}", Verdict.PASS if v == "p"
                                        else Verdict.FAIL) for i, v in enumerate(verdicts)])


def test_tree_layout_centres_parents_over_their_leaves(run: Run) -> None:
    sha = run.node_commit(0)
    a = run.store.add_node(0, sha, status=NodeStatus.VALID)
    b = run.store.add_node(0, sha, status=NodeStatus.INVALID, reason="broken")
    c = run.store.add_node(a, sha, status=NodeStatus.VALID)
    d = run.store.add_node(a, sha, status=NodeStatus.VALID)
    layout = tree_layout(run)
    assert (layout.x[c], layout.x[d], layout.x[b]) == (0.0, 1.0, 2.0)
    assert layout.x[a] == 0.5 and layout.x[0] == 1.25
    assert layout.y == {0: 0.0, a: -1.0, b: -1.0, c: -2.0, d: -2.0}
    assert sorted(layout.edges) == [(0, a), (0, b), (a, c), (a, d)]
    assert layout.status[b] == "invalid" and layout.score[0] is None


def test_progress_follows_the_best_belief_pick(run: Run) -> None:
    child = run.store.add_node(0, run.node_commit(0), status=NodeStatus.VALID)
    _results(run, 0, "ff")
    _results(run, child, "ppp", start=10)
    _results(run, 0, "p", start=20)
    series = progress_series(run)
    assert series.evaluations == [1, 2, 3, 4, 5, 6]
    # after 3: child 1/1 beats root 0/2; the root's late pass leaves the child ahead
    assert series.best_belief_node == [0, 0, child, child, child, child]
    assert series.best_belief_score == [0.0, 0.0, 1.0, 1.0, 1.0, 1.0]
    assert series.archive_mean[2] == pytest.approx(0.5)
    assert series.archive_mean[-1] == pytest.approx((1 / 3 + 1.0) / 2)
    assert series.best_belief_node[-1] == best_belief(run.store)


def test_progress_is_sampled_to_at_most_max_points(run: Run) -> None:
    _results(run, 0, "pf" * 50)
    series = progress_series(run, max_points=7)
    assert len(series.evaluations) <= 8 and series.evaluations[-1] == 100
    assert series.archive_mean[-1] == pytest.approx(0.5)


def test_costs_accumulate_per_purpose_and_fall_back_to_tokens(run: Run) -> None:
    for purpose, tokens in (("diagnosis", 10), ("evaluation", 5), ("evaluation", 7)):
        run.store.record_llm_call(NewLlmCall("s", purpose, "local", "m", tokens_in=tokens))
    series = cost_series(run)
    assert series.unit == "tokens"
    assert series.points["evaluation"][-1][1] == 12 and series.points["diagnosis"][-1][1] == 10
    run.store.record_llm_call(NewLlmCall("s", "self-edit", "openai", "m", cost_usd=0.25))
    assert cost_series(run).unit == "USD"
    assert cost_series(run).points["self-edit"][-1][1] == 0.25


def test_an_unknown_format_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="plot format 'pdf'"):
        write_plots(run, tmp_path / "p", ("pdf",))


def _group(svg: Path, gid: str) -> ET.Element:
    found = ET.parse(svg).getroot().find(f".//{SVG}g[@id='{gid}']")
    assert found is not None, f"{svg.name} has no series {gid}"
    return found


def _markers(group: ET.Element) -> list[tuple[float, float]]:
    return [(float(u.get("x", 0)), float(u.get("y", 0))) for u in group.iter(f"{SVG}use")]


def _texts(svg: Path) -> set[str]:
    return {"".join(t.itertext()).strip() for t in ET.parse(svg).getroot().iter(f"{SVG}text")}


@pytest.mark.docker
def test_plots_of_a_real_run(evolved_run: Path, tmp_path: Path) -> None:
    path = tmp_path / "run"
    shutil.copytree(evolved_run, path)
    done = subprocess.run([sys.executable, "-m", "cladist", "plot", str(path)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    plots = path / "plots"
    assert sorted(p.name for p in plots.iterdir()) == sorted(
        f"{n}.{f}" for n in ("progress", "tree", "costs") for f in ("png", "svg"))
    with Run.open(path) as run:
        series = progress_series(run)
        scored = [r for r in run.store.results() if r.verdict != Verdict.INFRA_ERROR]
        nodes = run.store.nodes()
        costs = cost_series(run)
    # progress: one marker per scored evaluation in each series; y follows the values
    assert len(scored) == 6 and series.evaluations == list(range(1, 7))
    best = _markers(_group(plots / "progress.svg", "best-belief"))
    mean = _markers(_group(plots / "progress.svg", "archive-mean"))
    assert len(best) == len(mean) == 6
    by_value = {v: y for v, (_, y) in zip(series.best_belief_score, best, strict=True)}
    assert len(by_value) == len(set(series.best_belief_score))  # same value, same height
    assert series.best_belief_score[0] == 0.0 and series.best_belief_score[-1] == 1.0
    assert by_value[1.0] < by_value[0.0]  # SVG y grows downwards
    assert {"scored evaluations", "pass rate"} <= _texts(plots / "progress.svg")
    # tree: one coloured marker per evaluated node, every node labelled
    evaluated = [n for n in nodes if n.evaluations]
    assert len(_markers(_group(plots / "tree.svg", "tree-nodes"))) == len(evaluated)
    assert {str(n.id) for n in nodes} <= _texts(plots / "tree.svg")
    # costs: one line per purpose the run paid for, in dollars
    assert costs.unit == "USD"
    assert set(costs.points) == {"diagnosis", "self-edit", "evaluation"}
    for purpose in costs.points:
        _group(plots / "costs.svg", f"cost-{purpose}")
    assert {"minutes since the run started", "cumulative USD"} <= _texts(plots / "costs.svg")
    for name in ("progress", "tree", "costs"):
        head = (plots / f"{name}.png").read_bytes()[:24]
        width, height = struct.unpack(">II", head[16:24])
        assert head[:8] == b"\x89PNG\r\n\x1a\n" and width > 300 and height > 200
