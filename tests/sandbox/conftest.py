"""Fixtures of the sandbox suites: a ``backend`` parameter and a sandbox factory.

Every behaviour test runs on both backends; ``sandbox_helpers.KNOWN_DIFFERENCES`` lists,
per backend, where it departs from the common behaviour.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sandbox_helpers import BACKEND_PARAMS, SandboxFactory

from cladist.sandbox import Limits, Sandbox, SandboxSpec, open_sandbox


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the Docker half of the parametrized suites ``docker`` (``-m "not docker"``)."""
    here = Path(__file__).parent
    for item in items:
        callspec = getattr(item, "callspec", None)
        if (callspec is not None and callspec.params.get("backend") == "docker"
                and here in Path(str(item.path)).parents):
            item.add_marker(pytest.mark.docker)


@pytest.fixture(params=BACKEND_PARAMS)
def backend(request: pytest.FixtureRequest) -> str:
    """Name of the backend under test; Docker requests the engine (skip/fail without)."""
    if request.param == "docker":
        request.getfixturevalue("docker_client")
        request.getfixturevalue("base_image")
    return str(request.param)


@pytest.fixture
def shared_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temp dir other uids can traverse (bubblewrap drops to a fresh uid, which cannot
    enter pytest's private ``tmp_path``); bubblewrap sandboxes live in it too."""
    folder = Path(tempfile.mkdtemp(prefix="cladist-tests-"))
    folder.chmod(0o711)
    monkeypatch.setenv("CLADIST_SANDBOX_TMP", str(folder))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def make_sandbox(request: pytest.FixtureRequest, backend: str, shared_tmp: Path
                 ) -> Iterator[SandboxFactory]:
    """Open sandboxes of the current backend (closed at teardown): ``make_sandbox(**spec)``.

    Keyword ``limits`` may be a dict of :class:`Limits` fields.
    """
    opened: list[Sandbox] = []
    client = request.getfixturevalue("docker_client") if backend == "docker" else None

    def make(**fields: object) -> Sandbox:
        limits = fields.pop("limits", None)
        spec = SandboxSpec(run_id="test", role="test", **fields)  # type: ignore[arg-type]
        if isinstance(limits, dict):
            spec = replace(spec, limits=replace(Limits(), **limits))
        sandbox = open_sandbox(spec, backend, client=client)
        opened.append(sandbox)
        return sandbox

    try:
        yield make
    finally:
        for sandbox in opened:
            sandbox.close()


@pytest.fixture
def sandbox(make_sandbox: SandboxFactory) -> Sandbox:
    """One sandbox with default limits."""
    return make_sandbox()
