"""SWE-bench as a suite: instances become tasks, subsets by id, count and DGM-style stages.
Its tasks name the instance images, which are made ready (present, or pulled) before agents
run like any image cladist does not build (:mod:`cladist.sandbox.external`), and are graded
by the harness's own grading (:mod:`cladist.evaluator.suites.swebench.grading`).

A task runs the agent in the instance image itself: the repository sits at the base commit
in ``/testbed``, as root (the images own ``/testbed`` as root; the sandbox still drops every
capability and has no network), with the agent code read-only and the gateway socket. The
hidden tests (the instance's ``test_patch``) only enter the grading sandbox (see
:mod:`cladist.evaluator.suites.swebench.grading`); the agent's changes to the files the test
patch touches are undone.

Staged order: every id gets a rank from a hash of (seed, id), so the order is fixed by the
seed, the same for every run, and stable when instances are added or removed; the first 10
are DGM's first stage, the next 50 its second, the rest its third.
"""

from __future__ import annotations

import glob
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cladist import safegit, scratch
from cladist.errors import ConfigError, NotFoundError, UsageError
from cladist.evaluator.contracts import Task
from cladist.evaluator.suites.swebench.grading import HARNESS_GRADING

REQUIRED_COLUMNS = ("instance_id", "repo", "base_commit", "problem_statement", "version",
                    "FAIL_TO_PASS", "PASS_TO_PASS", "eval_script", "log_parser", "eval_type")
"""Columns every instance needs (swebench 5.x grades from eval_script/log_parser/eval_type)."""

WORKDIR = "/testbed"

PROBLEM_NOTE = ("\n\n---\nThe repository is in {workdir} at the commit the issue was "
                "reported against. Change the code so the issue is resolved; hidden tests "
                "will check it. Do not change the tests.")


def default_image(instance_id: str) -> str:
    """The harness's published image of an instance (for rows without ``image``)."""
    return f"swebench/sweb.eval.x86_64.{instance_id.replace('__', '_1776_')}:latest".lower()


def patch_paths(patch: str) -> list[str]:
    """Every path a git diff touches, in order, once each: the names git itself reads from
    it (``git apply --numstat -z``, run hardened: quoted names with spaces, quotes or
    non-ASCII bytes come out exact), each preceded by the old name of a rename or copy.
    Raises ValueError when git cannot read the patch."""
    if not patch.strip():
        return []
    with scratch.temporary("patchpaths") as tmp:
        try:
            out = safegit.run(["apply", "--numstat", "-z", "-"], git_dir=None, cwd=Path(tmp),
                              input=patch.encode("utf-8", "surrogateescape"))
        except safegit.GitFailed as err:
            raise ValueError(f"git cannot read the patch: {err}") from None
    names = [r.decode("utf-8", "surrogateescape").split("\t", 2)[-1]
             for r in out.split(b"\0") if r]
    sections = re.split(r"^(?=diff --git )", patch, flags=re.M)[1:]
    olds = [[unquote(line.split(" ", 2)[2]) for line in section.splitlines()
             if line.startswith(("rename from ", "copy from "))] for section in sections]
    if len(olds) != len(names):  # not one section per file: keep every name anyway
        olds = [[name for section in olds for name in section]] + [[]] * (len(names) - 1)
    paths: list[str] = []
    for old, new in zip(olds, names, strict=False):
        for name in (*old, new):
            if name not in paths:
                paths.append(name)
    return paths


_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def unquote(name: str) -> str:
    """A path as git writes it in a diff header, unquoted: git puts a name holding a quote,
    backslash, control or non-ASCII byte in double quotes with C escapes (octal for
    bytes). Raises ValueError for a bad escape."""
    if len(name) < 2 or name[0] != '"' or name[-1] != '"':
        return name
    body, out, i = name[1:-1], bytearray(), 0
    while i < len(body):
        if body[i] != "\\":
            out += body[i].encode("utf-8", "surrogateescape")
            i += 1
        elif body[i + 1:i + 2] in _ESCAPES:
            out.append(_ESCAPES[body[i + 1]])
            i += 2
        elif re.fullmatch(r"[0-3][0-7]{2}", body[i + 1:i + 4]):
            out.append(int(body[i + 1:i + 4], 8))
            i += 4
        else:
            raise ValueError(f"bad escape in quoted path {name!r}")
    return out.decode("utf-8", "surrogateescape")


