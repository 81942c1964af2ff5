"""``replay --keep`` of an agent that arms its work directory's git (an fsmonitor command
and a hook that would run on the host) and prints bytes that are not UTF-8: the kept work
tree holds the agent's files but no ``.git``, ``git status`` in it runs nothing, and the
replay finishes and reports normally."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from fake_model import KEY_ENV
from test_replay_docker import _cli, _pick

from cladist.archive.records import Verdict
from cladist.llm.testing import Reply, ScriptedLLMServer

pytestmark = pytest.mark.docker


def _arming_agent(marker: str) -> Any:
    arm = (f"git config core.fsmonitor 'touch {marker}' 2>/dev/null || {{ mkdir -p .git && "
           f"printf '[core]\\n\\tfsmonitor = touch {marker}\\n' > .git/config; }}; "
           f"mkdir -p .git/hooks && printf '#!/bin/sh\\ntouch {marker}\\n' > "
           ".git/hooks/post-checkout && chmod +x .git/hooks/post-checkout; "
           "mkdir -p nested/.git && printf '[core]\\n\\tfsmonitor = touch "
           f"{marker}\\n' > nested/.git/config; echo kept > kept.txt; "
           "printf 'caf\\351 \\377\\n'")  # bytes that are not UTF-8, printed

    def respond(body: dict[str, Any]) -> Reply:
        turns = sum(1 for m in body.get("messages", []) if m.get("role") == "assistant")
        if turns == 0:
            return Reply(content=None, tool_calls=(("bash", {"command": arm}),))
        return Reply(content="done", tool_calls=(("submit", {}),))
    return respond


def test_keep_never_brings_the_agents_git_to_the_host(evolved_run: Path,
                                                      tmp_path: Path) -> None:
    marker = f"/tmp/PWNED-{uuid.uuid4().hex}"
    stored = _pick(evolved_run, Verdict.PASS)
    out = tmp_path / "kept"
    with ScriptedLLMServer(default=_arming_agent(marker), api_key="sk-fake") as server:
        done = _cli(tmp_path, str(evolved_run), str(stored.node_id), "--task",
                    stored.task_id, "--live", "--json", "--out", str(out),
                    "-c", f"llm.base_url={server.openai_base_url}", env=KEY_ENV)
        assert len(server.requests) >= 2
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["mode"] == "live" and report["workspace"] == str(out)
    workdir = out / "workdir"
    assert (workdir / "kept.txt").read_text() == "kept\n"
    assert not (out / "workdir.error.txt").exists()
    assert [p for p in out.rglob(".git")] == []  # neither the top one nor the nested one
    assert (workdir / "nested").is_dir()
    for folder in (workdir, workdir / "nested"):
        subprocess.run(["git", "status"], cwd=folder, capture_output=True, env={
            **os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert not Path(marker).exists()
    assert (out / "patch.diff").is_file() and (out / "trajectory.json").is_file()
