"""Replaying a stored evaluation: the node's agent runs again on the task in a fresh
sandbox and is graded, either against the gateway recordings of the original evaluation
(``recorded``: no network, no key; it must reproduce the patch and verdict or say where it
diverged) or against the configured model (``live``: a new verdict beside the stored one).

A replay is not an evaluation: nothing is written to the run's archive. Its own gateway
records (events, and the new exchanges of a live replay) go to a temporary folder, or to
the kept workspace folder.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from cladist import scratch
from cladist.archive.records import ResultRecord, Verdict
from cladist.errors import NotFoundError, UsageError
from cladist.evaluator.replay_diff import describe_difference
from cladist.evaluator.replay_workspace import KeepWorkdir, write_workspace

if TYPE_CHECKING:
    from cladist.archive.run import Run
    from cladist.config import Config
    from cladist.evaluator.contracts import Task, TaskResult

Mode = Literal["recorded", "live"]


@dataclass(frozen=True)
class Divergence:
    """Where a recorded replay left the recording: the step (0-based gateway request),
    the gateway's message and what differed between the recorded and the new request."""

    step: int
    message: str
    differs: str


@dataclass(frozen=True)
class ReplayOutcome:
    """A replay beside the stored evaluation it replays."""

    run_id: str
    node_id: int
    task_id: str
    attempt: int
    mode: Mode
    session: str | None
    stored_verdict: Verdict
    verdict: Verdict
    stored_patch: str
    patch: str
    test_output: str
    steps_recorded: int
    steps_served: int
    divergence: Divergence | None = None
    infra_reason: str | None = None
    exit_reason: str | None = None
    workspace: Path | None = None
    seconds: float = 0.0
    note: str | None = None

    @property
    def patch_identical(self) -> bool:
        """The new patch is byte for byte the stored one."""
        return self.patch == self.stored_patch

    @property
    def verdict_identical(self) -> bool:
        """The new verdict is the stored one."""
        return self.verdict == self.stored_verdict

    @property
    def reproduced(self) -> bool:
        """Same patch and verdict, and (recorded) the recording was followed to its end."""
        return self.patch_identical and self.verdict_identical and self.divergence is None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (no patch or test output texts)."""
        div = self.divergence
        return {"run": self.run_id, "node": self.node_id, "task": self.task_id,
                "attempt": self.attempt, "mode": self.mode, "session": self.session,
                "stored_verdict": str(self.stored_verdict), "verdict": str(self.verdict),
                "patch_identical": self.patch_identical, "reproduced": self.reproduced,
                "steps_recorded": self.steps_recorded, "steps_served": self.steps_served,
                "divergence": None if div is None else {"step": div.step, "message":
                                                        div.message, "differs": div.differs},
                "infra_reason": self.infra_reason, "exit_reason": self.exit_reason,
                "workspace": str(self.workspace) if self.workspace else None,
                "seconds": round(self.seconds, 3), "note": self.note}


def stored_result(run: Run, node_id: int, task_id: str, attempt: int = 1) -> ResultRecord:
    """The stored evaluation of node ``node_id`` on ``task_id`` (that attempt) to replay:
    the latest graded one with a gateway session, else the latest with a session.

    Raises NotFoundError (unknown node, or no stored result for that task and attempt)."""
    rows = [r for r in run.store.results(node_id) if r.task_id == task_id]
    if not rows:
        tasks = sorted({r.task_id for r in run.store.results(node_id)})
        known = f"its tasks: {', '.join(tasks)}" if tasks else "it was never evaluated"
        raise NotFoundError(f"node {node_id} has no stored result for task {task_id!r} "
                            f"({known})")
    rows = [r for r in rows if r.attempt == attempt and r.detail.get("session")]
    if not rows:
        raise NotFoundError(f"node {node_id}, task {task_id!r}: no stored attempt {attempt} "
                            "that ran the agent (nothing to replay)")
    graded = [r for r in rows if r.verdict != Verdict.INFRA_ERROR]
    return (graded or rows)[-1]


def replay(run: Run, node_id: int, task_id: str, *, mode: Mode = "recorded",
           attempt: int = 1, keep: Path | None = None, config: Config | None = None
           ) -> ReplayOutcome:
    """Re-run node ``node_id``'s agent on ``task_id`` in a fresh sandbox and grade it.

    ``config`` defaults to the run's own (``config.yaml``). ``keep`` is a folder (created;
    must not exist) that receives the agent's final work directory (``workdir/``: its
    regular files and folders, never its ``.git``, links or special files), the
    new ``patch.diff``, ``test_output.txt``, ``trajectory.json``, the stored patch and
    test output (``stored/``), ``replay.json`` and the gateway's records.

    Raises NotFoundError (unknown node or task, no stored result, recordings missing),
    UsageError (bad attempt or mode, ``keep`` exists), SandboxUnavailable (no engine), and
    what building the provider raises in live mode (e.g. ProviderAuthError).
    """
    from cladist.evaluator.selection import find_task
    from cladist.llm.recording import load_session

    if mode not in ("recorded", "live"):
        raise UsageError(f"mode {mode!r}: use recorded or live")
    if attempt not in (1, 2):
        raise UsageError(f"attempt {attempt}: use 1 or 2")
    if keep is not None and Path(keep).exists():
        raise UsageError(f"{keep}: already exists; give a new folder to keep the workspace in")
    config = config or run.config
    run.store.node(node_id)
    task = find_task(config.evaluator, task_id)
    stored = stored_result(run, node_id, task_id, attempt)
    session = str(stored.detail["session"])
    recording: list[dict[str, Any]] = []
    if mode == "recorded":
        try:
            recording = load_session(run.path, session)
        except NotFoundError:
            raise NotFoundError(f"node {node_id}, task {task_id!r}: the recordings of session "
                                f"{session} are missing (llm/{session}/ in {run.path})"
                                ) from None
    problem, start_patch = _problem(run, node_id, task, attempt)
    started = time.monotonic()
    work = Path(keep) if keep is not None else scratch.make("replay")
    work.mkdir(parents=True, exist_ok=keep is None)
    try:
        result, player, served = _run_once(run, node_id, task, attempt, problem, start_patch,
                                           config, session if mode == "recorded" else None,
                                           work, keep is not None)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)  # nothing was produced to inspect
        raise
    divergence = _divergence(player, recording) if player is not None else None
    note = None
    if (divergence is not None and stored.detail.get("agent_timed_out")
            and divergence.step == len(recording) and player.divergence is not None
            and player.divergence.expected is None):
        # the original agent was killed at its deadline while asking this request, so it
        # was never recorded: the replay followed the whole recording, as far as it went
        divergence, note = None, (f"the original agent was killed at its deadline during "
                                  f"model call {len(recording) + 1}; the replay followed "
                                  "the recording up to there")
    outcome = ReplayOutcome(
        run.id, node_id, task_id, attempt, mode, session, stored.verdict, result.verdict,
        _blob(run, stored.patch_ref), result.patch, result.test_output,
        steps_recorded=len(recording) if mode == "recorded" else _count(run, session),
        steps_served=served, note=note, divergence=divergence,
        infra_reason=result.infra_reason, exit_reason=result.detail.get("agent_exit_reason"),
        workspace=work if keep is not None else None, seconds=time.monotonic() - started)
    if keep is None:
        shutil.rmtree(work, ignore_errors=True)
    else:
        shutil.rmtree(work / "agent", ignore_errors=True)
        write_workspace(work, outcome.to_json(), result, run, stored)
    return outcome


def _run_once(run: Run, node_id: int, task: Task, attempt: int, problem: str,
              start_patch: str, config: Config, replay_of: str | None, work: Path,
              keep: bool) -> tuple[TaskResult, Any, int]:
    """One attempt through the evaluation path, its gateway recording into ``work``:
    serving the recorded session ``replay_of``, or the configured model when None.
    Returns the result, the Replay (None when live) and the model calls asked."""
    from cladist.evaluator.evaluate import make_context, run_attempt
    from cladist.llm.factory import make_gateway

    opened: list[Any] = []
    gateway = make_gateway(config, folder=work / "gateway", replay_only=replay_of is not None)
    try:
        ctx = make_context(config, gateway, run.id)

        def open_session(identity: Any) -> Any:
            opened.append(gateway.open_session(identity, replay=replay_of,
                                               replay_root=run.path))
            return opened[-1]

        ctx.open_session = open_session
        if keep:
            inner = ctx.open_sandbox
            ctx.open_sandbox = lambda spec: (KeepWorkdir(inner(spec), work / "workdir")
                                             if spec.role == "agent" else inner(spec))
        agent_dir = run.agents.materialize(run.node_commit(node_id), work / "agent")
        agent_dir.chmod(0o755)
        result = run_attempt(ctx, agent_dir, node_id, task, attempt, problem, start_patch)
        gateway.flush()
    finally:
        gateway.close()
        if gateway.provider is not None:
            gateway.provider.close()
    if not opened:  # the image was missing: no session was opened
        return result, None, 0
    player = opened[-1].session.replay
    usage = opened[-1].usage
    return result, player, player.served if player is not None else usage.calls + usage.failed


def _problem(run: Run, node_id: int, task: Task, attempt: int) -> tuple[str, str]:
    """The problem statement and start patch the stored attempt was given."""
    from cladist.evaluator.evaluate import second_problem

    if attempt == 1:
        return task.problem, ""
    first = stored_result(run, node_id, task.id, 1)
    return (second_problem(task, _blob(run, first.test_output_ref)),
            _blob(run, first.patch_ref))


def _blob(run: Run, ref: str | None) -> str:
    return run.blobs.get_text(ref) if ref else ""


def _count(run: Run, session: str) -> int:
    folder = run.path / "llm" / session
    return len(list(folder.glob("[0-9]*.json"))) if folder.is_dir() else 0


def _divergence(player: Any, recording: list[dict[str, Any]]) -> Divergence | None:
    broken = player.divergence
    if broken is not None:
        recorded = recording[broken.step] if broken.step < len(recording) else None
        return Divergence(broken.step, str(broken),
                          describe_difference(recorded, broken.request))
    if player.served < len(recording):
        step = player.served
        return Divergence(step, f"the agent stopped at step {step}: it made {step} of the "
                          f"{len(recording)} recorded requests",
                          f"step {step} was recorded but never asked")
    return None
