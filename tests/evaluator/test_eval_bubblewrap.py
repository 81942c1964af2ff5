"""`cladist eval` of the seed agent on the bundled suite with ``sandbox.backend=bubblewrap``
as root (each sandbox its own uid), driven by a scripted model that writes each task's
reference solution: every task whose toolchain the host has is scored pass, end to end."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fake_model import _solution_calls

from cladist.evaluator.suites.bundled import BundledSuite
from cladist.llm.testing import Reply, ScriptedLLMServer

PROBES = {"python": "/usr/bin/python3 -I -c 'import pytest'", "go": "/usr/bin/go version",
          "rust": "/usr/bin/cargo --version", "cpp": "/usr/bin/cmake --version",
          "javascript": "/usr/bin/node --version"}


def _solver(body: dict[str, Any]) -> Reply:
    """Writes the reference solution of the task in the problem, one file per reply, then
    submits."""
    messages = body.get("messages", [])
    first_user = str(messages[1].get("content", "")) if len(messages) > 1 else ""
    turns = sum(1 for m in messages if m.get("role") == "assistant")
    calls = _solution_calls(first_user)
    if turns < len(calls):
        return Reply(content=None, tool_calls=(calls[turns],))
    return Reply(content="done", tool_calls=(("submit", {}),))


@pytest.mark.slow
def test_seed_agent_on_the_bundled_suite_with_bubblewrap_as_root(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("this checks bubblewrap run as root (a uid per sandbox)")
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (scripts/provision installs it)")
    have = {lang for lang, probe in PROBES.items()
            if subprocess.run(["sh", "-c", probe], capture_output=True).returncode == 0}
    if "python" not in have:
        pytest.skip("the host has no python3-pytest for bubblewrap grading")
    tasks = [t.id for t in BundledSuite().tasks() if t.language in have]
    with ScriptedLLMServer(default=_solver, api_key="sk-bw") as server:
        done = subprocess.run(
            [sys.executable, "-m", "cladist", "eval", "--agent", "seed", "--suite", "bundled",
             "--tasks", ",".join(tasks), "--json", "--workers", "2",
             "-c", "sandbox.backend=bubblewrap", "-c", "llm.provider=openai",
             "-c", f"llm.base_url={server.openai_base_url}", "-c", "llm.api_key_env=BW_KEY",
             "-c", "evaluator.agent_timeout_s=120"],
            cwd=tmp_path, capture_output=True, text=True, timeout=1500,
            env={**os.environ, "BW_KEY": "sk-bw"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads(done.stdout)
    failed = {task: [(r["verdict"], r.get("infra_reason")) for r in results]
              for task, results in report["tasks"].items()
              if [r["verdict"] for r in results] != ["pass"]}
    assert not failed, failed
    assert report["scored"] == len(tasks) and report["pass@1"] == 1.0
    skipped = sorted(set(PROBES) - have)
    print(f"bubblewrap e2e: {len(tasks)} tasks passed; languages without a host toolchain: "
          f"{skipped or 'none'}")
