"""What the SDK-backed providers share: key lookup, error classification, metering.

:class:`SDKProvider` turns one attempt (a subclass's ``_attempt``) into a metered, retried
``chat`` call. :func:`classify_sdk_error` maps the exceptions of the official ``openai`` and
``anthropic`` SDKs (they share class names) onto cladist's :mod:`~cladist.llm.contracts`
errors, so both providers fail the same way for the same fault.
"""

from __future__ import annotations

import json
import os
import re
import time
from types import ModuleType
from typing import Any

from cladist.llm.contracts import (
    ChatRequest,
    ChatResult,
    ContextLengthError,
    LLMError,
    ProviderAuthError,
    ProviderRequestError,
    ToolCall,
    TransientError,
    Usage,
)
from cladist.llm.pricing import PriceTable
from cladist.llm.retry import RetryPolicy, call_with_retries, parse_retry_after

_CONTEXT_PATTERNS = re.compile(
    r"context[ _-]?(length|window)|maximum context|prompt is too long|too many (input )?tokens"
    r"|exceeds? the (model'?s? )?(context|maximum)|reduce the length|input is too long",
    re.IGNORECASE)


def api_key_from_env(var: str, provider: str, *, required: bool = True) -> str | None:
    """The key in environment variable ``var``. Raises ProviderAuthError (one line naming
    the variable) when it is unset or empty and ``required``; returns None otherwise."""
    value = os.environ.get(var, "").strip()
    if value:
        return value
    if required:
        raise ProviderAuthError(f"{provider}: environment variable {var} is not set; export "
                                f"your API key in it (or name another with llm.api_key_env)")
    return None


def classify_sdk_error(exc: BaseException, sdk: ModuleType, what: str,
                       key_env: str | None) -> LLMError | None:
    """The cladist error for an exception raised by an ``openai``/``anthropic`` SDK call,
    or None when ``exc`` is not an API failure (a bug, to propagate as is)."""
    if isinstance(exc, (sdk.APIResponseValidationError, json.JSONDecodeError)):
        return TransientError(f"{what}: malformed reply ({type(exc).__name__}: "
                              f"{str(exc)[:200]})")
    if isinstance(exc, sdk.APIStatusError):
        status = exc.status_code
        detail = _error_message(exc)
        if status == 401:
            where = f"the key in {key_env}" if key_env else "the key"
            return ProviderAuthError(f"{what}: {where} was rejected (HTTP 401: {detail}); "
                                     "check it", status=status)
        if status in (408, 409, 429) or status >= 500:
            return TransientError(f"{what}: HTTP {status}: {detail}", status=status,
                                  retry_after=parse_retry_after(exc.response.headers))
        if status == 413 or (status in (400, 422) and (
                _CONTEXT_PATTERNS.search(detail) or getattr(exc, "code", None)
                == "context_length_exceeded")):
            return ContextLengthError(f"{what}: context length exceeded: {detail}",
                                      status=status)
        return ProviderRequestError(f"{what}: HTTP {status}: {detail}", status=status)
    if isinstance(exc, sdk.APIConnectionError):  # includes APITimeoutError
        kind = "timed out" if isinstance(exc, sdk.APITimeoutError) else "connection failed"
        cause = exc.__cause__ or exc.__context__
        return TransientError(f"{what}: {kind} ({type(cause).__name__ if cause else exc})")
    return None


def _error_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return err["message"][:500]
    return str(getattr(exc, "message", exc))[:500]


def parse_arguments(arguments: str) -> dict[str, Any]:
    """Tool-call arguments (JSON text) as an object; text that is not a JSON object is kept
    whole under ``"arguments"`` rather than lost."""
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return {"arguments": arguments}
    return value if isinstance(value, dict) else {"arguments": value}


class SDKProvider:
    """Base of the SDK-backed providers: retries, timing and cost around ``_attempt``.

    Subclasses set ``name``, ``_sdk`` (the SDK module) and implement ``_attempt`` (one
    call, SDK exceptions allowed to escape). ``chat`` raises the contract's errors.
    """

    name = "sdk"
    _sdk: ModuleType

    def __init__(self, model: str, *, prices: PriceTable | None = None,
                 retry: RetryPolicy | None = None, key_env: str | None = None,
                 default_max_tokens: int = 1024):
        self.model = model
        self.prices = prices or PriceTable()
        self.retry = retry or RetryPolicy()
        self.key_env = key_env
        self.default_max_tokens = default_max_tokens

    def _attempt(self, request: ChatRequest) -> tuple[str | None, list[ToolCall], str, Usage,
                                                      str]:
        """One call: (content, tool calls, finish reason, usage, model that answered)."""
        raise NotImplementedError

    def _one(self, request: ChatRequest) -> tuple[str | None, list[ToolCall], str, Usage, str]:
        try:
            return self._attempt(request)
        except LLMError:
            raise
        except Exception as exc:
            mapped = classify_sdk_error(exc, self._sdk, f"{self.name} {self.model}",
                                        self.key_env)
            if mapped is None:
                raise
            raise mapped from exc

    def chat(self, request: ChatRequest) -> ChatResult:
        """Ask the model (retrying transient failures); see :class:`Provider`."""
        started = time.monotonic()
        (content, calls, finish, usage, model), attempts = call_with_retries(
            lambda: self._one(request), self.retry, f"{self.name} {self.model}")
        return ChatResult(content=content, tool_calls=calls, finish_reason=finish,
                          usage=usage, cost_usd=self.prices.cost(self.model, usage),
                          latency_s=time.monotonic() - started, model=model or self.model,
                          provider=self.name, attempts=attempts)

    def close(self) -> None:
        """Close the SDK client's connections."""
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()
