"""The seed agent as a run gets it: prepared (client vendored), its own tests passing, its
files standard-library only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from cladist.agents import bundled_agents, prepare_agent

STDLIB = set(sys.stdlib_module_names)


def test_seed_is_bundled_and_prepared_with_the_client(tmp_path: Path) -> None:
    assert "seed" in bundled_agents()
    agent = prepare_agent("seed", tmp_path / "seed")
    assert (agent / "agent" / "llm_client.py").is_file()
    assert (agent / "README.md").read_text().startswith("# The cladist seed agent")
    assert not list(agent.rglob("__pycache__"))


def test_seed_agent_own_tests_pass(tmp_path: Path) -> None:
    agent = prepare_agent("seed", tmp_path / "seed")
    done = subprocess.run([sys.executable, "-m", "unittest", "discover", "-s", "tests", "-t",
                           "."], cwd=agent, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    ran = [line for line in done.stderr.splitlines() if line.startswith("Ran ")]
    assert ran and int(ran[0].split()[1]) >= 12, done.stderr[-500:]


def test_seed_agent_imports_only_the_standard_library(tmp_path: Path) -> None:
    agent = prepare_agent("seed", tmp_path / "seed")
    for source in agent.rglob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top in STDLIB or top in {"agent", "tests"}, f"{source}: imports {name}"


@pytest.mark.docker
def test_seed_agent_tests_pass_inside_the_agent_image(tmp_path: Path, docker_client,  # noqa: ANN001
                                                      base_image) -> None:  # noqa: ANN001
    from cladist.config import load_config
    from cladist.evaluator.evaluate import make_context
    from cladist.evolve.selfedit import validate
    from cladist.sandbox.contract import Limits

    context = make_context(load_config(["sandbox.backend=docker"]), gateway=None)
    agent = prepare_agent("seed", tmp_path / "seed")
    checked = validate(agent, context.open_sandbox, context.image_for("agent"),
                       Limits(memory="1g"), run_id="test-seed", node_id=0, timeout_s=120)
    assert checked.ok and checked.infra_reason is None, checked.reason
    assert "OK" in checked.output and "Ran " in checked.output


def test_the_seed_keeps_its_contract_under_bubblewrap_too(tmp_path: Path) -> None:
    """Validation's contract check (a stand-in LLM and the agent in one sandbox) works on
    the bubblewrap backend, whose commands end what they leave running."""
    import shutil

    from cladist.config import load_config
    from cladist.evaluator.evaluate import make_context
    from cladist.evolve.selfedit import validate
    from cladist.sandbox.contract import Limits

    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (scripts/provision installs it)")
    context = make_context(load_config(["sandbox.backend=bubblewrap"]), gateway=None)
    agent = prepare_agent("seed", tmp_path / "seed")
    checked = validate(agent, context.open_sandbox, context.image_for("agent"),
                       Limits(memory="1g"), run_id="test-seed-bwrap", node_id=0,
                       timeout_s=120)
    assert checked.ok and checked.infra_reason is None, checked.reason
