"""Diagnosis: one host-side LLM call (through the gateway, so it is metered, budgeted and
recorded) that reads the parent's code and one failure and answers JSON: a summary of what
went wrong, a proposal, and the problem statement for the self-edit.

A malformed answer is retried with a correction, a bounded number of times; if the model
never answers the JSON asked for, a plain problem statement built from the target is used
(and marked as a fallback), so weak models still produce children.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cladist.archive.safetext import clean, printable
from cladist.evolve.jobs import Target

SOURCE_SUFFIXES = frozenset({".md", ".py", ".txt", ".toml", ".json", ".yaml", ".sh"})
"""Files of the agent's code shown to the diagnosis."""

SYSTEM = """You improve a coding agent by reading its code and a record of it failing.
Answer with one JSON object and nothing else:
{"summary": "<what went wrong, 1-3 sentences>",
 "proposal": "<the change to the agent's own code that would prevent it, 1-5 sentences>",
 "problem_statement": "<instructions for a programmer who will edit the agent's code: what
 to change, where, and how to check it; the programmer sees only the agent's code>"}"""

META = {
    "empty_patches": "The agent often ends without changing any file (empty patch).",
    "context_length": "The agent's conversation outgrew the model's context window.",
    "stochasticity": "The agent solves this task in some runs and fails it in others.",
    "general": "Make the agent better at solving coding tasks in general.",
}


class DiagnosisAnswer(BaseModel):
    """The JSON the diagnosis must return."""

    model_config = ConfigDict(extra="ignore")
    summary: str = Field(min_length=1)
    proposal: str = Field(min_length=1)
    problem_statement: str = Field(min_length=10)


@dataclass(frozen=True)
class Diagnosis:
    """The diagnosis of one expansion; ``fallback`` when the model never answered JSON."""

    summary: str
    proposal: str
    problem_statement: str
    fallback: bool
    attempts: int

    def self_edit_problem(self, direction: str | None = None) -> str:
        """What the self-edit is asked to do: the problem statement, followed by the
        proposal unless the statement already holds it (weak models often write a
        statement that only restates the symptom, and the proposal names the files).
        A target's ``direction`` comes first, as the change to make, and the diagnosis
        after it as notes (a small model's statement can point elsewhere)."""
        text = self.problem_statement.rstrip()
        if not self.fallback and self.proposal.strip() not in self.problem_statement:
            text += f"\n\nThe change proposed: {self.proposal}"
        if direction and direction not in text:
            text = (f"The change to make: {direction}. Keep it small.\n\nNotes from the "
                    f"review of the agent's results:\n{text}")
        return text


def code_digest(agent_dir: Path, max_chars: int) -> str:
    """The agent's README and source files, each with its path, cut at ``max_chars``.

    Nothing is followed: a symbolic link is listed as ``path -> target (symlink, not
    followed)`` and never read through, a special file (FIFO, device) as skipped, and only
    regular files are opened (at most ``max_chars`` bytes each; undecodable bytes become
    U+FFFD). Never raises for what the folder holds."""
    parts, used = [], 0
    for rel, kind, extra in sorted(_source_entries(Path(agent_dir)), key=_reading_order):
        if kind == "link":
            parts.append(f"--- {rel} -> {extra} (symlink, not followed)\n")
            continue
        if kind == "special":
            parts.append(f"--- {rel} (a {extra}, skipped)\n")
            continue
        text = _read_prefix(Path(agent_dir) / rel, max_chars - used + 1)
        block = f"--- {rel}\n{text}\n"
        if used + len(block) > max_chars:
            parts.append(f"--- {rel} (omitted: over the size limit)\n")
            continue
        parts.append(block)
        used += len(block)
    return clean("".join(parts))  # a file name that is not UTF-8 is shown with U+FFFD


