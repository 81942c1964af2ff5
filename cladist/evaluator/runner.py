"""Running an agent on a task: a sandbox from the task image, the workspace without hidden
tests, the agent's code mounted read-only at /agent, the gateway socket; the agent works
under a timeout and its only output is its work tree, from which the host makes the patch.

Nothing the agent leaves is trusted: its tree comes out as a tar under copy-back caps and
is written on the host without following links (:mod:`cladist.evaluator.worktree`);
protected files are made the trusted ones again; the patch is computed by git with
cladist's configuration from the trusted workspace and that tree
(:mod:`cladist.evaluator.treepatch`), never by git inside the sandbox. A tree over the
caps, a patch over its cap or a tree git refuses are the agent's failure
(``AgentRun.failure``); a sandbox that breaks before the agent started, or that breaks
while it ran when a fresh one of the same image fails too, is ours (``infra_reason``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cladist import scratch
from cladist.agents import abi
from cladist.evaluator.contracts import Task
from cladist.evaluator.grader import image_works
from cladist.evaluator.patches import BASELINE_SCRIPT
from cladist.evaluator.treepatch import PatchFailed, tree_patch
from cladist.evaluator.worktree import (
    TreeCaps,
    TreeTooLarge,
    extract_untrusted,
    protect,
    trusted_files,
)
from cladist.sandbox.contract import (
    SandboxError,
    SandboxFileNotFound,
    SandboxFileTooLarge,
    SandboxPermissionError,
    SandboxRemoved,
    SandboxSpec,
)

IO_DIR = "/tmp/cladist"


@dataclass(frozen=True)
class OutputCaps:
    """What one attempt may bring back: its work tree (bytes, entries), its patch and its
    trajectory (bytes)."""

    tree: TreeCaps = TreeCaps()
    patch_bytes: int = 4 << 20
    trajectory_bytes: int = 16 << 20


@dataclass(frozen=True)
class AgentRun:
    """What one agent run left: the patch, its trajectory and how it ended.

    ``infra_reason`` is set when the fault is ours (then the run says nothing about the
    agent); ``failure`` when the agent left nothing that can be graded (a tree over the
    caps, a patch over its cap, a sandbox it broke); ``exit_code`` is the agent process's
    status (124 when it hit the timeout); ``protected_changes`` the protected paths it
    changed (undone before the patch was made); ``dropped`` the entries of its tree that
    were left out (``.git`` excepted), with why.
    """

    patch: str
    trajectory: str
    seconds: float
    exit_code: int | None
    timed_out: bool
    log: str
    infra_reason: str | None = None
    failure: str | None = None
    protected_changes: tuple[str, ...] = ()
    dropped: tuple[tuple[str, str], ...] = ()

    @property
    def exit_reason(self) -> str | None:
        """The exit reason the agent wrote in its trajectory, if it wrote one."""
        return abi.exit_reason(self.trajectory)


def run_agent(task: Task, problem: str, open_sandbox: Any, spec: SandboxSpec, *,
              timeout_s: float, max_steps: int = 30, tools: str = "native",
              start_patch: str = "", caps: OutputCaps = OutputCaps()) -> AgentRun:
    """Run the agent of ``spec.agent_code`` on ``task`` and make its patch.

    ``start_patch`` is applied before the agent starts (a second attempt continues from the
    first). Never raises for what the agent does (see the module doc for who is at fault).
    """
    started = time.monotonic()
    if task.sandbox_user is not None:
        spec = replace(spec, user=task.sandbox_user)
    with scratch.temporary("agentrun") as tmp:
        pristine = task.workspace or Path(tmp) / "pristine"
        ran = _run_in_sandbox(task, problem, open_sandbox, spec, timeout_s, max_steps, tools,
                              start_patch, caps, pristine)
        if isinstance(ran, AgentRun):
            return replace(ran, seconds=time.monotonic() - started)
        done, tree_tar, trajectory = ran
        common: dict[str, Any] = dict(trajectory=trajectory, exit_code=done.returncode,
                                      timed_out=done.timed_out,
                                      log=(done.out + done.err)[-20_000:])
        try:
            patch, protected, dropped = make_patch(task, pristine, tree_tar, Path(tmp), caps)
        except (TreeTooLarge, PatchFailed) as err:
            return AgentRun("", seconds=time.monotonic() - started, failure=str(err), **common)
    return AgentRun(patch, seconds=time.monotonic() - started,
                    protected_changes=tuple(protected), dropped=dropped, **common)


def _run_in_sandbox(task: Task, problem: str, open_sandbox: Any, spec: SandboxSpec,
                    timeout_s: float, max_steps: int, tools: str, start_patch: str,
                    caps: OutputCaps, pristine: Path) -> AgentRun | tuple[Any, bytes, str]:
    """The sandboxed part: (the agent's exec result, its tree as a tar, its trajectory),
    or the AgentRun of a run that went wrong."""
    agent_started = False
    try:
        with open_sandbox(spec) as sandbox:
            if task.workspace is not None:
                sandbox.copy_in(task.workspace, task.workdir)
            else:  # the image holds the repository: its tree before the agent ran
                extract_untrusted(sandbox.read_tree(task.workdir, caps.tree.max_bytes * 2),
                                  pristine, caps.tree)
            setup = sandbox.exec(BASELINE_SCRIPT, cwd=task.workdir, timeout=120)
            if setup.returncode != 0:  # a git of the agent's own, for its convenience
                raise SandboxError(f"cannot record the baseline: {setup.err.strip()[-300:]}")
            if start_patch.strip():
                sandbox.write_file(f"{IO_DIR}/start.diff", start_patch.encode(
                    "utf-8", "surrogateescape"))
                applied = sandbox.exec(f"git apply --whitespace=nowarn {IO_DIR}/start.diff",
                                       cwd=task.workdir, timeout=120)
                if applied.returncode != 0:
                    return _failed("the previous attempt's patch does not apply: "
                                   + (applied.err.strip()[-400:] or "git apply failed"))
            sandbox.exec(f"mkdir -p {IO_DIR}/out", timeout=30)
            sandbox.write_file(f"{IO_DIR}/problem.md", problem)
            env = {"PYTHONPATH": "/agent", "PYTHONDONTWRITEBYTECODE": "1",
                   "CLADIST_WORKDIR": task.workdir, "PYTHONUNBUFFERED": "1"}
            agent_started = True
            done = sandbox.exec(abi.agent_command(IO_DIR, max_steps, tools), cwd=task.workdir,
                                env=env,
                                timeout=timeout_s)
            try:
                tree_tar = sandbox.read_tree(task.workdir, caps.tree.max_bytes + (4 << 20))
            except SandboxFileTooLarge:
                return _failed(f"the work tree holds more than {caps.tree.max_bytes} bytes",
                               done)
            except (SandboxFileNotFound, SandboxPermissionError) as err:
                return _failed(f"the work tree cannot be read: {err}", done)
            trajectory = _read_trajectory(sandbox, caps.trajectory_bytes)
    except (TreeTooLarge, SandboxError) as err:
        why = f"{type(err).__name__}: {err}"
        if isinstance(err, TreeTooLarge):  # the image's own tree: a task that cannot run
            return AgentRun("", "", 0.0, None, False, "", infra_reason=f"task tree: {why}")
        removed = isinstance(err, SandboxRemoved)  # deleted on the engine: not from inside
        if agent_started and not removed and image_works(open_sandbox, spec):
            return _failed(f"the agent's sandbox broke while it ran, and a fresh one works "
                           f"({why})")
        return AgentRun("", "", 0.0, None, False, "", infra_reason=why)
    return done, tree_tar, trajectory


def _failed(reason: str, done: Any = None) -> AgentRun:
    if done is None:
        return AgentRun("", "", 0.0, None, False, "", failure=reason)
    return AgentRun("", "", 0.0, done.returncode, done.timed_out,
                    (done.out + done.err)[-20_000:], failure=reason)


def _read_trajectory(sandbox: Any, limit: int) -> str:
    """The trajectory the agent wrote (undecodable bytes replaced), a note when it is over
    ``limit``, or "" when there is none."""
    path = f"{IO_DIR}/out/{abi.TRAJECTORY_FILE}"
    try:
        data = sandbox.read_file(path, text=False, limit=limit)
    except SandboxFileTooLarge:
        return json.dumps({"cladist_note": f"trajectory over {limit} bytes: not kept"})
    except (SandboxFileNotFound, PermissionError, IsADirectoryError):
        return ""
    except SandboxError as err:
        if type(err) is SandboxError:  # the file operation failed otherwise
            return ""
        raise
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def make_patch(task: Task, pristine: Path, tree_tar: bytes, tmp: Path, caps: OutputCaps
               ) -> tuple[str, list[str], tuple[tuple[str, str], ...]]:
    """(patch, protected paths undone, entries dropped) from the agent's tree as a tar,
    against the trusted ``pristine`` folder, working in ``tmp``. Raises TreeTooLarge or
    PatchFailed (the agent's failures)."""
    tree = tmp / "agent-tree"
    stats = extract_untrusted(tree_tar, tree, caps.tree)
    protected = protect(tree, task.test_files, trusted_files(pristine, task.test_files))
    patch = tree_patch(pristine, tree)
    if len(patch.encode("utf-8", "surrogateescape")) > caps.patch_bytes:
        raise PatchFailed(f"the patch is larger than the cap of {caps.patch_bytes} bytes")
    return patch, protected, stats.dropped
