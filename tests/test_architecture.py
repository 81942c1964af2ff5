"""The house rules that tools check: the import contracts of ``[tool.importlinter]`` in
pyproject.toml (import-linter), ruff's lint rules (with docstrings on every public thing)
on the whole code base, and mypy's types on the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def test_ruff_finds_nothing() -> None:
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "cladist", "tests", "bench"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]


def test_mypy_finds_nothing() -> None:
    done = subprocess.run([sys.executable, "-m", "mypy", "cladist"], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]


def test_no_module_imports_itself_back() -> None:
    """No import cycle between modules, function-level imports included (the floors'
    contract in pyproject.toml only orders packages)."""
    import grimp
    import networkx as nx

    graph = grimp.build_graph("cladist", cache_dir=None)
    edges = nx.DiGraph((m, i) for m in graph.modules
                       for i in graph.find_modules_directly_imported_by(m))
    cycles = sorted(sorted(c) for c in nx.strongly_connected_components(edges) if len(c) > 1)
    assert cycles == []


def test_no_module_is_too_long_to_read_in_one_sitting() -> None:
    """Modules of cladist stay under 300 lines (the agents' own code and task data aside)."""
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "cladist").rglob("*.py")
            if "agents/seed" not in p.as_posix() and "suites/bundled/" not in p.as_posix()
            and (n := len(p.read_text().splitlines())) > 300}
    assert long == {}