def _source_entries(root: Path) -> list[tuple[str, str, str]]:
    """(relative path, ``file``/``link``/``special``, link target or kind) of every source
    file, symbolic link and special file under ``root``, found with lstat (folders behind
    links are not entered)."""
    entries = []
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            try:
                mode = os.lstat(path).st_mode
                if stat.S_ISLNK(mode):
                    entries.append((rel, "link", printable(os.readlink(path))))
                elif stat.S_ISREG(mode) and path.suffix in SOURCE_SUFFIXES:
                    entries.append((rel, "file", ""))
                elif not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                    entries.append((rel, "special", "special file"))
            except OSError:
                continue  # gone or unreadable: not part of the digest
    return entries


def _reading_order(entry: tuple[str, str, str]) -> tuple[bool, bool, str]:
    rel = PurePosixPath(entry[0])
    return rel.name != "README.md", "tests" in rel.parts, entry[0]


def _read_prefix(path: Path, limit: int) -> str:
    """At most ``limit`` characters of a regular file's text, opened without following a
    link (a file swapped for a link after the listing is read as empty)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return ""
        return f.read(max(limit, 0) * 4).decode("utf-8", errors="replace")[:max(limit, 0)]


def build_prompt(target: Target, code: str, problem: str | None, trajectory: str,
                 test_output: str, hidden_tests: str | None, max_chars: int) -> str:
    """The user message of the diagnosis."""
    budget = max_chars // 4
    sections = [f"# The agent's code\n\n{code}"]
    what = META.get(target.kind, "The agent failed this task.")
    if target.direction:
        what += f" Work on one thing: {target.direction}."
    sections.append(f"# What to fix\n\n{what}")
    if problem:
        sections.append(f"# The task it failed\n\n{problem[:budget]}")
    if trajectory:
        sections.append(f"# The agent's trajectory on it (JSON, may be cut)\n\n"
                        f"{trajectory[-budget:]}")
    if test_output:
        sections.append(f"# Test output after its attempt\n\n{test_output[-budget // 2:]}")
    if hidden_tests:
        sections.append(f"# The hidden tests\n\n{hidden_tests[:budget // 2]}")
    return "\n\n".join(sections) + "\n\nAnswer with the JSON object only."


def parse_answer(content: str | None) -> DiagnosisAnswer:
    """The first JSON object in ``content`` validated; raises ValueError with a reason."""
    text = content or ""
    match = re.search(r"\{.*\}", text, re.S)
    if not match:
        raise ValueError("no JSON object in the answer")
    try:
        data = json.loads(match.group(0))
    except ValueError as err:
        raise ValueError(f"invalid JSON: {err}") from None
    try:
        return DiagnosisAnswer.model_validate(data)
    except ValidationError as err:
        raise ValueError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                   for e in err.errors())) from None


def diagnose(chat: Any, prompt: str, target: Target, problem: str | None, retries: int
             ) -> Diagnosis:
    """Ask ``chat(messages, tools)`` (the stdlib client's signature) for the diagnosis.

    LLM errors (budget spent, context too long) propagate to the caller.
    """
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM},
                                      {"role": "user", "content": prompt}]
    for attempt in range(1, retries + 2):
        reply = chat(messages, None, temperature=0)
        content = reply["choices"][0]["message"].get("content")
        try:
            answer = parse_answer(content)
            return Diagnosis(answer.summary, answer.proposal, answer.problem_statement,
                             False, attempt)
        except ValueError as err:
            messages += [{"role": "assistant", "content": content or ""},
                         {"role": "user", "content": f"That was not the JSON asked for "
                          f"({err}). Answer with the JSON object only."}]
    return fallback(target, problem, retries + 1)


def fallback(target: Target, problem: str | None, attempts: int) -> Diagnosis:
    """A plain problem statement from the target when the model gave no usable JSON."""
    what = META.get(target.kind, "The agent failed a coding task.")
    if target.direction:
        what += f" Work on one thing: {target.direction}."
    statement = (f"{what}\nImprove the agent's code (its loop, tools or prompts) so that it "
                 "does better. Keep `python -m agent` working and its tests passing.")
    if problem:
        statement += f"\n\nThe task it failed was:\n\n{problem[:4000]}"
    return Diagnosis("diagnosis unavailable (the model did not answer JSON)", what, statement,
                     True, attempts)
