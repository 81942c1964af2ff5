"""The ``openai`` provider: the official OpenAI SDK, for the OpenAI API or any
OpenAI-compatible endpoint (vLLM, SGLang, llama.cpp server, Ollama) given by ``base_url``.

The SDK's own retries are off: :class:`~cladist.llm.base.SDKProvider` retries with the
run's bounds. Raises the :mod:`~cladist.llm.contracts` errors.
"""

from __future__ import annotations

from typing import Any

from cladist.llm.base import SDKProvider, api_key_from_env
from cladist.llm.contracts import (
    OUTPUT_TOKEN_FIELDS,
    ChatRequest,
    ToolCall,
    TransientError,
    Usage,
    output_token_limit,
)
from cladist.llm.pricing import PriceTable
from cladist.llm.retry import RetryPolicy

# OpenAI chat-completions fields a request may carry on to the endpoint. Not ``n``: one call
# is one choice (more would multiply the output tokens past what was budgeted).
PASSED_PARAMS = frozenset({
    "temperature", "top_p", "stop", "tool_choice", "parallel_tool_calls", "seed",
    "presence_penalty", "frequency_penalty", "logit_bias", "response_format",
    "reasoning_effort", "user", "logprobs", "top_logprobs",
})


class OpenAIProvider(SDKProvider):
    """Chat completions through ``openai.OpenAI``.

    The key comes from ``key_env`` (default OPENAI_API_KEY). With a ``base_url`` and no key
    variable set, a placeholder key is sent (self-hosted endpoints rarely check it); without
    a ``base_url`` a missing key raises ProviderAuthError at construction.
    """

    name = "openai"

    def __init__(self, model: str, *, base_url: str | None = None,
                 key_env: str | None = None, timeout_s: float = 120.0,
                 prices: PriceTable | None = None, retry: RetryPolicy | None = None,
                 default_max_tokens: int = 1024, api_key: str | None = None):
        import openai

        env = key_env or "OPENAI_API_KEY"
        if api_key is None:
            api_key = api_key_from_env(env, self.name, required=base_url is None
                                       or key_env is not None) or "not-needed"
        super().__init__(model, prices=prices, retry=retry, key_env=env,
                         default_max_tokens=default_max_tokens)
        self._sdk = openai
        self.base_url = base_url
        self._client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout_s,
                                     max_retries=0)

    def _attempt(self, request: ChatRequest) -> tuple[str | None, list[ToolCall], str, Usage,
                                                      str]:
        kwargs: dict[str, Any] = {k: v for k, v in request.params.items()
                                  if k in PASSED_PARAMS}
        # One output cap, the smallest asked, sent under the name the caller used.
        key = "max_completion_tokens" if "max_completion_tokens" in request.params \
            else OUTPUT_TOKEN_FIELDS[0]
        kwargs[key] = output_token_limit(request.params, self.default_max_tokens)
        if request.tools:
            kwargs["tools"] = request.tools
        else:
            kwargs.pop("tool_choice", None)
            kwargs.pop("parallel_tool_calls", None)
        completion = self._client.chat.completions.create(
            model=self.model, messages=request.messages, **kwargs)  # type: ignore[arg-type]
        if isinstance(completion, str) or not getattr(completion, "choices", None):
            raise TransientError(f"{self.name} {self.model}: malformed reply (no choices)")
        choice = completion.choices[0]
        message = choice.message
        calls = []
        for call in message.tool_calls or []:
            fn = getattr(call, "function", None)  # custom (free-text) tools have none
            if fn is not None:
                calls.append(ToolCall(id=call.id, name=fn.name, arguments=fn.arguments or ""))
        return (message.content, calls, choice.finish_reason or "stop",
                _usage(completion.usage), completion.model or self.model)


def _usage(usage: Any) -> Usage:
    if usage is None:
        return Usage()
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) or 0
    return Usage(input_tokens=usage.prompt_tokens or 0,
                 output_tokens=usage.completion_tokens or 0, cached_tokens=cached)
