"""Fixtures for archive tests: real run folders with real SQLite files and git repos."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cladist.archive.run import Run
from cladist.config import load_config


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    """A fresh run with the bundled seed agent as its root node."""
    cfg = load_config([f"run.runs_dir={tmp_path / 'runs'}", "archive.sqlite_synchronous=NORMAL"])
    with Run.create(cfg) as created:
        yield created
