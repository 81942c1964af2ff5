"""The web viewer's JSON API (FastAPI's TestClient) and ``cladist view``'s command line, on a
copy of the shared evolved run: every figure checked against the archive itself."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cladist.archive.lineage import ancestors, best_belief
from cladist.archive.run import Run

pytestmark = pytest.mark.docker  # the shared run is made in Docker


@pytest.fixture(scope="module")
def client(web_run: Path) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from cladist.view.web.app import create_app

    with TestClient(create_app(web_run)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def archive(web_run: Path) -> Iterator[Run]:
    with Run.open(web_run, read_only=True) as run:
        yield run


def test_tree_lists_every_node_as_the_archive_has_it(client: Any, archive: Run) -> None:
    data = client.get("/api/tree").json()
    nodes = archive.store.nodes()
    assert [n["id"] for n in data["nodes"]] == [n.id for n in nodes]
    for shown, n in zip(data["nodes"], nodes, strict=True):
        assert (shown["status"], shown["passes"], shown["fails"], shown["evaluations"],
                shown["clade_estimate"]) == (str(n.status), n.n_pass, n.n_fail, n.evaluations,
                                             n.clade_estimate)
    assert data["best_belief"] == best_belief(archive.store) is not None
    assert data["run"] == archive.id


def test_node_pages_match_the_archive(client: Any, archive: Run) -> None:
    for n in archive.store.nodes():
        page = client.get(f"/api/node/{n.id}").json()
        assert [a["id"] for a in page["lineage"]] == [*ancestors(archive.store, n.id), n.id]
        results = archive.store.results(n.id)
        assert [r["task"] for r in page["results"]] == [r.task_id for r in results]
        assert [r["refs"]["test_output"] for r in page["results"]] == [
            r.test_output_ref for r in results]
        if n.parent_id is None:
            assert page["origin"] is None and page["diff"]["text"] == ""
            continue
        parent_sha = archive.store.node(n.parent_id).commit_sha
        assert page["diff"]["text"] == archive.agents.diff(parent_sha, n.commit_sha,
                                                           binary=False)
        origin = next(e for e in archive.store.expansions(n.parent_id) if e.child_id == n.id)
        assert page["origin"]["problem_statement"] == origin.problem_statement
        assert page["origin"]["diagnosis"] == json.loads(
            archive.blobs.get_text(origin.diagnosis_ref))
        assert page["costs"]["evaluation"]["cost_usd"] == pytest.approx(
            sum(r.cost_usd for r in results))


def test_bulk_pages_of_the_static_export_equal_the_served_ones(web_run: Path,
                                                               client: Any) -> None:
    from cladist.view.web.data import RunData

    data = RunData(web_run)
    try:
        for page in data.pages():
            assert page == client.get(f"/api/node/{page['node']['id']}").json()
    finally:
        data.close()


def test_a_validated_child_shows_its_change_and_passing_results(client: Any,
                                                                archive: Run) -> None:
    # The fake model's validated child of the seed puts the skill marker in its prompt.
    child = next(n for n in archive.store.nodes() if n.parent_id == 0 and n.evaluations)
    page = client.get(f"/api/node/{child.id}").json()
    assert "agent/prompts.py" in page["diff"]["text"]
    assert "[cladist-skill: solve]" in page["diff"]["text"]
    assert {r["verdict"] for r in page["results"]} == {"pass"}


def test_blobs_are_served_and_only_blobs(client: Any, archive: Run) -> None:
    result = next(r for r in archive.store.results() if r.trajectory_ref)
    for ref in (result.test_output_ref, result.trajectory_ref):
        body = client.get("/api/blob", params={"ref": ref}).json()
        assert body["text"] == archive.blobs.get_text(ref) and not body["truncated"]
    for bad in ("archive.db", "config.yaml", "nodes/../archive.db", "/etc/passwd"):
        answer = client.get("/api/blob", params={"ref": bad})
        assert answer.status_code == 400, bad
    missing = client.get("/api/blob", params={"ref": "nodes/0/none.txt"})
    assert missing.status_code == 404 and "no such blob" in missing.json()["error"]


def test_compare_gives_the_diff_and_per_task_differences(client: Any, archive: Run) -> None:
    child = next(n for n in archive.store.nodes() if n.parent_id == 0 and n.evaluations)
    data = client.get("/api/compare", params={"a": 0, "b": child.id}).json()
    assert data["common_ancestor"] == 0
    assert data["diff"]["text"] == archive.agents.diff(archive.node_commit(0),
                                                       child.commit_sha, binary=False)
    tasks = {r.task_id for r in archive.store.results(0)} | {
        r.task_id for r in archive.store.results(child.id)}
    assert {t["task"] for t in data["tasks"]} == tasks
    # the seed fails every task, its child passes them
    assert all(t["differs"] for t in data["tasks"] if t["a"] and t["b"])


def test_overview_budget_costs_and_progress(client: Any, archive: Run) -> None:
    data = client.get("/api/overview").json()
    totals = archive.store.totals()
    budget = {b["name"]: b for b in data["budget"]}
    assert budget["task_evaluations"]["used"] == totals["evaluations"]
    assert budget["task_evaluations"]["limit"] == archive.config.budget.task_evaluations
    assert sum(c["cost_usd"] for c in data["costs"]) == pytest.approx(totals["llm_cost_usd"])
    assert {c["purpose"] for c in data["costs"]} >= {"diagnosis", "self-edit", "evaluation"}
    scored = [r for r in archive.store.results() if str(r.verdict) != "infra_error"]
    assert data["progress"][-1]["evaluations"] == len(scored)
    assert data["progress"][-1]["best"] == best_belief(archive.store)
    assert data["best"]["id"] == best_belief(archive.store)
    assert data["plots"] == []  # no `cladist plot` yet


def test_overview_curve_has_the_numbers_of_cladist_plot(client: Any, archive: Run) -> None:
    from cladist.view.plot_data import progress_series

    series = progress_series(archive)
    points = client.get("/api/overview").json()["progress"]
    assert [p["evaluations"] for p in points] == series.evaluations
    assert [p["best"] for p in points] == series.best_belief_node
    assert [p["best_score"] for p in points] == pytest.approx(series.best_belief_score)
    assert [p["mean_score"] for p in points] == pytest.approx(series.archive_mean)


def test_errors_are_json_with_one_line(client: Any) -> None:
    answer = client.get("/api/node/9999")
    assert answer.status_code == 404 and answer.json()["error"].startswith("node 9999")
    plot = client.get("/plots/progress.svg")
    assert plot.status_code == 404 and "cladist plot" in plot.json()["error"]
    assert client.get("/plots/archive.db").status_code == 404


def test_page_and_assets_come_from_the_package(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "static/main.js" in page.text
    assert "http" not in page.text.split("</title>")[1]  # no CDN, nothing remote
    for asset in ("main.js", "tree.js", "node.js", "pages.js", "util.js", "diff.js",
                  "style.css"):
        assert client.get(f"/static/{asset}").status_code == 200


def test_reading_never_changes_the_archive(web_run: Path, client: Any) -> None:
    before = hashlib.sha256((web_run / "archive.db").read_bytes()).hexdigest()
    version = client.get("/api/version").json()["version"]
    for path in ("/api/tree", "/api/overview", "/api/node/0", "/api/compare?a=0&b=1"):
        assert client.get(path).status_code == 200
    assert client.get("/api/version").json()["version"] == version
    assert hashlib.sha256((web_run / "archive.db").read_bytes()).hexdigest() == before


def _cli(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "cladist", "view", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_cli_serves_the_run_on_a_free_port(web_run: Path, tmp_path: Path) -> None:
    proc = _cli(str(web_run), "--port", "0", cwd=tmp_path)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "127.0.0.1" in line, line + proc.stderr.read() if proc.stderr else line
        url = line.split(" at ")[1].split()[0]
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(url + "api/tree", timeout=5) as answer:
                    assert json.loads(answer.read())["run"] == web_run.name
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(10)


def test_cli_says_in_one_line_when_the_port_is_taken_or_the_run_unknown(
        web_run: Path, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = _cli(str(web_run), "--port", str(port), cwd=tmp_path)
        out, err = done.communicate(timeout=60)
    assert done.returncode == 2
    assert err.strip() == (f"cladist: error: port {port} on 127.0.0.1 is in use: pick another "
                           "with --port (--port 0 picks a free one)")
    unknown = _cli("no-such-run", cwd=tmp_path)
    out, err = unknown.communicate(timeout=60)
    assert unknown.returncode == 1 and len(err.strip().splitlines()) == 1
    assert "no-such-run" in err and "Traceback" not in err
