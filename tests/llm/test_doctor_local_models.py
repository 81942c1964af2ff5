"""``cladist doctor``'s lines about the local models: verified, installed, corrupted,
missing, each failure with a fix."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from cladist.config.shipped_models import DEFAULT_LOCAL_MODEL, SHIPPED
from cladist.llm.models import local_model_checks

QWEN = SHIPPED["qwen2.5-coder-0.5b"]


def _installed(*names: str) -> bool:
    try:
        return all(metadata.version(p) == SHIPPED[n].version
                   for n in names for p in SHIPPED[n].packages)
    except metadata.PackageNotFoundError:
        return False


pytestmark = pytest.mark.skipif(not _installed(*SHIPPED),
                                reason="the local models are not installed "
                                "(pip install 'cladist[local]')")


def test_each_shipped_model_gets_a_line(tmp_path: Path) -> None:
    checks = {c.name: c for c in local_model_checks(tmp_path)}
    assert list(checks) == [f"local model {name}" for name in SHIPPED]
    assert all(c.ok for c in checks.values())
    smollm = checks["local model smollm2-135m"]
    assert smollm.detail.startswith("verified: 0.10 GB at ")
    assert smollm.detail.endswith("SmolLM2-135M-Instruct.Q4_1.gguf" + (
        " (the default llm.local_model)" if DEFAULT_LOCAL_MODEL == "smollm2-135m" else ""))
    assert checks["local model qwen2.5-coder-0.5b"].detail == (
        f"installed: 0.49 GB in 6 chunk packages, assembled into {tmp_path / QWEN.file_name} "
        "on first use")
    assert not (tmp_path / QWEN.file_name).exists()  # the doctor assembles nothing


def test_a_corrupted_cached_model_fails_with_a_fix(tmp_path: Path) -> None:
    bad = tmp_path / QWEN.file_name
    bad.write_bytes(b"GGUF" + b"\0" * 1000)
    (check,) = [c for c in local_model_checks(tmp_path) if c.name.endswith(QWEN.name)]
    assert not check.ok
    assert check.detail == f"corrupted: {bad} is corrupted"
    assert check.fix == "delete it (rebuilt from the chunk packages on next use)"
