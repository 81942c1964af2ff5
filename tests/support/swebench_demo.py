"""A tiny SWE-bench of our own: a Python repository with two bugs, two instances in the
swebench 5.x format (image, eval_script, log_parser, eval_type), and their images built
locally FROM the base image, so the real harness grades offline.

- ``demo__calc-1``: ``add`` subtracts; FAIL_TO_PASS ``tests/test_ops.py::test_add`` (the
  test patch edits an existing test file);
- ``demo__calc-2``: ``clamp`` ignores its upper bound; FAIL_TO_PASS
  ``tests/test_clamp.py::test_clamp_high`` (the test patch adds a file).
Both keep ``tests/test_ops.py::test_sub`` passing (PASS_TO_PASS) and share one base commit
and one image (tagged once per instance). :func:`unittest_row` makes a third instance, run
by unittest and read by the harness's Django parser.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OPS = '''def add(a, b):
    return a - b


def sub(a, b):
    return a - b


def clamp(value, low, high):
    return max(low, value)
'''
TEST_OPS = '''from calc.ops import sub


def test_sub():
    assert sub(5, 3) == 2
'''
FIX_ADD = ("def add(a, b):\n    return a - b", "def add(a, b):\n    return a + b")
FIX_CLAMP = ("return max(low, value)", "return min(high, max(low, value))")
TEST_ADD = "\n\ndef test_add():\n    from calc.ops import add\n    assert add(2, 3) == 5\n"
TEST_CLAMP = ("from calc.ops import clamp\n\n\ndef test_clamp_high():\n"
              "    assert clamp(10, 0, 5) == 5\n")
# The same RUN line as cladist's python image recipe: the layer cache makes it instant.
DOCKERFILE = """ARG BASE=cladist-base:trixie
FROM ${{BASE}}
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
RUN apt-get update \\
 && apt-get install -y --no-install-recommends python3 python3-pytest git bash procps \\
 && rm -rf /var/lib/apt/lists/*
COPY testbed /testbed
WORKDIR /testbed
LABEL cladist.test=swebench-demo
# the harness stops its container with `docker stop`: no 15 s wait for tail to ignore TERM
STOPSIGNAL SIGKILL
"""
EVAL_SCRIPT = """#!/bin/bash
set -uxo pipefail
cd /testbed
git config --global --add safe.directory /testbed
git checkout {base} {tests}
git apply -v - <<'EOF_114329324912'
{test_patch}
EOF_114329324912
: '>>>>> Start Test Output'
python3 -m pytest -rA -p no:cacheprovider {tests}
: '>>>>> End Test Output'
git checkout {base} {tests}
"""
PROBLEMS = {
    "demo__calc-1": "`calc.ops.add(2, 3)` returns -1 instead of 5: add subtracts.",
    "demo__calc-2": "`calc.ops.clamp(10, 0, 5)` returns 10: clamp ignores its upper bound.",
}
GIT_ENV = {"GIT_AUTHOR_NAME": "demo", "GIT_AUTHOR_EMAIL": "demo@example.com",
           "GIT_COMMITTER_NAME": "demo", "GIT_COMMITTER_EMAIL": "demo@example.com",
           "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
           "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z"}


def image_name(instance_id: str) -> str:
    """The local image of an instance (the published naming, under our own namespace)."""
    return f"cladist-test/sweb.eval.x86_64.{instance_id.replace('__', '_1776_')}:latest"


@dataclass
class Demo:
    """The demo dataset: its file, its rows (by id) and the repository folder."""

    dataset: Path
    rows: dict[str, dict[str, Any]]
    repo: Path

    def gold(self, instance_id: str) -> str:
        """The gold patch of an instance."""
        return str(self.rows[instance_id]["patch"])

    def diff(self, edits: dict[str, tuple[str, str] | str]) -> str:
        """A patch of the base commit: ``edits`` maps a path to an (old, new) replacement
        or to the file's new content."""
        return _diff_of(self.repo, edits)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True, env={**os.environ, **GIT_ENV}).stdout


def _diff_of(repo: Path, edits: dict[str, tuple[str, str] | str]) -> str:
    """The diff of applying ``edits`` (path: (old, new) replacement, or new content)."""
    for path, edit in edits.items():
        file = repo / path
        if isinstance(edit, tuple):
            file.write_text(file.read_text().replace(*edit))
        else:
            file.write_text(edit)
    _git(repo, "add", "-A")
    diff = _git(repo, "diff", "--cached")
    _git(repo, "reset", "-q", "--hard")
    return diff


def make_demo(root: Path) -> Demo:
    """Write the repository and the dataset (``dataset.json``) under ``root``."""
    repo = root / "testbed"
    (repo / "calc").mkdir(parents=True)
    (repo / "tests").mkdir()
    (repo / "calc" / "__init__.py").write_text("")
    (repo / "calc" / "ops.py").write_text(OPS)
    (repo / "tests" / "test_ops.py").write_text(TEST_OPS)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    base = _git(repo, "rev-parse", "HEAD").strip()
    specs = {
        "demo__calc-1": ({"calc/ops.py": FIX_ADD},
                         {"tests/test_ops.py": TEST_OPS + TEST_ADD}, "tests/test_ops.py::test_add",
                         "tests/test_ops.py"),
        "demo__calc-2": ({"calc/ops.py": FIX_CLAMP}, {"tests/test_clamp.py": TEST_CLAMP},
                         "tests/test_clamp.py::test_clamp_high",
                         "tests/test_ops.py tests/test_clamp.py"),
    }
    rows = {}
    for iid, (fix, tests, f2p, test_files) in specs.items():
        test_patch = _diff_of(repo, tests)  # type: ignore[arg-type]
        rows[iid] = {
            "instance_id": iid, "repo": "demo/calc", "base_commit": base,
            "patch": _diff_of(repo, fix), "test_patch": test_patch,  # type: ignore[arg-type]
            "problem_statement": PROBLEMS[iid], "hints_text": "", "created_at": "2024-01-01",
            "version": "0.1", "environment_setup_commit": base,
            "FAIL_TO_PASS": json.dumps([f2p]),
            "PASS_TO_PASS": json.dumps(["tests/test_ops.py::test_sub"]),
            "image": image_name(iid), "log_parser": "parse_log_pytest",
            "eval_type": "pass_and_fail",
            "eval_script": EVAL_SCRIPT.format(base=base, tests=test_files,
                                              test_patch=test_patch.rstrip("\n")),
        }
    dataset = root / "dataset.json"
    dataset.write_text(json.dumps(list(rows.values()), indent=1))
    return Demo(dataset, rows, repo)


TEST_UNIT = '''import unittest

from calc.ops import add, sub


class TestOps(unittest.TestCase):
    def test_add(self):
        self.assertEqual(add(2, 3), 5)

    def test_sub(self):
        """Subtraction still works."""
        self.assertEqual(sub(5, 3), 2)
'''
UNITTEST_F2P = "test_add (tests.test_unit.TestOps.test_add)"
UNITTEST_P2P = "Subtraction still works."
"""How the Django parser names a test whose docstring the verbose runner prints."""


def unittest_row(demo: Demo) -> dict[str, Any]:
    """``demo__calc-3``: demo__calc-1's bug under unittest's verbose runner, read by the
    harness's Django parser (as Django's ``runtests.py`` output is), in demo__calc-1's
    image. Not in the dataset file."""
    row = demo.rows["demo__calc-1"]
    test_patch = demo.diff({"tests/test_unit.py": TEST_UNIT})
    script = EVAL_SCRIPT.format(base=row["base_commit"], tests="tests/test_unit.py",
                                test_patch=test_patch.rstrip("\n"))
    script = script.replace("python3 -m pytest -rA -p no:cacheprovider tests/test_unit.py",
                            "python3 -m unittest -v tests.test_unit")
    return {**row, "instance_id": "demo__calc-3", "test_patch": test_patch,
            "FAIL_TO_PASS": json.dumps([UNITTEST_F2P]),
            "PASS_TO_PASS": json.dumps([UNITTEST_P2P]), "log_parser": "parse_log_django",
            "eval_script": script}


def build_images(client: Any, base: str, demo: Demo, context: Path) -> None:
    """Build the demo image once and tag it for every instance."""
    context.mkdir(parents=True, exist_ok=True)
    shutil.copytree(demo.repo, context / "testbed", symlinks=True, dirs_exist_ok=True)
    (context / "Dockerfile").write_text(DOCKERFILE.format())
    first, *others = [image_name(i) for i in demo.rows]
    image, _ = client.images.build(path=str(context), tag=first, rm=True,
                                   buildargs={"BASE": base})
    for name in others:
        repository, tag = name.rsplit(":", 1)
        image.tag(repository, tag)
