"""A chat client for agents, standard library only: the way a sandboxed agent reaches an LLM.

It speaks the OpenAI chat-completions API to the cladist gateway over the Unix socket the
sandbox was given (``$CLADIST_LLM_SOCKET``, default ``/run/cladist/llm.sock``), or over
HTTP when ``$CLADIST_LLM_URL`` is set (``http://127.0.0.1:PORT/v1``). Agents vendor this
file: it must keep importing nothing outside the standard library.

    from llm_client import chat
    reply = chat([{"role": "user", "content": "hi"}], tools=None, temperature=0)
    message = reply["choices"][0]["message"]

Errors: :class:`LLMAPIError` for an API error answer (``status``, ``type``, ``code``,
``message``), with subclasses :class:`BudgetExceededError` (the session's budget is spent:
stop asking), :class:`ContextLengthError` (shorten the conversation) and
:class:`ReplayDivergenceError`; :class:`LLMConnectionError` when the gateway cannot be
reached or answers garbage.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import urllib.parse
from typing import Any

DEFAULT_SOCKET = "/run/cladist/llm.sock"
DEFAULT_TIMEOUT = 600.0


class LLMError(Exception):
    """Base class of this client's errors."""


class LLMConnectionError(LLMError):
    """The gateway could not be reached, dropped the connection or answered non-JSON."""


class LLMAPIError(LLMError):
    """The gateway answered with an API error."""

    def __init__(self, status: int, message: str, type_: str | None = None,
                 code: str | None = None):
        super().__init__(f"HTTP {status} {code or type_ or 'error'}: {message}")
        self.status = status
        self.message = message
        self.type = type_
        self.code = code


class BudgetExceededError(LLMAPIError):
    """The session, node, run or call budget has no room for this call."""


class ContextLengthError(LLMAPIError):
    """The conversation does not fit the model's context window."""


class ReplayDivergenceError(LLMAPIError):
    """In replay mode, the request differs from the recorded one."""


_BY_CODE = {"budget_exceeded": BudgetExceededError,
            "context_length_exceeded": ContextLengthError,
            "replay_divergence": ReplayDivergenceError}


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class Client:
    """A connection to the gateway, reused across calls (keep-alive).

    ``socket_path`` / ``url`` default to the environment (see the module docstring).
    """

    def __init__(self, socket_path: str | None = None, url: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT):
        self.url = url if url is not None else os.environ.get("CLADIST_LLM_URL") or None
        self.socket_path = socket_path or os.environ.get("CLADIST_LLM_SOCKET", DEFAULT_SOCKET)
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self._prefix = "/v1"
        if self.url:
            parsed = urllib.parse.urlsplit(self.url)
            self._host, self._port = parsed.hostname or "127.0.0.1", parsed.port or 80
            self._prefix = parsed.path.rstrip("/") or ""

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self.url:
                self._conn = http.client.HTTPConnection(self._host, self._port,
                                                        timeout=self.timeout)
            else:
                self._conn = _UnixConnection(self.socket_path, self.timeout)
        return self._conn

    def close(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, payload: Any = None) -> Any:
        """Send one request and return the decoded JSON answer.

        Raises LLMAPIError (or a subclass) for an error status, LLMConnectionError when
        the gateway is unreachable or the answer is not JSON.
        """
        data = json.dumps(payload).encode() if payload is not None else None
        headers = {"content-type": "application/json"} if data is not None else {}
        for attempt in (1, 2):  # one reconnect: a kept-alive connection may have gone stale
            conn = self._connection()
            try:
                conn.request(method, self._prefix + path, body=data, headers=headers)
                response = conn.getresponse()
                raw = response.read()
                break
            except (ConnectionError, http.client.RemoteDisconnected,
                    http.client.CannotSendRequest, BrokenPipeError) as exc:
                self.close()
                if attempt == 2:
                    raise LLMConnectionError(f"gateway connection failed: {exc!r}") from exc
            except OSError as exc:  # no socket, timeout, refused
                self.close()
                where = self.url or self.socket_path
                raise LLMConnectionError(f"cannot reach the LLM gateway at {where}: "
                                         f"{exc!r}") from exc
        try:
            answer = json.loads(raw)
        except ValueError as exc:
            raise LLMConnectionError(f"gateway answered non-JSON (HTTP {response.status}): "
                                     f"{raw[:200]!r}") from exc
        if response.status >= 400:
            error = answer.get("error", {}) if isinstance(answer, dict) else {}
            error = error if isinstance(error, dict) else {"message": str(error)}
            cls = _BY_CODE.get(str(error.get("code")), LLMAPIError)
            raise cls(response.status, str(error.get("message", raw[:200])),
                      error.get("type"), error.get("code"))
        return answer

    def chat(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None,
             **params: Any) -> dict[str, Any]:
        """One chat completion: returns the OpenAI ``chat.completion`` object."""
        body: dict[str, Any] = {"model": params.pop("model", "default"), "messages": messages,
                                **params}
        if tools:
            body["tools"] = tools
        return self.request("POST", "/chat/completions", body)


_default: Client | None = None


def chat(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None,
         **params: Any) -> dict[str, Any]:
    """One chat completion through the gateway (a shared :class:`Client`); returns the
    OpenAI ``chat.completion`` object. Raises LLMAPIError subclasses or LLMConnectionError.
    """
    global _default
    if _default is None:
        _default = Client()
    return _default.chat(messages, tools, **params)


def reply_message(completion: dict[str, Any]) -> dict[str, Any]:
    """The assistant message of a completion (``choices[0].message``)."""
    return completion["choices"][0]["message"]
