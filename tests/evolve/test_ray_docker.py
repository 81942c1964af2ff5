"""The same small evolution as test_run_docker.py on the Ray executor: a local Ray cluster
(started by the run's executor) runs the self-improvement steps and the evaluations in
Ray tasks; the driver alone writes the archive, which must be as valid as a local run's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_model import MARKER, respond, run_cli
from sqlalchemy import select

from cladist.archive import schema as t
from cladist.archive.lineage import best_belief, check_clade_counts
from cladist.archive.records import NodeStatus
from cladist.archive.run import Run, resolve_run
from cladist.llm.testing import ScriptedLLMServer

pytest.importorskip("ray", reason="Ray is not installed (pip install '.[ray]')")

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TASKS = ["py-easy-is-even", "py-easy-greeting", "py-easy-largest"]


def test_ray_run_leaves_a_valid_archive(tmp_path: Path, docker_client,  # noqa: ANN001
                                        base_image) -> None:  # noqa: ANN001
    with ScriptedLLMServer(default=respond, api_key="sk-fake") as server:
        # The key is only in the driver's environment: the executor passes it to the workers.
        done = run_cli(tmp_path, server, TASKS, "run", "--executor", "ray", "-c", "run.name=ray",
                       "-c", "budget.task_evaluations=6", "-c", "budget.expansions=4")
        served = len(server.requests)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "stopped: budget spent: task_evaluations" in done.stdout
    with Run.open(resolve_run("ray", tmp_path / "runs")) as run:
        nodes = run.store.nodes()
        root, children = nodes[0], [n for n in nodes if n.parent_id is not None]
        valid = [n for n in children if n.status is NodeStatus.VALID]
        assert valid, [(n.id, n.status, n.reason) for n in children]
        assert MARKER in run.agents.diff(root.commit_sha, valid[0].commit_sha)
        scored = [n for n in valid if n.evaluations]
        assert scored and all(n.score == 1.0 for n in scored) and root.n_pass == 0
        assert best_belief(run.store) in {n.id for n in scored}
        assert check_clade_counts(run.store) == []
        assert all(e.outcome != "running" for e in run.store.expansions())
        totals = run.store.totals()
        assert totals["evaluations"] == 6 and totals["infra_errors"] == 0
        with run.store.engine.connect() as conn:
            calls = conn.execute(select(t.llm_call.c.purpose, t.llm_call.c.recording_ref,
                                        t.llm_call.c.tokens_in)).all()
            started = conn.execute(select(t.event.c.data).where(
                t.event.c.kind == "session_started")).scalars().all()
        # every exchange the model served was imported from the workers, with its recording
        assert len(calls) == served
        assert {p for p, _, _ in calls} == {"diagnosis", "self-edit", "evaluation"}
        assert all(ref and run.blobs.exists(ref) for _, ref, _ in calls)
        assert totals["llm_tokens"] > 0 and totals["llm_cost_usd"] > 0
        (exp, *_) = [e for e in run.store.expansions() if e.child_id == valid[0].id]
        assert exp.tokens_in > 0 and exp.diagnosis_ref and run.blobs.exists(exp.diagnosis_ref)
        assert json.loads(started[0])["executor"] == "ray"
        record = run.store.run_record()
        assert record.status == "finished"
