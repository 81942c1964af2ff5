"""The reference ("oracle") patch of a task: its solution as a diff of its workspace, in the
same form an agent's patch takes. Used to check graders and as a known-good answer."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from cladist import scratch
from cladist.errors import UsageError
from cladist.evaluator.contracts import Task
from cladist.evaluator.patches import BASELINE_SCRIPT, DIFF_SCRIPT


def solution_patch(task: Task) -> str:
    """The diff that turns the task's workspace into workspace + solution.

    Raises UsageError for a task without a workspace or a solution.
    """
    if task.workspace is None or task.solution is None:
        raise UsageError(f"task {task.id}: no workspace or no reference solution")
    with scratch.temporary("oracle") as tmp:
        work = Path(tmp) / "work"
        shutil.copytree(task.workspace, work)
        _sh(BASELINE_SCRIPT, work)
        # copy without timestamps: a same-size file with an old mtime looks unchanged to git
        shutil.copytree(task.solution, work, dirs_exist_ok=True, copy_function=shutil.copy)
        return _sh(DIFF_SCRIPT, work)


def _sh(script: str, cwd: Path) -> str:
    done = subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{script!r} failed: {done.stderr.strip()[-300:]}")
    return done.stdout
