"""The web viewer on hand-built archives (no Docker): read-only opening, following a run
that another process writes, hostile text in the static export, one-line errors."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import wait_ready  # tests/view/conftest.py

from cladist.archive.records import NewLlmCall, NewResult, NodeStatus, Verdict
from cladist.archive.run import Run
from cladist.config import load_config
from cladist.errors import ArchiveError, NotFoundError
from cladist.view.web.data import RunData
from cladist.view.web.static_html import render_static, static_data, write_static

HOSTILE = '</script><script>window.pwned = 1</script><!-- "quotes" & <b>tags</b>'


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    """A run whose seed has one child made by a real commit, with an expansion (diagnosis
    blob), results with test output blobs, and metered LLM calls."""
    cfg = load_config([f"run.runs_dir={tmp_path / 'runs'}", "archive.sqlite_synchronous=NORMAL"])
    with Run.create(cfg) as created:
        work = created.agents.materialize(created.node_commit(0), tmp_path / "child")
        prompts = work / "agent" / "prompts.py"
        prompts.write_text(prompts.read_text() + "\nEXTRA = 'be careful'\n")
        sha = created.agents.commit_dir(work, created.node_commit(0), "node 1")
        exp = created.store.start_expansion(0, "general")
        ref = created.blobs.put(f"expansions/{exp}/diagnosis.json",
                                json.dumps({"summary": HOSTILE, "proposal": "p"}))
        child = created.store.finish_expansion(
            exp, "valid", problem_statement="add EXTRA", diagnosis_ref=ref, cost_usd=0.5,
            new_child=(sha, NodeStatus.VALID, None, HOSTILE))
        assert child is not None
        created.agents.set_node_ref(child, sha)
        for node, task, verdict in ((0, "t1", Verdict.FAIL), (child, "t1", Verdict.PASS),
                                    (child, "t2", Verdict.PASS)):
            out = created.blobs.put(f"nodes/{node}/{task}/test_output.txt", f"{task}: {verdict}")
            created.store.record_result(NewResult(node, task, verdict, test_output_ref=out,
                                                  cost_usd=0.25))
        created.store.record_llm_call(NewLlmCall("s1", "diagnosis", "openai", "m", node_id=0,
                                                 tokens_in=10, cost_usd=0.5))
        yield created


def test_read_only_viewer_never_writes(run: Run) -> None:
    before = hashlib.sha256((run.path / "archive.db").read_bytes()).hexdigest()
    data = RunData(run.path)
    try:
        assert [n["id"] for n in data.tree()["nodes"]] == [0, 1]
        with pytest.raises(ArchiveError, match="read-only"):
            data.run.store.set_run_status("finished")
    finally:
        data.close()
    assert hashlib.sha256((run.path / "archive.db").read_bytes()).hexdigest() == before


def test_the_viewer_follows_writes_by_another_connection(run: Run) -> None:
    data = RunData(run.path)
    try:
        first = data.version()
        assert data.version() == first  # stable while nothing changes
        new = run.store.add_node(1, run.node_commit(1), status=NodeStatus.PENDING)
        second = data.version()
        assert second != first and data.tree()["nodes"][-1]["id"] == new
        assert data.state()["nodes"] == 3 and data.state()["status"] == "created"
        run.store.set_status(new, NodeStatus.VALID)
        assert data.version() != second
        run.store.record_result(NewResult(new, "t1", Verdict.PASS))
        assert data.node(new)["results"][0]["verdict"] == "pass"
    finally:
        data.close()


def test_a_running_run_without_its_process_is_shown_crashed(run: Run) -> None:
    from cladist.view.text import tree_data
    from cladist.view.web.overview import overview

    run.store.set_run_status("running")
    data = RunData(run.path)
    try:  # the fixture's process holds the run: it is running
        assert data.state()["status"] == "running" == overview(data)["run"]["status"]
        live_version = data.version()
        run.close()  # the process lets it go, as a dead one would
        assert data.state()["status"] == "crashed" == overview(data)["run"]["status"]
        assert data.version() != live_version  # the page refreshes to say so
        with Run.open(run.path, read_only=True) as reopened:
            facts = tree_data(reopened)
        assert facts["status"] == "crashed" and facts["last_event_at"] is not None
    finally:
        data.close()


def test_node_page_of_a_hand_built_child(run: Run) -> None:
    data = RunData(run.path)
    try:
        page = data.node(1)
        assert "+EXTRA = 'be careful'" in page["diff"]["text"]
        assert page["origin"]["diagnosis"]["summary"] == HOSTILE
        assert page["tasks"] == {"t1": {"pass": 1, "fail": 0, "infra_error": 0},
                                 "t2": {"pass": 1, "fail": 0, "infra_error": 0}}
        assert page["costs"]["creation"]["cost_usd"] == 0.5
        assert page["costs"]["evaluation"]["cost_usd"] == 0.5
        assert data.node(0)["costs"]["llm_calls"] == [{
            "purpose": "diagnosis", "calls": 1, "tokens_in": 10, "tokens_out": 0,
            "cost_usd": 0.5}]
        with pytest.raises(NotFoundError):
            data.node(7)
    finally:
        data.close()


def test_overview_curve_equals_plot_data_on_a_bigger_archive(run: Run) -> None:
    import random

    from cladist.view.plot_data import progress_series
    from cladist.view.web.overview import progress

    rng = random.Random(3)
    sha = run.node_commit(0)
    ids = run.store.add_nodes([(rng.choice([0, 1]), sha, rng.choice(list(NodeStatus)), None,
                                None) for _ in range(60)])
    run.store.record_results(NewResult(rng.choice([0, 1, *ids]), f"t{k}",
                                       rng.choice(list(Verdict))) for k in range(900))
    data = RunData(run.path)
    try:
        points = progress(data)
    finally:
        data.close()
    series = progress_series(run)
    assert len(points) <= 401 and points[-1]["evaluations"] == series.evaluations[-1]
    assert [p["best"] for p in points] == series.best_belief_node
    assert [p["mean_score"] for p in points] == pytest.approx(series.archive_mean)
    assert [p["best_score"] for p in points] == pytest.approx(series.best_belief_score)


def test_static_html_keeps_hostile_text_inside_its_data(run: Run) -> None:
    data = RunData(run.path)
    try:
        html = render_static(static_data(data))
    finally:
        data.close()
    block = re.search(r'<script id="cladist-data" type="application/json">(.*?)</script>',
                      html, re.S)
    assert block is not None
    payload = json.loads(block.group(1))
    assert payload["nodes"]["1"]["node"]["summary"] == HOSTILE
    assert payload["blobs"]["nodes/1/t1/test_output.txt"]["text"] == "t1: pass"
    assert 'src="' not in html and "<link" not in html.replace('<link rel="icon"', "")


def test_a_schema_this_code_does_not_know_is_one_line(run: Run, tmp_path: Path) -> None:
    run.close()
    with sqlite3.connect(run.path / "archive.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(ArchiveError) as err:
        RunData(run.path)
    assert "9999" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.browser
def test_static_page_shows_hostile_text_as_text(run: Run, page: Any, tmp_path: Path) -> None:
    out = write_static(run.path, tmp_path / "hostile.html")
    page.goto(out.as_uri() + "#/node/1")
    wait_ready(page)
    assert page.evaluate("window.pwned") is None
    assert HOSTILE in page.locator("#page-node").inner_text()
    assert page.locator('#node-diff .file[data-file="agent/prompts.py"]').count() == 1


@pytest.mark.browser
def test_a_big_tree_is_painted_on_a_canvas_and_clicks_find_their_node(
        run: Run, page: Any, start_server: Any, artifacts: Path) -> None:
    import random

    rng = random.Random(5)
    sha = run.node_commit(0)
    specs: list[Any] = []
    for i in range(2, 2000):
        specs.append((rng.randrange(max(0, i - 300), i), sha, NodeStatus.VALID, None, None))
    run.store.add_nodes(specs)
    total = len(run.store.nodes())
    page.goto(start_server(run.path).url)
    wait_ready(page)
    canvas = page.locator("#tree-canvas")
    assert canvas.get_attribute("data-nodes") == str(total)
    assert page.locator("#tree-svg").count() == 0
    page.screenshot(path=str(artifacts / "big-tree-canvas.png"))
    # zoom in on node 1 (the evaluated child), then click where it is drawn
    page.evaluate("""() => { const C = window.Cladist, s = C.treeState;
        const { pos } = C.layout(C.lastTree.nodes, s.mode); const p = pos.get(1);
        const box = document.getElementById('tree-canvas').getBoundingClientRect();
        s.transform = { k: 2, x: box.width / 2 - 2 * p.x, y: box.height / 2 - 2 * p.y };
        s.apply(); }""")
    page.wait_for_timeout(100)
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(re.compile(r"#/node/1$"))
    wait_ready(page)
    assert page.locator("#page-node").get_attribute("data-node") == "1"


def test_many_concurrent_requests_while_a_writer_writes(run: Run, start_server: Any) -> None:
    import threading
    import urllib.request

    server = start_server(run.path)
    failures: list[str] = []

    def reader(k: int) -> None:
        for j in range(10):
            for path in ("api/version", f"api/node/{(k + j) % 2}", "api/tree"):
                try:
                    with urllib.request.urlopen(server.url + path, timeout=60) as answer:
                        json.loads(answer.read())
                except Exception as err:  # collected, reported below
                    failures.append(f"{path}: {err!r}")

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(12)]
    for thread in threads:
        thread.start()
    for k in range(20):  # the run goes on meanwhile
        run.store.record_result(NewResult(1, f"w{k}", Verdict.PASS))
    for thread in threads:
        thread.join(120)
    assert failures == []
