"""The reference ("oracle") patch of a task: its solution as a diff of its workspace, in the
same form an agent's patch takes. Used to check graders and as a known-good answer.

Git runs hardened (:mod:`cladist.safegit`) on a repository of our own beside the copied
workspace, never one inside it: no config, hooks or attributes file from anywhere but us.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cladist import safegit, scratch
from cladist.errors import UsageError
from cladist.evaluator.contracts import Task


def solution_patch(task: Task) -> str:
    """The diff that turns the task's workspace into workspace + solution.

    Raises UsageError for a task without a workspace or a solution, RuntimeError (git's
    reason) when git fails.
    """
    if task.workspace is None or task.solution is None:
        raise UsageError(f"task {task.id}: no workspace or no reference solution")
    with scratch.temporary("oracle") as tmp:
        work, repo, index = Path(tmp) / "work", Path(tmp) / "repo.git", Path(tmp) / "index"
        shutil.copytree(task.workspace, work)
        try:
            safegit.run(["init", "--quiet", "--bare"], git_dir=repo, cwd=tmp)
            _git(["add", "-A", "--", "."], repo, work, index)
            baseline = _git(["write-tree"], repo, work, index).decode().strip()
            # copy without timestamps: a same-size file with an old mtime looks unchanged
            shutil.copytree(task.solution, work, dirs_exist_ok=True,
                            copy_function=shutil.copy)
            _git(["add", "-A", "--", "."], repo, work, index)
            diff = _git(["diff", "--cached", *safegit.DIFF_FLAGS, baseline], repo, work, index)
        except safegit.GitFailed as err:
            raise RuntimeError(f"task {task.id}: oracle patch: {err}") from None
    return diff.decode("utf-8", errors="replace")


def _git(args: list[str], repo: Path, work: Path, index: Path) -> bytes:
    return safegit.run(args, git_dir=repo, cwd=work, work_tree=work, index=index)
