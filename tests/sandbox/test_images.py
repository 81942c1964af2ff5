"""Image recipes: hashing, staleness and building (with a tiny recipe, never the heavy ones)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from cladist.errors import UsageError
from cladist.sandbox.images import (
    LABEL_RECIPE,
    ImageBuildError,
    Recipe,
    build_images,
    bundled_recipes,
    image_status,
    image_tag,
    select,
)

if TYPE_CHECKING:
    import docker

PACKAGES = {"agent": ["python3", "git", "bash"], "python": ["python3-pytest"],
            "go": ["golang-go"], "rust": ["rustc", "cargo"],
            "cpp": ["g++", "cmake", "make", "libboost-date-time-dev"], "node": ["nodejs"]}


def test_bundled_recipes_cover_the_agent_and_every_language() -> None:
    recipes = bundled_recipes()
    assert set(recipes) == set(PACKAGES)
    for name, packages in PACKAGES.items():
        text = recipes[name].dockerfile
        assert "ARG BASE" in text and "FROM ${BASE}" in text
        assert all(package in text.split() for package in packages), name
        assert "useradd" in text and "/workspace" in text  # non-root user, workdir


def test_digest_depends_on_recipe_name_and_base_only() -> None:
    one = Recipe("x", "FROM ${BASE}\nRUN true\n")
    assert one.digest("base-a") == Recipe("x", one.dockerfile).digest("base-a")
    assert one.digest("base-a") != one.digest("base-b")
    assert one.digest("base-a") != Recipe("x", one.dockerfile + "RUN true\n").digest("base-a")
    assert one.digest("base-a") != Recipe("y", one.dockerfile).digest("base-a")
    assert len(one.digest("base-a")) == 12


def test_select_keeps_order_and_refuses_unknown_names() -> None:
    recipes = bundled_recipes()
    assert [r.name for r in select(recipes, ["node", "agent"])] == ["node", "agent"]
    assert [r.name for r in select(recipes, None)] == sorted(recipes)
    with pytest.raises(UsageError, match="unknown image nope"):
        select(recipes, ["agent", "nope"])


@pytest.fixture
def tiny_name(docker_client: docker.DockerClient) -> Iterator[str]:
    """A unique recipe name; its images are removed afterwards."""
    name = f"tiny{uuid.uuid4().hex[:8]}"
    try:
        yield name
    finally:
        for image in docker_client.images.list(filters={"label": f"{LABEL_RECIPE}={name}"}):
            docker_client.images.remove(image.id, force=True)


def tiny(name: str, version: str) -> dict[str, Recipe]:
    return {name: Recipe(name, f"ARG BASE\nFROM ${{BASE}}\nRUN echo {version} > /version\n")}


def test_build_skips_unchanged_and_marks_changed_recipes_stale(
        docker_client: docker.DockerClient, base_image: str, tiny_name: str) -> None:
    v1 = tiny(tiny_name, "v1")
    assert [i.state for i in image_status(docker_client, base_image, v1)] == ["missing"]
    first = list(build_images(docker_client, base_image, recipes=v1))
    assert [(o.built, o.tag) for o in first] == [(True, image_tag(v1[tiny_name], docker_client,
                                                                  base_image))]
    assert [i.state for i in image_status(docker_client, base_image, v1)] == ["present"]
    again = list(build_images(docker_client, base_image, recipes=v1))
    assert [(o.built, o.seconds) for o in again] == [(False, 0.0)]  # never rebuilt

    v2 = tiny(tiny_name, "v2")
    assert [i.state for i in image_status(docker_client, base_image, v2)] == ["stale"]
    second = list(build_images(docker_client, base_image, recipes=v2))
    assert second[0].built and second[0].tag != first[0].tag
    out = docker_client.containers.run(second[0].tag, ["cat", "/version"], remove=True,
                                       network_mode="none")
    assert out == b"v2\n"


def test_a_failing_recipe_raises_image_build_error(
        docker_client: docker.DockerClient, base_image: str, tiny_name: str) -> None:
    broken = {tiny_name: Recipe(tiny_name, "ARG BASE\nFROM ${BASE}\nRUN echo boom && false\n")}
    with pytest.raises(ImageBuildError, match=f"image {tiny_name} failed"):
        list(build_images(docker_client, base_image, recipes=broken))
    with pytest.raises(ImageBuildError):
        list(build_images(docker_client, "cladist-no-such-base:never",
                          recipes=tiny(tiny_name, "x")))
