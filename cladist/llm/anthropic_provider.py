"""The ``anthropic`` provider: the official Anthropic SDK behind the OpenAI-shaped contract.

Messages, the system prompt, tool definitions, tool calls and tool results are translated by
:mod:`cladist.llm.anthropic_translate`. The SDK's own retries are off; the shared bounded
retries apply. Raises the :mod:`~cladist.llm.contracts` errors.
"""

from __future__ import annotations

from cladist.llm.anthropic_translate import from_anthropic, to_anthropic
from cladist.llm.base import SDKProvider, api_key_from_env
from cladist.llm.contracts import (
    ChatRequest,
    ProviderRequestError,
    ToolCall,
    TransientError,
    Usage,
)
from cladist.llm.pricing import PriceTable
from cladist.llm.retry import RetryPolicy


class AnthropicProvider(SDKProvider):
    """Chat completions through ``anthropic.Anthropic`` (Messages API).

    The key comes from ``key_env`` (default ANTHROPIC_API_KEY); a missing key raises
    ProviderAuthError at construction. ``base_url`` points the SDK elsewhere (a proxy or
    the test server).
    """

    name = "anthropic"

    def __init__(self, model: str, *, base_url: str | None = None,
                 key_env: str | None = None, timeout_s: float = 120.0,
                 prices: PriceTable | None = None, retry: RetryPolicy | None = None,
                 default_max_tokens: int = 1024, api_key: str | None = None):
        import anthropic

        env = key_env or "ANTHROPIC_API_KEY"
        if api_key is None:
            api_key = api_key_from_env(env, self.name)
        super().__init__(model, prices=prices, retry=retry, key_env=env,
                         default_max_tokens=default_max_tokens)
        self._sdk = anthropic
        self.base_url = base_url
        self._client = anthropic.Anthropic(api_key=api_key, base_url=base_url,
                                           timeout=timeout_s, max_retries=0)

    def _attempt(self, request: ChatRequest) -> tuple[str | None, list[ToolCall], str, Usage,
                                                      str]:
        try:
            kwargs = to_anthropic(request, self.default_max_tokens)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ProviderRequestError(f"{self.name}: cannot translate the request: "
                                       f"{exc}") from exc
        message = self._client.messages.create(model=self.model, **kwargs)
        if not hasattr(message, "content") or not hasattr(message, "usage"):
            raise TransientError(f"{self.name} {self.model}: malformed reply (not a message)")
        content, calls, finish, usage = from_anthropic(message)
        return content, calls, finish, usage, getattr(message, "model", None) or self.model
