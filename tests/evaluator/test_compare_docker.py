"""``cladist compare`` end to end in Docker against the scripted model: the evolved run's
best-belief agent (it carries the skill the fake model rewards) against its seed, on tasks
the run never evaluated, repeated; the better agent is found better."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_model import EVOLVED_TASKS, respond, run_cli

from cladist.llm.testing import ScriptedLLMServer

HELD_OUT = ["py-easy-fahrenheit", "py-easy-count-vowels"]


@pytest.mark.docker
@pytest.mark.slow
def test_compare_finds_the_evolved_agent_better_on_held_out_tasks(
        evolved_run: Path, tmp_path: Path) -> None:
    runs = evolved_run.parent
    with ScriptedLLMServer(default=respond, api_key="sk-fake") as server:
        done = run_cli(tmp_path, server, EVOLVED_TASKS + HELD_OUT, "compare",
                       "--agent", f"{evolved_run}:best", "--agent", f"{evolved_run}:0",
                       "--repeats", "2", "--exclude-run", str(evolved_run),
                       "--runs-dir", str(runs), "--json")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert sorted(report["tasks"]) == sorted(HELD_OUT) and report["excluded"] == 3
    best, seed = report["agents"]
    assert (best["pass_rate"]["value"], seed["pass_rate"]["value"]) == (1.0, 0.0)
    assert best["runs"] == seed["runs"] == 4  # 2 tasks x 2 repeats
    (pair,) = report["pairs"]
    assert pair["difference"]["value"] == 1.0 and sorted(pair["wins"]) == sorted(HELD_OUT)
    assert pair["p_value"] == 0.5  # two tasks: the exact test cannot say more
    folder = Path(next(p for p in (tmp_path / "runs").iterdir() if not p.name.startswith(".")))
    assert json.loads((folder / "compare.json").read_text())["pairs"] == report["pairs"]
    assert (folder / "compare.png").is_file()
    svg = (folder / "compare.svg").read_text()
    assert 'id="pass-rate-0"' in svg and 'id="pass-rate-1"' in svg and 'id="differences"' in svg
