"""Every bundled task graded in its real task image: the reference solution passes, the
empty patch fails. This is the grader being right, not the agent being good."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from cladist.archive.records import Verdict
from cladist.config import load_config
from cladist.evaluator.evaluate import make_context
from cladist.evaluator.grader import grade
from cladist.evaluator.oracle import solution_patch
from cladist.evaluator.suites.bundled import BundledSuite
from cladist.sandbox.contract import Limits, SandboxSpec

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_every_bundled_task_passes_its_solution_and_fails_empty(docker_client,  # noqa: ANN001
                                                                base_image) -> None:  # noqa: ANN001
    context = make_context(load_config(["sandbox.backend=docker"]), gateway=None)
    tasks = BundledSuite().tasks()

    def check(task):  # noqa: ANN001, ANN202
        spec = SandboxSpec(image=context.image_for(task.image), limits=Limits(memory="1g"),
                           role="grader", run_id="test-bundled")
        oracle = grade(task, solution_patch(task), context.open_sandbox, spec)
        empty = grade(task, "", context.open_sandbox, spec)
        return task.id, oracle, empty

    with ThreadPoolExecutor(max_workers=3) as pool:
        outcomes = list(pool.map(check, tasks))
    wrong = [(task_id, str(oracle.verdict), str(empty.verdict),
              (oracle.infra_reason or oracle.test_output[-400:]))
             for task_id, oracle, empty in outcomes
             if oracle.verdict != Verdict.PASS or empty.verdict != Verdict.FAIL]
    assert not wrong, wrong
    assert len(outcomes) == len(tasks) >= 26
