"""Bounded retries of transient provider failures, with tenacity.

A provider's single attempt raises :class:`TransientError` for what is worth retrying (429,
5xx, timeouts, dropped connections, malformed replies). :func:`call_with_retries` retries it
at most ``max_retries`` times and never past ``max_time_s`` of total time: the wait before a
retry is the server's Retry-After when it gave one, else exponential backoff with jitter; a
Retry-After that would end past the time bound stops the retries at once. When the bounds
are reached it raises :class:`ProviderUnavailableError` naming the attempts and the last
error. Every other exception goes straight through.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from cladist.llm.contracts import ProviderUnavailableError, TransientError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry: at most ``max_retries`` retries, within ``max_time_s`` seconds
    overall; backoff starts at ``backoff_s`` and is capped at ``backoff_max_s``."""

    max_retries: int = 5
    max_time_s: float = 300.0
    backoff_s: float = 0.5
    backoff_max_s: float = 8.0


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or HTTP date);
    None when absent or unreadable."""
    if not headers:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, parsed.timestamp() - time.time())


def call_with_retries(fn: Callable[[], T], policy: RetryPolicy, what: str) -> tuple[T, int]:
    """Run ``fn`` with retries on TransientError; return (its result, attempts made).

    Raises ProviderUnavailableError when the bounds are reached; anything ``fn`` raises
    other than TransientError propagates unchanged.
    """
    import tenacity

    started = time.monotonic()

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hint = getattr(exc, "retry_after", None)
        if hint is not None:
            return float(hint)
        backoff = policy.backoff_s * 2 ** (state.attempt_number - 1)
        return float(tenacity.wait_random(0, policy.backoff_s)(state)) + min(
            backoff, policy.backoff_max_s)

    def stop(state: tenacity.RetryCallState) -> bool:
        if state.attempt_number > policy.max_retries:
            return True
        elapsed = time.monotonic() - started
        return elapsed + state.upcoming_sleep > policy.max_time_s

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(TransientError), wait=wait, stop=stop,
        reraise=True)
    attempts = 0

    def attempt() -> T:
        nonlocal attempts
        attempts += 1
        return fn()

    try:
        return retrying(attempt), attempts
    except TransientError as last:
        elapsed = time.monotonic() - started
        raise ProviderUnavailableError(
            f"{what}: gave up after {attempts} attempt(s) in {elapsed:.1f}s; last error: {last}",
            status=last.status) from last
