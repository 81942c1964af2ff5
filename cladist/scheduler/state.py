"""In-memory view of the tree that policies decide on (no database; numpy arrays).

Agents are addressed by archive id; index ``i`` is the i-th agent added (``ids[i]`` its id;
a parent always has a smaller index than its children). Per-agent arrays (:meth:`col`):
``parent`` (index, −1 for the root), ``depth``, ``status`` (PENDING / VALID / INVALID),
``n_s`` / ``n_f`` (own passes / failures), ``N_s`` / ``N_f`` (pooled over the clade, kept
incrementally: a scored result adds to the agent and every ancestor, O(depth)),
``in_flight`` (tasks running), ``occupied`` (tasks evaluated or running), ``children``
(children that are not invalid), ``pending`` / ``started`` (expansions running / ever
started), ``failed`` / ``clade_failed`` (failed expansions of the agent / of its clade).

One thread drives it (the loop's driver). Caller mistakes (unknown agent or task, a task
started twice, finishing work never started) raise :class:`StateError` and change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from cladist.archive.records import ExpansionOutcome, NodeStatus, Verdict
from cladist.scheduler.ancestry import Ancestry

PENDING, VALID, INVALID = 0, 1, 2
_FIELDS = ("parent", "depth", "status", "n_s", "n_f", "N_s", "N_f", "in_flight", "occupied",
           "children", "pending", "started", "failed", "clade_failed")
_ANCESTOR_CACHE_LIMIT = 20_000_000  # entries, about 80 MB of int32


class StateError(ValueError):
    """The caller asked for something inconsistent with the tree (a bug in the loop)."""


class TreeState:
    """The tree as the scheduler sees it. Build it empty (then :meth:`add_agent` the root)
    or from a run's archive (:func:`cladist.scheduler.restore.restore_state`). Raises
    StateError for duplicate task ids."""

    def __init__(self, task_ids: Sequence[str]):
        self.task_ids: tuple[str, ...] = tuple(task_ids)
        self.task_index = {t: k for k, t in enumerate(self.task_ids)}
        if len(self.task_index) != len(self.task_ids):
            raise StateError("task ids must be unique")
        self.n = 0
        self._cap = 64
        self._a = {f: np.zeros(self._cap, np.int64) for f in _FIELDS}
        self._ids = np.zeros(self._cap, np.int64)
        self.index: dict[int, int] = {}
        self._done: dict[int, set[int]] = {}     # agent index -> scored known task indices
        self._flight: dict[int, set[int]] = {}   # agent index -> in-flight task indices
        self._scored: set[tuple[int, str, int]] = set()
        self._ancestry = Ancestry(_ANCESTOR_CACHE_LIMIT)
        self.evaluations = 0      # scored results counted
        self.in_flight_total = 0  # task evaluations started and not finished
        self.pending_total = 0    # expansions started and not finished
        self.live_agents = 0      # agents not invalid
        self.task_pass = np.zeros(len(self.task_ids), np.int64)
        self.task_total = np.zeros(len(self.task_ids), np.int64)
        self._log = np.zeros((256, 3), np.int64)  # per counted result on a known task:
        self._logged = 0                          # agent index, task index, 1 pass / 0 fail

    def col(self, name: str) -> np.ndarray:
        """Read-only view of one per-agent array (names in the module docstring)."""
        return _read_only(self._a[name][: self.n])

    @property
    def ids(self) -> np.ndarray:
        """Archive id of each agent index (read-only)."""
        return _read_only(self._ids[: self.n])

    @property
    def root_id(self) -> int | None:
        """Id of the root, or None for an empty tree."""
        return int(self._ids[0]) if self.n else None

    @property
    def tree_size(self) -> int:
        """|T|: agents that are not invalid, plus expansions in flight."""
        return self.live_agents + self.pending_total

    def idx(self, agent_id: int) -> int:
        """Index of ``agent_id``; raises StateError for an unknown agent."""
        try:
            return self.index[agent_id]
        except KeyError:
            raise StateError(f"agent {agent_id}: not in the tree") from None

    def own(self, agent_id: int) -> tuple[int, int]:
        """(n_s, n_f) of the agent itself."""
        return self.get("n_s", agent_id), self.get("n_f", agent_id)

    def clade(self, agent_id: int) -> tuple[int, int]:
        """Pooled (N_s, N_f) over the agent and its descendants."""
        return self.get("N_s", agent_id), self.get("N_f", agent_id)

    def get(self, name: str, agent_id: int) -> int:
        """One per-agent value, e.g. ``get("children", 3)``."""
        return int(self._a[name][self.idx(agent_id)])

    def evaluated_tasks(self, agent_id: int) -> frozenset[str]:
        """Known tasks with a scored result for the agent."""
        return frozenset(self.task_ids[k] for k in self._done.get(self.idx(agent_id), ()))

    def in_flight_tasks(self, agent_id: int) -> frozenset[str]:
        """Tasks being evaluated on the agent right now."""
        return frozenset(self.task_ids[k] for k in self._flight.get(self.idx(agent_id), ()))

    def result_log(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(agent index, task index, passed 0/1) of every counted result on a known task,
        in arrival order (read-only)."""
        log = _read_only(self._log[: self._logged])
        return log[:, 0], log[:, 1], log[:, 2]

    def busy_task_indices(self, agent_id: int) -> tuple[set[int], set[int]]:
        """(evaluated, in-flight) task indices of the agent; do not modify them."""
        i = self.idx(agent_id)
        return self._done.get(i, set()), self._flight.get(i, set())

    def free_tasks(self, agent_id: int) -> list[str]:
        """Tasks neither evaluated nor in flight for the agent, in task order."""
        i = self.idx(agent_id)
        busy = self._done.get(i, set()) | self._flight.get(i, set())
        return [t for k, t in enumerate(self.task_ids) if k not in busy]

    def add_agent(self, agent_id: int, parent_id: int | None,
                  status: NodeStatus | str = NodeStatus.VALID) -> None:
        """Add an agent (the first one is the root and has no parent). An invalid agent
        counts as a failed expansion of its parent. Raises StateError for a duplicate id,
        an unknown parent, a second root or a root with a parent missing."""
        if agent_id in self.index:
            raise StateError(f"agent {agent_id}: already in the tree")
        if (parent_id is None) != (self.n == 0):
            raise StateError("the first agent is the root (parent None), and only it")
        p = self.idx(parent_id) if parent_id is not None else -1
        code = _status_code(status)
        if self.n == self._cap:
            self._cap *= 2
            self._a = {f: np.resize(a, self._cap) for f, a in self._a.items()}
            self._ids = np.resize(self._ids, self._cap)
        i = self.n
        for a in self._a.values():
            a[i] = 0
        self._a["parent"][i], self._ids[i] = p, agent_id
        self.index[agent_id] = i
        self.n += 1
        self._a["status"][i] = PENDING
        self.live_agents += 1
        if p >= 0:
            self._a["children"][p] += 1
            self._a["depth"][i] = self._a["depth"][p] + 1
        if code == VALID:
            self._a["status"][i] = VALID
        elif code == INVALID:
            self.mark_invalid(agent_id)

    def mark_valid(self, agent_id: int) -> None:
        """A pending agent passed validation. Raises StateError if it is invalid."""
        i = self.idx(agent_id)
        if self._a["status"][i] == INVALID:
            raise StateError(f"agent {agent_id}: invalid agents stay invalid")
        self._a["status"][i] = VALID

    def mark_invalid(self, agent_id: int) -> None:
        """The agent failed validation: it is never evaluated or expanded again and
        counts as a failed expansion of its parent (idempotent)."""
        i = self.idx(agent_id)
        if self._a["status"][i] == INVALID:
            return
        self._a["status"][i] = INVALID
        self.live_agents -= 1
        p = int(self._a["parent"][i])
        if p >= 0:
            self._a["children"][p] -= 1
            self._fail_expansion(p)

    def start_expansion(self, parent_id: int) -> None:
        """An expansion of ``parent_id`` starts. Raises StateError unless it is valid."""
        i = self.idx(parent_id)
        if self._a["status"][i] != VALID:
            raise StateError(f"agent {parent_id}: only valid agents can be expanded")
        self._a["pending"][i] += 1
        self._a["started"][i] += 1
        self.pending_total += 1

    def finish_expansion(self, parent_id: int, outcome: ExpansionOutcome | str,
                         child_id: int | None = None,
                         child_status: NodeStatus | str | None = None) -> None:
        """An expansion of ``parent_id`` ended. With ``child_id`` the child joins the tree
        (status: ``child_status``, else valid for a valid outcome and invalid otherwise).
        An ``invalid`` outcome without a child counts as a failed expansion. Raises
        StateError if no expansion of that parent is pending or the child is a duplicate."""
        outcome = ExpansionOutcome(outcome)
        i = self.idx(parent_id)
        if self._a["pending"][i] <= 0:
            raise StateError(f"agent {parent_id}: no expansion pending")
        if child_id is not None and child_id in self.index:
            raise StateError(f"agent {child_id}: already in the tree")
        self._a["pending"][i] -= 1
        self.pending_total -= 1
        if child_id is not None:
            status = child_status or (NodeStatus.VALID if outcome == ExpansionOutcome.VALID
                                      else NodeStatus.INVALID)
            self.add_agent(child_id, parent_id, status)
        elif outcome == ExpansionOutcome.INVALID:
            self._fail_expansion(i)

    def start_evaluation(self, agent_id: int, task_ids: Iterable[str]) -> None:
        """Tasks start on a valid agent. Raises StateError for an agent that is not valid,
        an unknown task, or a task already evaluated or in flight on that agent."""
        i = self.idx(agent_id)
        if self._a["status"][i] != VALID:
            raise StateError(f"agent {agent_id}: only valid agents are evaluated")
        wanted = list(task_ids)
        keys = [self._task(t) for t in wanted]
        done, flight = self._done.get(i, set()), self._flight.setdefault(i, set())
        if len(set(keys)) != len(keys) or any(k in done or k in flight for k in keys):
            raise StateError(f"agent {agent_id}: task already evaluated or in flight")
        flight.update(keys)
        self._a["in_flight"][i] += len(keys)
        self._a["occupied"][i] += len(keys)
        self.in_flight_total += len(keys)

    def finish_evaluation(self, agent_id: int, task_id: str, verdict: Verdict | str,
                          attempt: int = 1) -> bool:
        """A task started on the agent returned. pass/fail is counted (once per task and
        attempt, like the archive); infra_error only frees the task. A later attempt
        (pass@2) of an evaluated task may be reported after the first. Returns whether the
        result was counted. Raises StateError if the task was not in flight there."""
        verdict = Verdict(verdict)
        i, k = self.idx(agent_id), self._task(task_id)
        flight = self._flight.get(i, set())
        if k not in flight:
            if attempt > 1 and k in self._done.get(i, ()) and verdict != Verdict.INFRA_ERROR:
                return self._count(i, task_id, verdict == Verdict.PASS, attempt)
            raise StateError(f"agent {agent_id}: task {task_id} is not in flight")
        flight.discard(k)
        self._a["in_flight"][i] -= 1
        self._a["occupied"][i] -= 1
        self.in_flight_total -= 1
        if verdict == Verdict.INFRA_ERROR:
            return False
        return self._count(i, task_id, verdict == Verdict.PASS, attempt)

    def _task(self, task_id: str) -> int:
        try:
            return self.task_index[task_id]
        except KeyError:
            raise StateError(f"task {task_id!r}: not one of the run's tasks") from None

    def _count(self, i: int, task_id: str, passed: bool, attempt: int) -> bool:
        key = (i, task_id, attempt)
        if key in self._scored:
            return False
        self._scored.add(key)
        own, pooled = ("n_s", "N_s") if passed else ("n_f", "N_f")
        self._a[own][i] += 1
        self._a[pooled][self.ancestors(i)] += 1
        self.evaluations += 1
        k = self.task_index.get(task_id)
        if k is not None:
            done = self._done.setdefault(i, set())
            if k not in done:
                done.add(k)
                self._a["occupied"][i] += 1
            self.task_pass[k] += passed
            self.task_total[k] += 1
            if self._logged == len(self._log):
                self._log = np.concatenate([self._log, np.zeros_like(self._log)])
            self._log[self._logged] = (i, k, int(passed))
            self._logged += 1
        return True

    def count_past(self, agent_id: int, task_id: str, passed: bool, attempt: int) -> None:
        """Count a scored result recorded before this state existed (a resumed run)."""
        self._count(self.idx(agent_id), task_id, passed, attempt)

    def count_past_failed_expansion(self, parent_id: int) -> None:
        """Count an expansion of ``parent_id`` that ended invalid without a child."""
        self._fail_expansion(self.idx(parent_id))

    def _fail_expansion(self, i: int) -> None:
        self._a["failed"][i] += 1
        self._a["clade_failed"][self.ancestors(i)] += 1

    def ancestors(self, i: int) -> np.ndarray:
        """Indices of agent index ``i`` and all its ancestors (cached)."""
        return self._ancestry.of(i, self._a["parent"])


def _status_code(status: NodeStatus | str) -> int:
    status = NodeStatus(status)
    if status == NodeStatus.INVALID:
        return INVALID
    return PENDING if status == NodeStatus.PENDING else VALID


def _read_only(view: np.ndarray) -> np.ndarray:
    view.flags.writeable = False
    return view
