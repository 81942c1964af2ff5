"""Shared pytest fixtures.

Docker: tests that need an engine use the ``docker_client`` / ``base_image`` fixtures
(or are marked ``@pytest.mark.docker``, which applies the same check automatically).
Without an engine they are skipped, unless ``CLADIST_REQUIRE_DOCKER=1`` (CI), in which
case they fail with the reason. ``scripts/provision`` sets up the engine and the image.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:  # docker is imported lazily so collection works without it
    import docker

BASE_IMAGE = os.environ.get("CLADIST_BASE_IMAGE", "cladist-base:trixie")
_DOCKER_FIXTURES = frozenset({"docker_client", "base_image"})


def docker_required() -> bool:
    """True when Docker tests must run (CI): a missing engine is a failure, not a skip."""
    return os.environ.get("CLADIST_REQUIRE_DOCKER") == "1"


def _unavailable(reason: str) -> NoReturn:
    if docker_required():
        pytest.fail(f"{reason} (CLADIST_REQUIRE_DOCKER=1, so this is a failure)", pytrace=False)
    pytest.skip(f"{reason}; run scripts/provision (set CLADIST_REQUIRE_DOCKER=1 to fail instead)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test using the Docker fixtures is a Docker test: mark it so `-m "not docker"`
    # deselects it.
    for item in items:
        if _DOCKER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            if item.get_closest_marker("docker") is None:
                item.add_marker(pytest.mark.docker)


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """A connected ``docker.DockerClient``; skips (or fails under CI) without an engine."""
    try:
        import docker
    except ImportError as exc:
        _unavailable(f"the docker Python package is not installed ({exc})")
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except Exception as exc:  # DockerException, requests errors, bad DOCKER_HOST...
        _unavailable(f"no Docker engine answers ({type(exc).__name__}: {exc})")
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def base_image(docker_client: docker.DockerClient) -> str:
    """Name of the sandbox base image, after checking the engine has it."""
    import docker

    try:
        docker_client.images.get(BASE_IMAGE)
    except docker.errors.ImageNotFound:
        _unavailable(f"Docker image {BASE_IMAGE} is missing (build it: scripts/build-base-image)")
    except docker.errors.DockerException as exc:
        _unavailable(f"cannot inspect Docker image {BASE_IMAGE} ({exc})")
    return BASE_IMAGE


@pytest.fixture(autouse=True)
def _require_docker_for_marked_tests(request: pytest.FixtureRequest) -> None:
    """Tests marked ``docker`` get the engine check even if they take no Docker fixture."""
    if request.node.get_closest_marker("docker") is not None:
        request.getfixturevalue("docker_client")


@pytest.fixture(scope="session")
def evolved_run(tmp_path_factory: pytest.TempPathFactory, docker_client: docker.DockerClient,
                base_image: str) -> Path:
    """Folder of one real evolution run, made once per test session: ``cladist run`` in a
    subprocess, in Docker, against the fake model of ``tests/support/fake_model.py`` (the
    seed fails every task, its validated child passes them). 6 evaluations, 4 expansions;
    the command's stdout is in ``cli-output.txt`` two levels above the run folder.

    Read-only by convention: a test that changes the run copies the folder first."""
    from fake_model import EVOLVED_TASKS, respond, run_cli

    from cladist.archive.run import resolve_run
    from cladist.llm.testing import ScriptedLLMServer

    cwd = tmp_path_factory.mktemp("evolved")
    with ScriptedLLMServer(default=respond, api_key="sk-fake") as server:
        done = run_cli(cwd, server, EVOLVED_TASKS, "run", "-c", "run.name=e2e",
                       "-c", "budget.task_evaluations=6", "-c", "budget.expansions=4")
    if done.returncode != 0:
        pytest.fail("the shared evolution run failed:\n" + done.stdout[-3000:]
                    + done.stderr[-3000:], pytrace=False)
    path = resolve_run("e2e", cwd / "runs")
    (cwd / "cli-output.txt").write_text(done.stdout)  # beside runs/, for assertions
    return path
