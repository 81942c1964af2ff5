"""The evaluator's contracts: what a task is, what a suite provides, what grading returns.

A task gives the agent a workspace and a problem statement; the agent's only output is a
unified diff of that workspace, computed on the host from the tree it left. Grading applies
the diff to the trusted workspace, makes every protected file (tests, harness files) the
trusted one again, and runs the task's trusted test runner in a fresh sandbox from the
pristine image; the task passes when the runner's report shows every expected test passed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from cladist.archive.records import Verdict

if TYPE_CHECKING:
    from cladist.sandbox.contract import SandboxSpec

Language = Literal["python", "go", "rust", "cpp", "javascript", "java"]
Tier = Literal["easy", "medium", "hard"]


@dataclass(frozen=True)
class Task:
    """One benchmark task.

    ``workspace`` is a host folder whose files are copied to ``workdir`` in the sandbox
    (None when the image already holds the repository, as for SWE-bench). ``hidden_tests``
    is a host folder whose files are copied over the workspace only at grading, at the same
    relative paths; the agent never sees them. ``solution`` is a folder overlaid on the
    workspace by the reference solution (tests only; never shown to agents or to the
    diagnosis). ``sandbox_user`` is the user the
    agent runs as (None: the image's ``agent`` user, else nobody; SWE-bench images own their
    repository as root, so their tasks say ``root``).

    ``runner`` names the trusted test runner (:mod:`cladist.evaluator.runners`: pytest,
    go, cargo, node, cmake, catch2, jest, junit) that grades the task, unless ``grading``
    is the suite's own way (SWE-bench: the harness's grading; ``runner`` is then only a
    label); ``test_args`` are the runner's arguments (test paths, the test binary);
    ``expected_tests`` are the ids of the tests that must all pass (None: at least one
    test, all passing).
    ``test_files`` are glob patterns (relative to ``workdir``) of protected paths: after
    the agent's patch is applied they are made what the trusted copy says again, and new
    files matching them are deleted. ``pids`` and ``memory`` are what the task's tests need
    beyond the sandbox's default limits (raised within ``sandbox.task_pids_max`` and
    ``task_memory_max``; see :meth:`cladist.sandbox.contract.Limits.for_task`).
    """

    id: str
    suite: str
    language: Language
    problem: str
    image: str
    runner: str
    workspace: Path | None = None
    hidden_tests: Path | None = None
    solution: Path | None = None
    workdir: str = "/workspace"
    test_files: tuple[str, ...] = ()
    test_timeout_s: int = 120
    tier: Tier = "medium"
    test_args: tuple[str, ...] = ()
    expected_tests: frozenset[str] | None = None
    sandbox_user: str | None = None
    pids: int | None = None
    memory: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    grading: Grading | None = None


@dataclass(frozen=True)
class Grade:
    """The verdict of one grading with the test output and how long it took; ``detail``
    holds the judgement (expected/passed/missing tests, ``fail_reason``) and what the
    grader adds (a suite's own grading: SWE-bench's FAIL_TO_PASS/PASS_TO_PASS outcomes, its
    log folder)."""

    verdict: Verdict
    test_output: str
    seconds: float
    infra_reason: str | None = None
    returncode: int | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


class Grading(Protocol):
    """A suite's own grading, for tasks whose tests do not run under cladist's trusted
    runners (SWE-bench: the official harness's). A task names it in :attr:`Task.grading`;
    None means the trusted-runner grading of :mod:`cladist.evaluator.grader`. Its tasks
    run in the images they name, which only the Docker backend has."""

    def grade(self, task: Task, patch: str, open_sandbox: Callable[[SandboxSpec], Any],
              spec: SandboxSpec, log_root: Path | None) -> Grade:
        """Grade ``patch`` on ``task`` in sandboxes made by ``open_sandbox`` from ``spec``;
        ``log_root`` is the run folder, where it may keep logs (None: a temporary folder).
        Never raises for what the patch, the tests or the sandbox do."""
        ...


@runtime_checkable
class Suite(Protocol):
    """A named collection of tasks.

    ``tasks`` raises cladist.errors.NotFoundError for unknown task ids and
    cladist.errors.UsageError for a bad selection (e.g. an unknown tier).
    """

    name: str

    def tasks(self, ids: list[str] | None = None, tier: str = "all") -> list[Task]:
        """The tasks of the suite, optionally only ``ids`` and only one tier."""
        ...


@dataclass(frozen=True)
class TaskResult:
    """What evaluating one agent on one task produced.

    ``verdict`` is pass or fail when the agent's attempt was judged, ``infra_error`` only
    when the fault is provably ours (the sandbox failed before the agent's code ran, the
    engine errored and a fresh sandbox of the same image fails too, the toolchain probe
    failed): never scored, and ``infra_reason`` says what happened. Whatever the agent's
    patch or code causes (no usable tree, an unappliable patch, memory exhaustion under the
    tests, a missing test report) is a fail, with ``detail["fail_reason"]``. ``attempt``
    is 1, or 2 for the retry with test feedback (pass@2 is reported separately).
    """

    task_id: str
    verdict: Verdict
    attempt: int = 1
    patch: str = ""
    test_output: str = ""
    trajectory: str = ""
    agent_seconds: float = 0.0
    grade_seconds: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    infra_reason: str | None = None
    agent_exit_code: int | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
