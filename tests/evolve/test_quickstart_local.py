"""The quickstart with the real embedded model: the whole path (diagnosis, self-edit,
validation, evaluation in Docker, archive) runs to the end and leaves a valid archive."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from cladist.archive.lineage import check_clade_counts
from cladist.archive.run import Run, resolve_run

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None,
                    reason="the embedded model needs cladist[local] (llama-cpp-python)")
def test_quickstart_runs_to_the_end_with_the_embedded_model(tmp_path: Path, docker_client,  # noqa: ANN001
                                                            base_image) -> None:  # noqa: ANN001
    done = subprocess.run(
        [sys.executable, "-m", "cladist", "run", "--preset", "quickstart",
         "-c", "llm.local_model=smollm2-135m",  # any answer will do: the fastest model
         "-c", "budget.task_evaluations=2", "-c", "evaluator.agent_max_steps=3",
         "-c", "evolve.self_edit_max_steps=3"],
        cwd=tmp_path, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "stopped: budget spent" in done.stdout
    with Run.open(resolve_run("quickstart", tmp_path / "runs")) as run:
        record = run.store.run_record()
        assert record.status == "finished" and record.stop_reason.startswith("budget spent")
        results = run.store.results()
        # every agent run leaves a trajectory, unless it was killed at its deadline before
        # its first step ended (the embedded model is slow on a loaded machine)
        assert results and all(r.trajectory_ref or r.detail.get("agent_timed_out")
                               for r in results), [r.detail for r in results]
        assert all(r.verdict != "infra_error" for r in results), [
            r.detail.get("infra_reason") for r in results]
        (expansion,) = run.store.expansions()
        assert expansion.outcome in ("valid", "invalid", "error")
        assert run.store.totals()["llm_tokens"] > 0  # the embedded model really answered
        assert check_clade_counts(run.store) == []
        assert run.store.integrity_check() == "ok"
