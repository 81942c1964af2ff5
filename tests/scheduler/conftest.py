"""Fixtures for scheduler tests: a real run folder (SQLite archive, git repository)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cladist.agents import seed_path
from cladist.archive.run import Run
from cladist.config import load_config


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    """A fresh run with the bundled seed agent as its root node."""
    cfg = load_config([f"run.runs_dir={tmp_path / 'runs'}", "archive.sqlite_synchronous=NORMAL"])
    with Run.create(cfg, seed_path(cfg.run.seed_agent)) as created:
        yield created
