"""The web viewer in headless Chromium against a real run: the tree draws every node,
clicking a node opens its page with its diff and results, the compare view, the overview
with the plots of ``cladist plot``, the live refresh while the archive grows, and the
static HTML export opened from a file:// URL. Screenshots go to the test artifacts."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Server, copy_run, wait_ready  # tests/view/conftest.py

from cladist.archive.lineage import best_belief
from cladist.archive.records import NodeStatus
from cladist.archive.run import Run

pytestmark = [pytest.mark.browser, pytest.mark.docker]


@pytest.fixture(scope="module")
def archive(web_run: Path) -> Iterator[Run]:
    with Run.open(web_run, read_only=True) as run:
        yield run


def _improved_child(archive: Run) -> Any:
    """The seed's validated, evaluated child: it has a diff and results."""
    return next(n for n in archive.store.nodes()
                if n.parent_id == 0 and n.status == NodeStatus.VALID and n.evaluations)


def test_tree_draws_every_node(page: Any, server: Server, archive: Run,
                               artifacts: Path) -> None:
    page.goto(server.url)
    wait_ready(page)
    nodes = archive.store.nodes()
    drawn = page.locator("#tree-svg g.node")
    assert drawn.count() == len(nodes)
    assert sorted(int(i) for i in drawn.evaluate_all("els => els.map(e => e.dataset.id)")) == [
        n.id for n in nodes]
    for n in nodes:  # status class per node
        assert page.locator(f'#tree-svg g.node.st-{n.status}[data-id="{n.id}"]').count() == 1
    best = best_belief(archive.store)
    assert page.locator(f'#tree-svg g.node[data-id="{best}"] circle.best-ring').count() == 1
    assert page.locator("#node-count").inner_text() == f"{len(nodes)} nodes"
    page.screenshot(path=str(artifacts / "tree.png"))


def test_clicking_a_node_opens_its_page_with_diff_and_results(
        page: Any, server: Server, archive: Run, artifacts: Path) -> None:
    child = _improved_child(archive)
    page.goto(server.url)
    wait_ready(page)
    page.locator(f'#tree-svg g.node[data-id="{child.id}"] circle.dot').click()
    page.wait_for_url(re.compile(rf"#/node/{child.id}$"))
    wait_ready(page)
    assert page.locator("#page-node").get_attribute("data-node") == str(child.id)
    lineage = page.locator("#lineage a").all_inner_texts()
    assert [t.split(" ")[0] for t in lineage] == ["0", str(child.id)]
    # the diff against the parent, coloured
    diff = page.locator("#node-diff")
    assert diff.locator('.file[data-file="agent/prompts.py"]').count() == 1
    assert "[cladist-skill: solve]" in diff.locator(".ln.add").first.inner_text()
    assert diff.locator(".hl-k, .hl-s").count() > 0
    # the diagnosis and problem statement that produced it
    origin = next(e for e in archive.store.expansions(0) if e.child_id == child.id)
    assert page.locator("#problem-statement").inner_text() == origin.problem_statement
    # per-task results, with test output and trajectory opened from their blobs
    results = archive.store.results(child.id)
    rows = page.locator("#results tr.result")
    assert rows.count() == len(results)
    first = rows.first
    first.locator("details[data-key$='-test'] summary").click()
    expected = archive.blobs.get_text(results[0].test_output_ref or "").strip()
    first.locator("details[data-key$='-test'] pre").wait_for()
    assert first.locator("details[data-key$='-test'] pre").inner_text().strip() == expected
    first.locator("details[data-key$='-traj'] summary").click()
    first.locator("details[data-key$='-traj'] .steps .step").first.wait_for()
    assert first.locator("details[data-key$='-traj'] .tool").count() >= 1
    page.screenshot(path=str(artifacts / "node.png"), full_page=True)


def test_compare_two_nodes_picked_in_the_tree(page: Any, server: Server, archive: Run,
                                              artifacts: Path) -> None:
    child = _improved_child(archive)
    page.goto(server.url)
    wait_ready(page)
    page.locator('#tree-svg g.node[data-id="0"] circle.dot').click(modifiers=["Shift"])
    page.locator(f'#tree-svg g.node[data-id="{child.id}"] circle.dot').click(modifiers=["Shift"])
    page.locator("#compare-selected").click()
    page.wait_for_url(re.compile(rf"#/compare/0/{child.id}$"))
    wait_ready(page)
    tasks = sorted({r.task_id for r in archive.store.results(0)}
                   | {r.task_id for r in archive.store.results(child.id)})
    rows = page.locator("#page-compare tbody tr")
    assert rows.count() == len(tasks)
    assert page.locator("#page-compare tbody tr.differs").count() == len(tasks)  # 0/1 vs 1/1
    assert page.locator('#compare-diff .file[data-file="agent/prompts.py"]').count() == 1
    page.screenshot(path=str(artifacts / "compare.png"), full_page=True)


