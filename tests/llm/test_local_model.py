"""The embedded ``local`` provider: llama.cpp's server with a shipped GGUF file.

These tests need any answer fast, so they use SmolLM2-135M whatever the default model is.
Skips (with the reason) when llama-cpp-python is not installed: CI installs ``.[local]``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cladist.config import LLMConfig
from cladist.config.shipped_models import DEFAULT_LOCAL_MODEL, SHIPPED
from cladist.llm.contracts import ChatRequest, ContextLengthError
from cladist.llm.local import (
    LocalModelError,
    LocalModelServer,
    LocalProvider,
    default_model_path,
    llama_cpp_missing,
)
from cladist.llm.models import resolve_local_model

FAST_MODEL = "smollm2-135m"

pytestmark = pytest.mark.skipif(llama_cpp_missing() is not None,
                                reason=f"local model unavailable: {llama_cpp_missing()}")


@pytest.fixture(scope="module")
def local() -> Iterator[LocalProvider]:
    from cladist.llm.factory import make_provider

    provider = make_provider(LLMConfig(provider="local", local_model=FAST_MODEL, max_tokens=16))
    assert isinstance(provider, LocalProvider)
    yield provider
    provider.close()


def test_model_file_is_found_without_importing_the_package() -> None:
    import sys

    path = default_model_path()
    assert path == resolve_local_model(DEFAULT_LOCAL_MODEL)
    assert path.suffix == ".gguf" and path.stat().st_size == SHIPPED[DEFAULT_LOCAL_MODEL].file.size
    assert not any(p.replace("-", "_") in sys.modules
                   for p in SHIPPED[DEFAULT_LOCAL_MODEL].packages)


@pytest.mark.slow
def test_local_model_answers(local: LocalProvider) -> None:
    result = local.chat(ChatRequest([{"role": "user", "content": "Say hello."}],
                                    params={"temperature": 0}))
    assert result.content and result.usage.output_tokens > 0
    assert result.cost_usd == 0.0 and result.provider == "local"
    assert result.model == "smollm2-135m-instruct" and local.server.running


def test_local_context_overflow_is_classified(local: LocalProvider) -> None:
    with pytest.raises(ContextLengthError, match="context length exceeded"):
        local.chat(ChatRequest([{"role": "user", "content": "word " * 12000}]))  # > 8192


@pytest.mark.slow
def test_server_stops_on_close() -> None:
    provider = LocalProvider("smollm2-135m-instruct", model_path=resolve_local_model(FAST_MODEL),
                             ready_timeout_s=120)
    server = provider.server
    assert server.running
    provider.close()
    assert not server.running
    provider.close()  # twice is fine


@pytest.mark.slow
def test_a_dead_server_is_restarted(local: LocalProvider) -> None:
    import os
    import signal

    old = local.server
    assert old.pid is not None
    os.killpg(old.pid, signal.SIGKILL)  # the server (its own process group) crashes
    deadline = time.monotonic() + 10
    while old.running and time.monotonic() < deadline:
        time.sleep(0.05)
    result = local.chat(ChatRequest([{"role": "user", "content": "Still there?"}]))
    assert result.content and local.restarts == 1 and local.server is not old


def test_bad_model_path_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(LocalModelError, match="no such model file"):
        LocalModelServer(tmp_path / "missing.gguf")
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model")
    with pytest.raises(LocalModelError, match="exited with code"):
        LocalModelServer(junk, ready_timeout_s=60)
