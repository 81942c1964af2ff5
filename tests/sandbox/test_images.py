"""Image recipes: hashing, staleness and building (with a tiny recipe, never the heavy
ones), and the npm tools the node image bakes in."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
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
from cladist.sandbox.npm_tools import NpmInstallError, lock_digest, node_modules

if TYPE_CHECKING:
    import docker

PACKAGES = {"agent": ["python3", "git", "bash"], "python": ["python3-pytest"],
            "go": ["golang-go"], "rust": ["rustc", "cargo"],
            "cpp": ["g++", "cmake", "make", "libboost-date-time-dev"], "node": ["nodejs"],
            "java": ["default-jdk-headless", "junit5", "libassertj-core-java"]}


def test_bundled_recipes_cover_the_agent_and_every_language() -> None:
    recipes = bundled_recipes()
    assert set(recipes) == set(PACKAGES)
    for name, packages in PACKAGES.items():
        text = recipes[name].dockerfile
        assert "ARG BASE" in text and "FROM ${BASE}" in text
        assert all(package in text.split() for package in packages), name
        assert "useradd" in text and "/workspace" in text  # non-root user, workdir


def test_the_node_recipe_pins_the_javascript_test_tools_in_its_lock() -> None:
    node = bundled_recipes()["node"]
    assert node.context is not None and (node.context / "package-lock.json").is_file()
    pinned = json.loads((node.context / "package.json").read_text())["devDependencies"]
    assert {"jest", "babel-jest", "@babel/core", "@exercism/babel-preset-javascript"} <= \
        set(pinned)
    assert all(version[0].isdigit() for version in pinned.values())  # exact versions
    assert "COPY context/ /opt/cladist-js/" in node.dockerfile


def test_digest_covers_the_recipe_files(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text("{}")
    with_files = Recipe("x", "FROM ${BASE}\n", tmp_path)
    before = with_files.digest("base")
    assert before != Recipe("x", "FROM ${BASE}\n").digest("base")
    (tmp_path / "package.json").write_text('{"a": 1}')
    assert with_files.digest("base") != before


def test_npm_tools_are_installed_once_per_lock_or_fail_in_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A lock naming no package installs offline; the folder is reused for the same lock;
    without npm on PATH the error says what to install."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed (scripts/provision installs it)")
    monkeypatch.setenv("CLADIST_NPM_CACHE", str(tmp_path / "cache"))
    source = tmp_path / "tools"
    source.mkdir()
    (source / "package.json").write_text('{"name": "t", "version": "1.0.0", "private": true}')
    (source / "package-lock.json").write_text(json.dumps({
        "name": "t", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
        "packages": {"": {"name": "t", "version": "1.0.0"}}}))
    made = node_modules(source)
    assert made.is_dir() and made.parent.name == lock_digest(source)
    assert node_modules(source) == made
    (source / "package.json").write_text('{"name": "t", "version": "1.0.1", "private": true}')
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(NpmInstallError, match="apt-get install -y npm"):
        node_modules(source)


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
