"""Recording the expected tests of the bundled tasks: the ids of the tests their reference
solution passes, as the task's trusted runner reports them, written to
``bundled/<task>/expected_tests.txt``.

``python -m cladist.evaluator.expected [TASK ...]`` grades each task's reference solution in
Docker and writes the file; ``--check`` only compares and exits 1 on a difference. Run it
after changing a task's tests or solution.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from cladist.evaluator.contracts import Task
from cladist.evaluator.testreport import TestReport


def passed_ids(report: TestReport | None) -> list[str]:
    """The ids the report shows passed, sorted."""
    if report is None or not report.complete:
        return []
    return sorted(t for t, o in report.outcomes.items() if o == "passed")


def oracle_report(task: Task, client: object | None = None) -> TestReport | None:
    """The runner's report of ``task``'s reference solution, graded in Docker."""
    from cladist.evaluator.grader import grade_with_report
    from cladist.evaluator.oracle import solution_patch
    from cladist.sandbox.contract import SandboxSpec
    from cladist.sandbox.docker import docker_client
    from cladist.sandbox.factory import open_sandbox
    from cladist.sandbox.images import build_images, bundled_recipes, image_tag

    client = client or docker_client()
    list(build_images(client, only=[task.image]))
    image = image_tag(bundled_recipes()[task.image], client)
    spec = SandboxSpec(image=image, role="expected")
    _, report = grade_with_report(replace(task, expected_tests=None), solution_patch(task),
                                  lambda s: open_sandbox(s, "docker", client), spec)
    return report


def main(argv: list[str] | None = None) -> int:
    """Record (or ``--check``) the expected tests of the named bundled tasks (all by
    default). Returns the exit code."""
    from cladist.evaluator.suites.bundled import BUNDLED_ROOT, EXPECTED_FILE, load_task

    parser = argparse.ArgumentParser(prog="python -m cladist.evaluator.expected")
    parser.add_argument("tasks", nargs="*")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    folders = [BUNDLED_ROOT / t for t in args.tasks] or sorted(
        p for p in BUNDLED_ROOT.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    status = 0
    for folder in folders:
        task = load_task(Path(folder), require_expected=False)
        ids = passed_ids(oracle_report(task))
        path = Path(folder) / EXPECTED_FILE
        text = "".join(f"{i}\n" for i in ids)
        if not ids:
            print(f"{task.id}: the reference solution passed no test", file=sys.stderr)
            status = 1
        elif args.check:
            same = path.exists() and path.read_text() == text
            print(f"{task.id}: {'ok' if same else 'DIFFERS'} ({len(ids)} tests)")
            status |= 0 if same else 1
        else:
            path.write_text(text)
            print(f"{task.id}: {len(ids)} tests")
    return status


if __name__ == "__main__":
    sys.exit(main())
