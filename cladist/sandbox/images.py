"""Sandbox images: recipes shipped in ``cladist/sandbox/images/*.Dockerfile``, built on demand.

Images: ``agent`` (the agent runtime: python3, git, bash; standard library only) and the
per-language task images ``python`` (pytest), ``go``, ``rust`` (cargo), ``cpp`` (g++, cmake,
boost date-time) and ``node``. Each is tagged ``cladist-<name>:<hash>`` where the hash
covers the recipe text and the base image (its id when the engine knows it), so an
unchanged recipe on an unchanged base is never rebuilt, and a changed one shows as
*stale* in :func:`image_status`.

Every recipe starts ``FROM ${BASE}`` and installs from Debian's current stable release,
trixie (Go 1.24, rustc 1.85, g++ 14, OpenJDK 21, Node 20), with apt. The default base is
``cladist-base:trixie`` (built offline by ``scripts/build-base-image``); where a registry
is reachable, pass an official image instead, e.g.
``cladist images build --base debian:trixie-slim``.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cladist import scratch
from cladist.errors import CladistError, UsageError
from cladist.sandbox.contract import DEFAULT_IMAGE

if TYPE_CHECKING:
    import docker

DEFAULT_BASE = DEFAULT_IMAGE
LABEL_RECIPE, LABEL_HASH = "cladist.recipe", "cladist.recipe-hash"
ImageState = Literal["present", "stale", "missing"]


class ImageBuildError(CladistError):
    """An image failed to build; the message holds the last lines of the build log."""


@dataclass(frozen=True)
class Recipe:
    """One image recipe: its name, Dockerfile text and the folder of files it copies in
    (``context``, reached in the Dockerfile as ``context/``; None: no files). A context
    holding a ``package-lock.json`` also gets the ``node_modules`` it pins
    (:mod:`cladist.sandbox.npm_tools`)."""

    name: str
    dockerfile: str
    context: Path | None = None

    def digest(self, base_ref: str) -> str:
        """12 hex digits identifying this recipe on this base (``base_ref``: id or name)."""
        digest = hashlib.sha256(f"{self.name}\0{base_ref}\0{self.dockerfile}".encode())
        folder = self.context
        for path in sorted(folder.rglob("*")) if folder else ():
            if folder and path.is_file():
                digest.update(f"\0{path.relative_to(folder).as_posix()}\0".encode())
                digest.update(path.read_bytes())
        return digest.hexdigest()[:12]


@dataclass(frozen=True)
class ImageInfo:
    """Where an image stands: its expected tag and whether it exists or is stale."""

    name: str
    tag: str
    state: ImageState


@dataclass(frozen=True)
class BuildOutcome:
    """What building one image did: built (with seconds) or skipped as present."""

    name: str
    tag: str
    built: bool
    seconds: float


def bundled_recipes() -> dict[str, Recipe]:
    """The recipes shipped with cladist, by name (``images/<name>.Dockerfile``, with the
    folder ``images/<name>/`` as its context when there is one)."""
    folder = Path(str(resources.files("cladist.sandbox") / "images"))
    recipes = {}
    for entry in folder.glob("*.Dockerfile"):
        name = entry.name.removesuffix(".Dockerfile")
        context = folder / name
        recipes[name] = Recipe(name, entry.read_text(), context if context.is_dir() else None)
    return recipes


def select(recipes: dict[str, Recipe], only: list[str] | None) -> list[Recipe]:
    """The recipes named in ``only`` (all if empty). Raises UsageError for an unknown name."""
    if not only:
        return [recipes[name] for name in sorted(recipes)]
    unknown = [name for name in only if name not in recipes]
    if unknown:
        raise UsageError(f"unknown image {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(recipes))})")
    return [recipes[name] for name in only]


def base_ref(client: docker.DockerClient, base: str) -> str:
    """The base image's id if the engine has it, else its name (it will be pulled)."""
    import docker as docker_sdk

    try:
        return str(client.images.get(base).id)
    except docker_sdk.errors.ImageNotFound:
        return base


def image_tag(recipe: Recipe, client: docker.DockerClient, base: str = DEFAULT_BASE) -> str:
    """``cladist-<name>:<hash>``, the tag ``recipe`` built on ``base`` gets."""
    return f"cladist-{recipe.name}:{recipe.digest(base_ref(client, base))}"


