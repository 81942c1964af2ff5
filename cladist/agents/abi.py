"""The contract between cladist and an agent: what every agent, the seed and each child
it grows into, must keep for cladist to run and read it.

- **Command line.** ``python3 -m agent --problem FILE --workdir DIR --out DIR
  --max-steps N --tools native|text``, with the agent's code on ``PYTHONPATH``
  (:func:`agent_command`).
- **Environment.** ``CLADIST_WORKDIR`` (the work directory), ``CLADIST_LLM_SOCKET`` (the
  gateway's Unix socket, default ``/run/cladist/llm.sock``) or ``CLADIST_LLM_URL`` (the
  gateway over HTTP), speaking OpenAI's chat-completions format; an error reply's
  ``error.code`` says why (``context_length_exceeded``, ``budget_exceeded``...).
- **Output.** The agent's answer is its work directory (cladist makes the patch);
  ``<out>/trajectory.json`` is a JSON object with ``format`` (:data:`TRAJECTORY_FORMAT`),
  ``exit_reason`` (:class:`ExitReason`, or ``llm_error:<ErrorClass>`` when the LLM
  refused) and ``steps``.

cladist reads the exit reason to find meta-problems: a run of ``llm_error:`` +
:data:`CONTEXT_OVERFLOW` is what makes a context-overflow target. A child that renames it
silently switches that off, so validation runs every child once against an LLM that
always overflows (:data:`PROBE_SCRIPT`) and rejects one whose trajectory breaks this
contract (:func:`conformance_problem`).
"""

from __future__ import annotations

import json
import shlex
from enum import StrEnum
from pathlib import Path

TRAJECTORY_FORMAT = 1
"""The version of ``trajectory.json`` this cladist reads."""
TRAJECTORY_FILE = "trajectory.json"
LLM_ERROR = "llm_error:"
CONTEXT_OVERFLOW = "ContextLengthError"
"""The error class an agent names (after ``llm_error:``) when the conversation outgrew the
model's context window (the gateway's ``context_length_exceeded``)."""
PROBE_SCRIPT = Path(__file__).with_name("probe") / "overflowing_llm.py"
"""A stand-in LLM for the conformance check: serves ``CLADIST_LLM_URL`` on loopback and
answers every chat completion with ``context_length_exceeded``."""


class ExitReason(StrEnum):
    """How an agent run ended (besides ``llm_error:<ErrorClass>``)."""

    SUBMITTED = "submitted"
    STEP_LIMIT = "step_limit"
    TOKEN_LIMIT = "token_limit"
    NO_ACTION = "no_action"


def agent_command(io_dir: str, max_steps: int, tools: str) -> str:
    """The shell command starting an agent (on ``PYTHONPATH``) on ``$CLADIST_WORKDIR``, its
    problem in ``io_dir/problem.md`` and its trajectory going to ``io_dir/out``."""
    return (f"python3 -m agent --problem {io_dir}/problem.md --workdir \"$CLADIST_WORKDIR\" "
            f"--out {io_dir}/out --max-steps {int(max_steps)} --tools {shlex.quote(tools)}")


def exit_reason(trajectory: str) -> str | None:
    """The exit reason a trajectory's text names, or None (no trajectory, not JSON, no
    string ``exit_reason``)."""
    try:
        reason = json.loads(trajectory).get("exit_reason")
    except (ValueError, AttributeError):
        return None
    return reason if isinstance(reason, str) else None


def is_context_overflow(reason: str | None) -> bool:
    """Whether an exit reason says the conversation outgrew the model's context."""
    return reason == LLM_ERROR + CONTEXT_OVERFLOW


def is_known(reason: str | None) -> bool:
    """Whether ``reason`` is in the contract's vocabulary."""
    if reason is None:
        return False
    if reason.startswith(LLM_ERROR):
        return reason[len(LLM_ERROR):].isidentifier()
    return reason in {r.value for r in ExitReason}


def conformance_problem(trajectory: str) -> str | None:
    """What is wrong with the trajectory an agent wrote when its LLM always answered
    ``context_length_exceeded`` (None: it keeps the contract)."""
    if not trajectory:
        return f"it wrote no {TRAJECTORY_FILE} into --out"
    try:
        data = json.loads(trajectory)
    except ValueError:
        return f"its {TRAJECTORY_FILE} is not JSON"
    if not isinstance(data, dict):
        return f"its {TRAJECTORY_FILE} is not a JSON object"
    if data.get("format") != TRAJECTORY_FORMAT:
        return (f"its {TRAJECTORY_FILE} has format {data.get('format')!r}, not "
                f"{TRAJECTORY_FORMAT}")
    reason = data.get("exit_reason")
    if not is_context_overflow(reason if isinstance(reason, str) else None):
        return (f"when the LLM answers context_length_exceeded its exit_reason is "
                f"{reason!r}, not {LLM_ERROR + CONTEXT_OVERFLOW!r}")
    if not isinstance(data.get("steps"), list):
        return f"its {TRAJECTORY_FILE} has no list of steps"
    return None