def test_overview_shows_budget_progress_costs_and_asks_for_plots(
        page: Any, server: Server, archive: Run, artifacts: Path) -> None:
    page.goto(server.url + "#/overview")
    wait_ready(page)
    used = archive.store.totals()["evaluations"]
    limit = archive.config.budget.task_evaluations
    assert page.locator('[data-budget="task_evaluations"] .v').inner_text() == (
        f"{used} of {limit}")
    assert page.locator("#progress-curve path.best").count() == 1
    assert page.locator("#best a").inner_text() == f"node {best_belief(archive.store)}"
    assert f"cladist plot {archive.id}" in page.locator("#no-plots").inner_text()
    page.screenshot(path=str(artifacts / "overview.png"), full_page=True)


def test_overview_shows_the_plots_of_cladist_plot(
        page: Any, evolved_run: Path, tmp_path: Path,
        start_server: Callable[[Path], Server], artifacts: Path) -> None:
    pytest.importorskip("matplotlib")
    plotted = copy_run(evolved_run, tmp_path)
    done = subprocess.run([sys.executable, "-m", "cladist", "plot", str(plotted)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    page.goto(start_server(plotted).url + "#/overview")
    wait_ready(page)
    for name in ("progress", "tree", "costs"):
        image = page.locator(f'img[data-plot="{name}"]')
        image.wait_for()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                               arg=image.element_handle())
    page.screenshot(path=str(artifacts / "overview-plots.png"), full_page=True)
    # the static export carries them inside the file
    out = tmp_path / "plotted.html"
    done = subprocess.run([sys.executable, "-m", "cladist", "view", str(plotted), "--static",
                           str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    page.goto(out.as_uri() + "#/overview")
    wait_ready(page)
    image = page.locator('img[data-plot="progress"]')
    assert (image.get_attribute("src") or "").startswith("data:image/svg+xml;base64,")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=image.element_handle())


def test_the_page_follows_a_run_that_is_still_writing(
        page: Any, evolved_run: Path, tmp_path: Path,
        start_server: Callable[[Path], Server]) -> None:
    live = copy_run(evolved_run, tmp_path)
    viewer = start_server(live)
    page.goto(viewer.url)
    wait_ready(page)
    before = page.locator("#tree-svg g.node").count()
    with Run.open(live) as run:  # a writer beside the viewer, as a running loop is
        new = run.store.add_node(0, run.node_commit(0), status=NodeStatus.PENDING,
                                 summary="added while the viewer watched")
    page.wait_for_selector(f'#tree-svg g.node.st-pending[data-id="{new}"]', timeout=15_000)
    assert page.locator("#tree-svg g.node").count() == before + 1
    assert page.locator("#run-id").inner_text().endswith(f" · {before + 1} nodes")


def test_static_html_opens_from_a_file_url_with_the_same_tree(
        page: Any, web_run: Path, archive: Run, tmp_path: Path, artifacts: Path) -> None:
    out = tmp_path / "run.html"
    done = subprocess.run([sys.executable, "-m", "cladist", "view", str(web_run),
                           "--static", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    remote: list[str] = []
    page.on("request", lambda r: remote.append(r.url)
            if not r.url.startswith(("file:", "data:")) else None)
    page.goto(out.as_uri())
    wait_ready(page)
    nodes = archive.store.nodes()
    assert page.locator("#tree-svg g.node").count() == len(nodes)
    page.screenshot(path=str(artifacts / "static-tree.png"))
    child = _improved_child(archive)
    page.locator(f'#tree-svg g.node[data-id="{child.id}"] circle.dot').click()
    page.wait_for_url(re.compile(rf"#/node/{child.id}$"))
    wait_ready(page)
    assert page.locator('#node-diff .file[data-file="agent/prompts.py"]').count() == 1
    assert page.locator("#results tr.result").count() == len(archive.store.results(child.id))
    first = page.locator("#results tr.result").first
    first.locator("details[data-key$='-test'] summary").click()
    first.locator("details[data-key$='-test'] pre").wait_for()
    page.screenshot(path=str(artifacts / "static-node.png"), full_page=True)
    page.goto(out.as_uri() + f"#/compare/0/{child.id}")  # a node against its parent
    wait_ready(page)
    assert page.locator('#compare-diff .file[data-file="agent/prompts.py"]').count() == 1
    assert page.locator("#page-compare tbody tr.differs").count() >= 1
    assert remote == []  # self-contained: nothing fetched from anywhere