def image_status(client: docker.DockerClient, base: str = DEFAULT_BASE,
                 recipes: dict[str, Recipe] | None = None) -> list[ImageInfo]:
    """present / stale (an older build exists) / missing, for each recipe.

    Raises docker.errors.DockerException if the engine fails.
    """
    import docker as docker_sdk

    infos = []
    for recipe in select(recipes or bundled_recipes(), None):
        tag = image_tag(recipe, client, base)
        try:
            client.images.get(tag)
            state: ImageState = "present"
        except docker_sdk.errors.ImageNotFound:
            older = client.images.list(filters={"label": f"{LABEL_RECIPE}={recipe.name}"})
            state = "stale" if older else "missing"
        infos.append(ImageInfo(recipe.name, tag, state))
    return infos


def build_images(client: docker.DockerClient, base: str = DEFAULT_BASE,
                 only: list[str] | None = None, recipes: dict[str, Recipe] | None = None,
                 force: bool = False) -> Iterator[BuildOutcome]:
    """Build the selected images that are not present (all of them, without the layer
    cache, with ``force``).

    Raises UsageError (unknown name), ImageBuildError (a build failed: the base is missing
    and cannot be pulled, apt failed, the engine went away...). A generator: each outcome is
    yielded as soon as that image is done.
    """
    for recipe in select(recipes or bundled_recipes(), only):
        tag = image_tag(recipe, client, base)
        if not force and _exists(client, tag):
            yield BuildOutcome(recipe.name, tag, built=False, seconds=0.0)
            continue
        started = time.monotonic()
        _build_one(client, recipe, tag, base, nocache=force)
        yield BuildOutcome(recipe.name, tag, True, time.monotonic() - started)


def _copy_context(recipe: Recipe, dest: Path) -> None:
    """The recipe's context files (and the node_modules its lock pins) into ``dest``.
    Raises ImageBuildError when npm cannot install them."""
    from cladist.sandbox.npm_tools import LOCK, NpmInstallError, node_modules

    dest.mkdir()
    if recipe.context is None:
        return
    shutil.copytree(recipe.context, dest, dirs_exist_ok=True)
    if (recipe.context / LOCK).is_file():
        try:
            shutil.copytree(node_modules(recipe.context), dest / "node_modules", symlinks=True)
        except NpmInstallError as err:
            raise ImageBuildError(f"image {recipe.name}: {err}") from None


def _exists(client: docker.DockerClient, tag: str) -> bool:
    import docker as docker_sdk

    try:
        client.images.get(tag)
        return True
    except docker_sdk.errors.ImageNotFound:
        return False


def _build_one(client: docker.DockerClient, recipe: Recipe, tag: str, base: str,
               nocache: bool = False) -> None:
    import docker as docker_sdk
    import requests

    labels = {LABEL_RECIPE: recipe.name, LABEL_HASH: tag.rsplit(":", 1)[1]}
    with scratch.temporary("build") as context:
        (Path(context) / "Dockerfile").write_text(recipe.dockerfile)
        _copy_context(recipe, Path(context) / "context")
        try:
            client.images.build(path=context, tag=tag, buildargs={"BASE": base},
                                labels=labels, rm=True, forcerm=True, pull=False,
                                nocache=nocache)
        except docker_sdk.errors.BuildError as exc:
            tail = [str(c.get("stream") or c.get("error") or "").strip() for c in exc.build_log]
            lines = [line for line in tail if line][-5:]
            raise ImageBuildError(f"image {recipe.name} failed to build on {base}: "
                                  f"{exc.msg}; last lines: {' | '.join(lines)}") from None
        except docker_sdk.errors.APIError as exc:
            raise ImageBuildError(f"image {recipe.name}: the engine refused the build on "
                                  f"{base} ({exc.explanation or exc}); is the base present? "
                                  "(scripts/build-base-image)") from None
        except (docker_sdk.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise ImageBuildError(f"image {recipe.name}: lost the Docker engine during the "
                                  f"build ({type(exc).__name__}); check it with "
                                  "`cladist doctor` and build again") from None
