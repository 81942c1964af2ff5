"""Smoke tests: the Docker engine runs the cladist base image, offline and as non-root."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import docker

pytestmark = pytest.mark.docker

LABELS = {"cladist.role": "smoke-test"}
_created: list[str] = []  # names of containers these tests created


def run_in_container(
    client: docker.DockerClient, image: str, command: list[str], timeout: float = 60, **kwargs
) -> tuple[int, str]:
    """Run ``command`` in a fresh network-less container; return (exit code, output).

    The container is removed whatever happens (even if waiting times out).
    """
    container = client.containers.create(
        image,
        command,
        name=f"cladist-smoke-{uuid.uuid4().hex[:12]}",
        network_mode="none",
        labels=LABELS,
        **kwargs,
    )
    _created.append(container.name)
    try:
        container.start()
        status = container.wait(timeout=timeout)
        output = container.logs(stdout=True, stderr=True).decode(errors="replace")
        return int(status["StatusCode"]), output
    finally:
        container.remove(force=True)


def test_base_image_runs_python3(docker_client: docker.DockerClient, base_image: str) -> None:
    code, output = run_in_container(
        docker_client,
        base_image,
        ["python3", "-c", "import sys; print(sys.version_info[:2])"],
    )
    assert code == 0, output
    assert output.strip().startswith("(3, "), output


def test_base_image_runs_as_agent_user(docker_client: docker.DockerClient, base_image: str) -> None:
    code, output = run_in_container(
        docker_client,
        base_image,
        ["sh", "-c", 'id -u; id -un; touch "$HOME/probe" && echo home-writable'],
        user="agent",
    )
    assert code == 0, output
    assert output.split() == ["1000", "agent", "home-writable"], output


def test_containers_are_removed_even_on_failure(
    docker_client: docker.DockerClient, base_image: str
) -> None:
    import requests

    code, output = run_in_container(
        docker_client, base_image, ["sh", "-c", "echo boom >&2; exit 3"]
    )
    assert (code, output.strip()) == (3, "boom")
    # Waiting times out -> exception; the finally clause must still remove the container.
    with pytest.raises(requests.exceptions.RequestException):
        run_in_container(docker_client, base_image, ["sleep", "30"], timeout=1)
    left = docker_client.containers.list(all=True, filters={"label": "cladist.role=smoke-test"})
    assert not {c.name for c in left} & set(_created), left
