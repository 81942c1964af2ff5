"""Fixtures of the LLM tests: a scripted server on loopback and fast retry bounds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cladist.llm.retry import RetryPolicy
from cladist.llm.testing import ScriptedLLMServer

API_KEY = "sk-test-cladist"


@pytest.fixture
def server() -> Iterator[ScriptedLLMServer]:
    """A started scripted server that wants :data:`API_KEY`."""
    with ScriptedLLMServer(api_key=API_KEY) as srv:
        yield srv


@pytest.fixture
def fast_retry() -> RetryPolicy:
    """Retries fast enough for tests: 3 retries, 10 s, ~10 ms backoff."""
    return RetryPolicy(max_retries=3, max_time_s=10.0, backoff_s=0.01, backoff_max_s=0.05)