def staged_order(ids: Sequence[str], seed: int = 0) -> list[str]:
    """``ids`` ordered by a hash of (seed, id): fixed by the seed, stable under additions."""
    return sorted(dict.fromkeys(ids), key=lambda i: hashlib.sha256(
        f"{seed}\0{i}".encode()).hexdigest())


def staged_subsets(ids: Sequence[str], seed: int = 0, stages: Sequence[int] = (10, 50)
                   ) -> list[list[str]]:
    """The staged subsets (first ``stages[0]``, next ``stages[1]``, ..., the rest) of the
    staged order. Raises ValueError for a non-positive stage size."""
    from cladist.scheduler.staging import boundaries

    order = staged_order(ids, seed)
    if not order:
        return []
    ends = boundaries(stages, len(order))
    return [order[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)]


def instance_task(row: dict[str, Any], test_timeout_s: int = 1800) -> Task:
    """The task of one instance. Raises ConfigError when a required column is missing or
    git cannot read the test patch."""
    name = row.get("instance_id", "?")
    missing = [c for c in REQUIRED_COLUMNS if c not in row or row[c] is None]
    if missing:
        raise ConfigError([f"SWE-bench instance {name}: missing {', '.join(missing)} "
                           "(swebench 5.x needs them: use a 5.x release of the dataset)"])
    try:
        test_paths = patch_paths(str(row.get("test_patch") or ""))
    except ValueError as err:
        raise ConfigError([f"SWE-bench instance {name}: test_patch: {err}"]) from None
    language = str(row.get("language") or "python").lower()
    known = ("python", "go", "rust", "cpp", "javascript", "java")
    return Task(id=str(row["instance_id"]), suite="swebench",
                language=language if language in known else "python",  # type: ignore[arg-type]
                problem=str(row["problem_statement"]) + PROBLEM_NOTE.format(workdir=WORKDIR),
                image=str(row.get("image") or default_image(str(row["instance_id"]))),
                runner="swebench", grading=HARNESS_GRADING, workdir=WORKDIR,
                test_files=tuple(glob.escape(p) for p in test_paths),  # literal paths
                test_timeout_s=test_timeout_s, tier="medium",
                sandbox_user="root",
                metadata={"instance": row, "repo": row["repo"],
                          "base_commit": row["base_commit"], "test_paths": test_paths})


class SWEbenchSuite:
    """SWE-bench instances from ``dataset`` (a Hub name or a local file) as tasks
    (implements :class:`cladist.evaluator.contracts.Suite`). Rows are loaded on first use;
    ``rows`` gives them directly (tests)."""

    name = "swebench"

    def __init__(self, dataset: str, *, split: str = "test", revision: str | None = None,
                 seed: int = 0, test_timeout_s: int = 1800,
                 rows: list[dict[str, Any]] | None = None):
        self.dataset, self.split, self.revision = dataset, split, revision
        self.seed, self.test_timeout_s = seed, test_timeout_s
        self._rows = rows
        self._tasks: dict[str, Task] | None = None

    def _load(self) -> dict[str, Task]:
        if self._tasks is None:
            if self._rows is None:
                from cladist.evaluator.suites.swebench.adapter import load_rows

                self._rows = load_rows(self.dataset, self.split, self.revision)
            if not self._rows:
                raise NotFoundError(f"dataset {self.dataset}: no instances in split "
                                    f"{self.split!r}")
            tasks = [instance_task(r, self.test_timeout_s) for r in self._rows]
            self._tasks = {t.id: t for t in tasks}
        return self._tasks

    def tasks(self, ids: list[str] | None = None, tier: str = "all") -> list[Task]:
        """The instances named in ``ids`` (in that order), else all in the staged order.
        SWE-bench has no tiers: ``tier`` must be all (or medium). Raises NotFoundError for
        unknown ids, UsageError for another tier, and what loading the dataset raises."""
        if tier not in ("all", "medium"):
            raise UsageError(f"tier {tier!r}: SWE-bench instances have no tiers (use all)")
        known = self._load()
        if ids is None:
            return [known[i] for i in staged_order(list(known), self.seed)]
        unknown = [i for i in ids if i not in known]
        if unknown:
            sample = ", ".join(sorted(known)[:3])
            raise NotFoundError(f"SWE-bench instance {', '.join(unknown[:5])}: not in "
                                f"{self.dataset} (ids look like {sample})")
        return [known[i] for i in dict.fromkeys(ids)]

    def stages(self, sizes: Sequence[int] = (10, 50)) -> list[list[str]]:
        """The staged subsets of the whole dataset (see :func:`staged_subsets`)."""
        return staged_subsets(list(self._load()), self.seed, sizes)
