"""Telling a model provider that is down from a request the caller got refused.

A gateway session notes every call the provider failed after its own retries (unavailable:
5xx, timeouts, connection refused; the host's key rejected; a provider bug), never a
refusal of the request itself (a 4xx, a context overflow, a spent budget: the caller's).
Such failures alone do not prove an outage: a request can crash or break the provider. So
:meth:`ProviderFailures.provider_down` asks the provider a trusted :data:`PROBE` (once): if
it answers, the failures came from what was asked; if not, the work is lost to an outage,
and the reason begins with :data:`PROVIDER_DOWN` (see :func:`is_provider_down`). The
probe's few tokens are recorded in its ``llm_provider_probe`` event, not charged to budgets.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from cladist.llm.contracts import ChatRequest, Provider

PROVIDER_DOWN = "the model did not answer"
"""How the reason of work lost because the provider was down begins."""
PROBE = ChatRequest([{"role": "user", "content": "Reply with the single word OK."}],
                    params={"max_tokens": 1, "temperature": 0})
"""The trusted request that checks whether a provider answers at all."""
PROVIDER_DOWN_LIMIT = 2
"""Pieces of work lost in a row to a provider that is down before a run or an eval stops
as "model unavailable" (nothing more can be learnt while it stays down)."""
MODEL_UNAVAILABLE = "model unavailable"
"""How the stop reason of a run or eval whose model provider stays down begins."""


def is_provider_down(reason: str | None) -> bool:
    """Whether ``reason`` (a result's infra reason, an expansion's reason) says the work was
    lost because the provider did not answer."""
    return bool(reason) and str(reason).startswith(PROVIDER_DOWN)


class ProviderFailures:
    """The provider failures of one session, and the probe that confirms an outage.
    ``event(kind, node_id, **data)`` records the probe; ``where`` adds the session's
    identity to it. Thread-safe."""

    def __init__(self, provider: Provider | None, event: Callable[..., None],
                 node_id: int | None, where: dict[str, Any]):
        self.provider = provider
        self._event, self._node_id, self._where = event, node_id, where
        self._lock = threading.Lock()
        self._probe_lock = threading.Lock()
        self.count = 0
        self.last: str | None = None
        self._probed: tuple[str | None] | None = None

    def failed(self, error: str) -> None:
        """Note one call the provider failed (``error``: the kind and message)."""
        with self._lock:
            self.count += 1
            self.last = error[:500]

    def provider_down(self) -> str | None:
        """None when the provider failed no call, or answers :data:`PROBE` (asked once;
        the answer is kept); else a one-line reason beginning with :data:`PROVIDER_DOWN`.
        Never raises."""
        with self._lock:
            failures, last = self.count, self.last
        if not failures or self.provider is None:
            return None
        with self._probe_lock:
            if self._probed is None:
                self._probed = (self._probe(failures, last),)
            return self._probed[0]

    def _probe(self, failures: int, last: str | None) -> str | None:
        assert self.provider is not None
        started, answered, why = time.monotonic(), None, None
        try:
            result = self.provider.chat(PROBE)
            answered = {"input_tokens": result.usage.input_tokens,
                        "output_tokens": result.usage.output_tokens,
                        "cost_usd": result.cost_usd}
        except Exception as exc:  # whatever the provider does, the probe has its answer
            why = " ".join(f"{PROVIDER_DOWN}: {failures} call(s) failed, and a probe just "
                           f"after too: {exc}".split())[:1000]
        self._event("llm_provider_probe", self._node_id, **self._where, failures=failures,
                    last_failure=last, answered=answered, down=why,
                    seconds=round(time.monotonic() - started, 3))
        return why
