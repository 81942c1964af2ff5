"""The gateway's answers as OpenAI-style API errors: ``{"error": {"message", "type",
"param", "code"}}`` with an HTTP status, and the mapping of provider failures onto them
(never echoing key details to the sandbox)."""

from __future__ import annotations

from typing import Any

from cladist.llm.contracts import LLMError, ProviderAuthError

Reply = tuple[int, dict[str, Any], dict[str, str]]
"""(HTTP status, JSON body, extra headers)."""

NO_RETRY = {"x-should-retry": "false"}
"""Tells the OpenAI SDKs not to retry an answer (a retry would get the same)."""


def api_error(status: int, message: str, type_: str, code: str | None = None,
              headers: dict[str, str] | None = None) -> Reply:
    """An OpenAI-style error reply."""
    return status, {"error": {"message": message, "type": type_, "param": None,
                              "code": code}}, headers or {}


def provider_error(exc: LLMError) -> Reply:
    """The API error the agent sees for a provider failure."""
    if isinstance(exc, ProviderAuthError):
        # Never echo key details to the sandbox: the host log has the full message.
        return api_error(502, "cladist gateway: the upstream provider rejected the host's "
                         "credentials", "upstream_auth_error", "upstream_auth", NO_RETRY)
    status, type_ = {"context_length_exceeded": (400, "invalid_request_error"),
                     "invalid_request": (400, "invalid_request_error"),
                     "provider_unavailable": (503, "upstream_unavailable")}.get(
                         exc.kind, (502, "upstream_error"))
    return api_error(status, f"cladist gateway: {exc}", type_, exc.kind, NO_RETRY)
