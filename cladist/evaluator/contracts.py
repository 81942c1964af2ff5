"""The evaluator's contracts: what a task is, what a suite provides, what grading returns.

A task gives the agent a workspace and a problem statement; the agent's only output is a
unified diff of that workspace. Grading applies the diff (minus changes to test files) in a
fresh sandbox from the pristine image, restores the hidden tests and runs the test command.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from cladist.archive.records import Verdict

Language = Literal["python", "go", "rust", "cpp", "javascript", "java"]
Tier = Literal["easy", "medium", "hard"]


@dataclass(frozen=True)
class Task:
    """One benchmark task.

    ``workspace`` is a host folder whose files are copied to ``workdir`` in the sandbox
    (None when the image already holds the repository, as for SWE-bench). ``hidden_tests``
    is a host folder whose files are copied over the workspace only at grading, at the same
    relative paths; the agent never sees them. ``test_files`` are glob patterns (relative to
    ``workdir``) of paths the agent's diff may not change: such hunks are dropped.
    ``solution`` is a folder overlaid on the workspace by the reference solution (tests
    only; never shown to agents or to the diagnosis). ``sandbox_user`` is the user the
    agent runs as (None: the image's ``agent`` user, else nobody; SWE-bench images own their
    repository as root, so their tasks say ``root``).
    """

    id: str
    suite: str
    language: Language
    problem: str
    image: str
    test_command: str
    workspace: Path | None = None
    hidden_tests: Path | None = None
    solution: Path | None = None
    workdir: str = "/workspace"
    test_files: tuple[str, ...] = ()
    test_timeout_s: int = 120
    tier: Tier = "medium"
    grader: Literal["exit_code", "swebench"] = "exit_code"
    sandbox_user: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


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

    ``verdict`` is pass or fail when grading ran to a verdict, ``infra_error`` when the
    infrastructure failed (engine error, missing image, grader OOM, ...): that is never an
    agent failure, and ``infra_reason`` says what happened. ``attempt`` is 1, or 2 for the
    retry with test feedback (pass@2 is reported separately).
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
