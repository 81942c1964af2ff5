"""The gateway against a hostile agent: raw HTTP on the real Unix socket of a real session.

The upstream is the scripted loopback server reached through the real ``openai`` and
``anthropic`` SDKs; the agent side writes its own bytes (framing, floods, slowloris) or uses
the agents' stdlib client. Each test fails when the defence it names is removed.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import API_KEY

from cladist.agents.llm_client import (
    BudgetExceededError,
    Client,
    LLMAPIError,
    LLMConnectionError,
)
from cladist.llm.budgets import Budgets, Limit
from cladist.llm.contracts import ChatRequest, ChatResult, Usage
from cladist.llm.gateway import Gateway, OpenSession
from cladist.llm.gateway_limits import HTTPLimits
from cladist.llm.identity import SessionIdentity
from cladist.llm.openai_provider import OpenAIProvider
from cladist.llm.recording import RECORDED_PREFIX, load_session
from cladist.llm.retry import RetryPolicy
from cladist.llm.testing import Reply, ScriptedLLMServer

HELLO = [{"role": "user", "content": "hello"}]
WAIT = 20.0  # seconds a test waits on a socket before calling the server stuck
PATH = b"/v1/chat/completions"
BODY = json.dumps({"model": "m", "messages": HELLO}).encode()


@pytest.fixture
def provider(server: ScriptedLLMServer, fast_retry: RetryPolicy) -> Iterator[OpenAIProvider]:
    p = OpenAIProvider("gpt-4o", base_url=server.openai_base_url, api_key=API_KEY,
                       retry=fast_retry, timeout_s=WAIT)
    yield p
    p.close()


@pytest.fixture
def make_gateway(provider: OpenAIProvider, tmp_path: Path
                 ) -> Iterator[Callable[..., Gateway]]:
    made: list[Gateway] = []

    def make(**limits: Any) -> Gateway:
        made.append(Gateway(provider, folder=tmp_path / f"rec{len(made)}",
                            http_limits=HTTPLimits(**limits)))
        return made[-1]

    yield make
    for gw in made:
        gw.close()


def ident(node: int = 1, session: str = "") -> SessionIdentity:
    return SessionIdentity("run-h", node, "evaluation", "t1", session)


def connect(opened: OpenSession) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(opened.socket_path))  # blocking: waits for room in the listen backlog
    sock.settimeout(WAIT)
    return sock


def read_to_eof(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (fails if it never does)."""
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except TimeoutError:
        pytest.fail(f"the gateway kept the connection open; got {b''.join(chunks)[:200]!r}")
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def read_response(sock: socket.socket) -> bytes:
    """One whole response on a connection kept alive (headers and Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:")))
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def exchange(opened: OpenSession, data: bytes) -> bytes:
    """Send raw bytes on a new connection; what came back before the server closed it."""
    with connect(opened) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server refused before reading everything: its answer is still there
        return read_to_eof(sock)


def status_of(response: bytes) -> tuple[int, dict[str, Any]]:
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def post(headers: list[str], body: bytes = BODY) -> bytes:
    lines = [f"POST {PATH.decode()} HTTP/1.1", "Host: localhost", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def events(gw: Gateway, kind: str) -> list[dict[str, Any]]:
    gw.flush()
    path = gw.sink.root / "events.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [e for e in map(json.loads, lines) if e["kind"] == kind]


@pytest.mark.parametrize(("headers", "body", "status", "reason"), [
    (["Content-Length: -1"], BODY, 400, "bad_content_length"),
    (["Content-Length: abc"], BODY, 400, "bad_content_length"),
    (["Content-Length: +39"], BODY, 400, "bad_content_length"),
    ([f"Content-Length: {len(BODY)}, {len(BODY)}"], BODY, 400, "bad_content_length"),
    ([f"Content-Length: {len(BODY)}", f"Content-Length: {len(BODY)}"], BODY, 400,
     "bad_content_length"),
    ([f"Content-Length: {len(BODY)}", "Content-Length: 3"], BODY, 400, "bad_content_length"),
    (["Content-Length: 99999999999999999999"], BODY, 400, "bad_content_length"),
    (["Content-Length: 1000000000000"], BODY, 413, "body_too_large"),
    ([], BODY, 411, "length_required"),
    (["Transfer-Encoding: chunked"], b"%x\r\n" % len(BODY) + BODY + b"\r\n0\r\n\r\n", 411,
     "transfer_encoding"),
    (["Transfer-Encoding: chunked", f"Content-Length: {len(BODY)}"], BODY, 411,
     "transfer_encoding"),
], ids=["negative", "letters", "plus-sign", "list", "duplicated", "conflicting", "20-digits",
        "huge", "missing", "chunked", "chunked-and-length"])
def test_bad_framing_is_refused_and_the_connection_closed(
        make_gateway: Callable[..., Gateway], server: ScriptedLLMServer, headers: list[str],
        body: bytes, status: int, reason: str) -> None:
    gw = make_gateway()
    opened = gw.open_session(ident())
    response = exchange(opened, post(headers, body))  # fails unless the server closes
    got, error = status_of(response)
    assert (got, error["error"]["code"]) == (status, reason)
    assert b"connection: close" in response.lower() and API_KEY.encode() not in response
    assert server.requests == []  # nothing reached the provider
    (event,) = events(gw, "llm_request_rejected")
    assert (event["status"], event["reason"]) == (status, reason)
    # The gateway survives and serves the next request normally.
    assert Client(socket_path=str(opened.socket_path)).chat(HELLO)["choices"]


def test_a_body_over_the_cap_is_not_read_and_only_its_prefix_is_noted(
        make_gateway: Callable[..., Gateway], server: ScriptedLLMServer) -> None:
    gw = make_gateway(max_body_bytes=1 << 20)
    opened = gw.open_session(ident())
    size = 50 << 20  # declared; the client sends only the first 3 MB
    with connect(opened) as sock:
        sock.sendall(post([f"Content-Length: {size}"], b"x" * 65536))  # one write with them
        sent = 65536
        try:
            while sent < 3 << 20:
                sock.sendall(b"x" * 65536)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
        got, error = status_of(read_to_eof(sock))
    assert got == 413 and "at most 1048576" in error["error"]["message"]
    assert sent < 3 << 20  # the server closed rather than swallowing the body
    (event,) = events(gw, "llm_request_rejected")
    assert event["size"] == size and event["prefix"] == "x" * RECORDED_PREFIX
    assert server.requests == []


@pytest.mark.parametrize("body", [b"[" * 200_000, b"{" + b"k" * 1000, b"\xff\xfe junk"],
                         ids=["nested", "truncated", "not-utf8"])
def test_a_body_that_is_not_json_is_a_400_not_a_gateway_error(
        make_gateway: Callable[..., Gateway], body: bytes) -> None:
    gw = make_gateway()
    opened = gw.open_session(ident())
    with connect(opened) as sock:
        sock.sendall(post([f"Content-Length: {len(body)}"], body))
        got, error = status_of(read_response(sock))
        assert (got, error["error"]["code"]) == (400, "invalid_json")
        sock.sendall(post([f"Content-Length: {len(BODY)}"]))  # the connection still serves
        assert status_of(read_response(sock))[0] == 200
    (event,) = events(gw, "llm_request_rejected")
    assert event["reason"] == "invalid_json" and event["size"] == len(body)


def test_json_nested_too_deep_for_the_recorder_is_refused(
        make_gateway: Callable[..., Gateway], server: ScriptedLLMServer) -> None:
    gw = make_gateway()
    c = Client(socket_path=str(gw.open_session(ident(session="deep")).socket_path))
    deep: Any = []
    for _ in range(600):  # parses, but recursing over it would blow Python's stack
        deep = [deep]
    with pytest.raises(LLMAPIError) as info:
        c.request("POST", "/chat/completions", {"messages": HELLO, "junk": deep})
    assert (info.value.status, info.value.code) == (400, "too_deep")
    c.chat(HELLO, junk=[[[{"ok": [1]}]]])  # ordinary nesting is fine
    gw.flush()
    assert server.requests and gw.write_errors == []
    assert len(load_session(gw.sink.root, "deep")) == 1


def test_headers_past_the_cap_get_431(make_gateway: Callable[..., Gateway]) -> None:
    opened = make_gateway(max_header_bytes=16 << 10).open_session(ident())
    flood = [f"X-Pad-{i}: {'a' * 1000}" for i in range(40)]  # 40 KB: fine for http.server
    got, error = status_of(exchange(opened, post([f"Content-Length: {len(BODY)}", *flood])))
    assert got == 431 and "16384" in error["error"]["message"]
    long_line = b"POST /v1/chat/completions?" + b"q" * (20 << 10) + b" HTTP/1.1\r\n\r\n"
    got, error = status_of(exchange(opened, long_line))  # the first line alone is too long
    assert got == 431 and "16384" in error["error"]["message"]


def test_hundreds_of_held_connections_keep_threads_bounded(
        make_gateway: Callable[..., Gateway]) -> None:
    cap = 8
    opened = make_gateway(max_connections=cap).open_session(ident())
    baseline = threading.active_count()
    held, kept_out = [], 0
    try:
        for i in range(300):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                sock.connect(str(opened.socket_path))
            except BlockingIOError:  # the listen backlog is full: the kernel keeps it out
                sock.close()
                kept_out += 1
                continue
            held.append(sock)
            if i % 2:
                try:
                    sock.send(b"POST /v1/chat/completions HTTP/1.1\r\n")  # never finished
                except OSError:
                    pass
        time.sleep(0.5)  # let the server accept what it will
        threads = threading.active_count()
        assert threads <= baseline + cap
        assert len(held) + kept_out == 300 and len(held) > cap
    finally:
        for sock in held:
            sock.close()
    client = Client(socket_path=str(opened.socket_path))
    deadline = time.monotonic() + WAIT  # the slots free as their threads see EOF
    while True:
        try:
            assert client.chat(HELLO)["choices"][0]["message"]["content"] == "echo: hello"
            break
        except LLMConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_slowloris_gets_a_408_and_idle_connections_are_closed(
        make_gateway: Callable[..., Gateway]) -> None:
    gw = make_gateway(request_timeout_s=1.0)
    opened = gw.open_session(ident())
    with connect(opened) as idle, connect(opened) as slow:
        slow.sendall(b"POST /v1/chat/completions HTTP/1.1\r\n")
        dripped = 0
        while dripped < 200 and not select.select([slow], [], [], 0.05)[0]:
            try:
                slow.sendall(b"X-Drip-%d: 1\r\n" % dripped)  # each line well within the timeout
            except (BrokenPipeError, ConnectionResetError):
                break
            dripped += 1
        got, error = status_of(read_to_eof(slow))
        assert got == 408 and error["error"]["code"] == "request_timeout"
        assert dripped < 200  # cut off by the deadline, not by the header count
        assert read_to_eof(idle) == b""  # an idle connection is closed without a word
    (event,) = events(gw, "llm_request_rejected")
    assert event["reason"] == "request_timeout" and event["prefix"].startswith("POST /v1")
    assert Client(socket_path=str(opened.socket_path)).chat(HELLO)["choices"]


@pytest.mark.parametrize(("sent", "status"), [
    (post([f"Content-Length: {len(BODY)}"]), 200),  # whole: served, then closed
    (post([f"Content-Length: {len(BODY)}"])[:-5], 408),  # body cut short
    (b"POST /v1/chat/completions HTTP/1.1\r\nContent-Le", 408),  # headers cut short
    (b"POST /v1/chat/comp", 408)])  # request line cut short
def test_what_arrived_when_the_deadline_struck_decides_408(
        make_gateway: Callable[..., Gateway], sent: bytes, status: int) -> None:
    opened = make_gateway().open_session(ident())
    server = opened._servers[0]
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    theirs.settimeout(WAIT)
    with ours, theirs:
        theirs.sendall(sent)  # all of it arrived before the deadline struck...
        server.deadlines.add(ours)
        server.deadlines.arm(ours, -1.0)
        server.deadlines.expire()  # ...and the handler had read none of it yet
        handler = threading.Thread(target=server.process_request_thread,
                                   args=(ours, ""), daemon=True)
        handler.start()
        got, _ = status_of(read_to_eof(theirs))
        handler.join(WAIT)
    assert got == status


def test_a_closed_session_drops_its_open_connections(make_gateway: Callable[..., Gateway],
                                                     server: ScriptedLLMServer) -> None:
    opened = make_gateway().open_session(ident())
    with connect(opened) as sock:
        request = post([f"Content-Length: {len(BODY)}"])
        sock.sendall(request)
        assert read_response(sock).startswith(b"HTTP/1.1 200")  # kept alive after it
        opened.close()
        try:
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert read_to_eof(sock) == b""
    assert len(server.requests) == 1


def test_a_huge_rejected_body_is_recorded_as_a_bounded_prefix_and_replays(
        make_gateway: Callable[..., Gateway], server: ScriptedLLMServer) -> None:
    gw = make_gateway()
    c = Client(socket_path=str(gw.open_session(ident(session="big")).socket_path))
    junk = "j" * (3 << 20)
    huge = {"model": "m", "messages": [], "junk": junk}  # valid JSON, refused: no messages
    with pytest.raises(LLMAPIError) as info:
        c.request("POST", "/chat/completions", huge)
    assert (info.value.status, info.value.code) == (400, "invalid_body")
    assert _post_raw(c, b"{" + b"k" * (3 << 20)) == (400, "invalid_json")
    c.chat(HELLO)
    gw.flush()
    files = sorted((gw.sink.root / "llm" / "big").glob("*.json"))
    assert len(files) == 2 and files[0].stat().st_size < 2 * RECORDED_PREFIX
    refused, answered = load_session(gw.sink.root, "big")
    assert refused["request"]["truncated"] is True and refused["request"]["size"] > 3 << 20
    assert len(refused["request"]["prefix"]) == RECORDED_PREFIX
    assert answered["status"] == 200
    (event,) = events(gw, "llm_request_rejected")
    assert event["reason"] == "invalid_json" and len(event["prefix"]) == RECORDED_PREFIX
    assert (gw.sink.root / "events.jsonl").stat().st_size < 2 * RECORDED_PREFIX
    # The bounded recording still replays: the hash is of the whole request.
    upstream = len(server.requests)
    again = Client(socket_path=str(gw.open_session(ident(session="again"),
                                                   replay="big").socket_path))
    with pytest.raises(LLMAPIError) as replayed:
        again.request("POST", "/chat/completions", huge)
    assert (replayed.value.status, replayed.value.code) == (400, "invalid_body")
    assert again.chat(HELLO)["choices"][0]["message"]["content"] == "echo: hello"
    assert len(server.requests) == upstream


def _post_raw(client: Client, data: bytes) -> tuple[int, str]:
    """POST raw bytes (not JSON) with the client's connection: (status, error code)."""
    conn = client._connection()
    conn.request("POST", "/v1/chat/completions", body=data,
                 headers={"content-type": "application/json"})
    response = conn.getresponse()
    return response.status, json.loads(response.read())["error"]["code"]


# -- budgets: what one call or many can spend -------------------------------------------
def billing(body: dict[str, Any]) -> Reply:
    """An upstream that bills all it was allowed: every output token of every choice."""
    allowed = body.get("max_completion_tokens") or body.get("max_tokens") or 1
    return Reply("ok", input_tokens=10, output_tokens=allowed * body.get("n", 1))


def test_n_above_one_is_refused_and_never_forwarded(make_gateway: Callable[..., Gateway],
                                                    server: ScriptedLLMServer) -> None:
    server.default = billing
    gw = make_gateway()
    opened = gw.open_session(ident(), budgets=Budgets(session=Limit(tokens=400)))
    c = Client(socket_path=str(opened.socket_path))
    with pytest.raises(LLMAPIError) as info:
        c.chat(HELLO, n=25, max_tokens=100)
    assert info.value.status == 400 and "'n' is 25" in info.value.message
    assert server.requests == []
    c.chat(HELLO, n=1, max_tokens=100)
    assert "n" not in server.requests[0].body and server.requests[0].body["max_tokens"] == 100
    assert gw.ledger.spent("session", opened.identity.session)[0] <= 400


@pytest.fixture(params=["openai", "anthropic"])
def any_provider(request: pytest.FixtureRequest, server: ScriptedLLMServer,
                 fast_retry: RetryPolicy) -> Iterator[Any]:
    from cladist.llm.anthropic_provider import AnthropicProvider

    p = (OpenAIProvider("gpt-4o", base_url=server.openai_base_url, api_key=API_KEY,
                        retry=fast_retry) if request.param == "openai" else
         AnthropicProvider("claude-haiku-4-5", base_url=server.url, api_key=API_KEY,
                           retry=fast_retry))
    yield p
    p.close()


@pytest.mark.parametrize("asked", [
    {"max_completion_tokens": 100_000}, {"max_tokens": 100_000},
    {"max_tokens": 100_000, "max_completion_tokens": 50},
    {"max_tokens": 50, "max_completion_tokens": 100_000}],
    ids=["completion-field", "tokens-field", "both-small-completion", "both-small-tokens"])
def test_every_output_field_is_capped_for_both_providers(
        any_provider: Any, server: ScriptedLLMServer, tmp_path: Path,
        asked: dict[str, int]) -> None:
    with Gateway(any_provider, folder=tmp_path, budgets=Budgets(call=Limit(tokens=500))) as gw:
        Client(socket_path=str(gw.open_session(ident()).socket_path)).chat(HELLO, **asked)
    (received,) = server.requests
    sent = {k: v for k, v in received.body.items()
            if k in ("max_tokens", "max_completion_tokens")}
    assert len(sent) == 1 and 0 < next(iter(sent.values())) <= min(500, *asked.values())
    if received.wire == "openai":  # the field the agent used (the newer name if both)
        assert list(sent) == ["max_completion_tokens" if "max_completion_tokens" in asked
                              else "max_tokens"]


def test_the_providers_cap_output_on_their_own(any_provider: Any,
                                               server: ScriptedLLMServer) -> None:
    any_provider.chat(ChatRequest(HELLO, params={"max_tokens": 100_000,
                                                 "max_completion_tokens": 50}))
    any_provider.chat(ChatRequest(HELLO, params={"max_completion_tokens": 60}))
    sent = [{k: v for k, v in r.body.items() if k in ("max_tokens", "max_completion_tokens")}
            for r in server.requests]
    if server.requests[0].wire == "openai":
        assert sent == [{"max_completion_tokens": 50}, {"max_completion_tokens": 60}]
    else:
        assert sent == [{"max_tokens": 50}, {"max_tokens": 60}]


class _CapturingProvider:
    """A provider that keeps the requests the gateway hands it (to see the session's cap
    without the providers' own)."""

    name, model = "capturing", "gpt-4o"

    def __init__(self) -> None:
        self.requests: list[ChatRequest] = []

    def chat(self, request: ChatRequest) -> ChatResult:
        self.requests.append(request)
        return ChatResult("ok", [], "stop", Usage(10, 5), 0.0, 0.01, self.model, self.name)

    def close(self) -> None:
        pass


def test_the_session_forwards_one_capped_output_field(tmp_path: Path) -> None:
    provider = _CapturingProvider()
    with Gateway(provider, folder=tmp_path, budgets=Budgets(call=Limit(tokens=500))) as gw:
        c = Client(socket_path=str(gw.open_session(ident()).socket_path))
        c.chat(HELLO, max_tokens=100_000, max_completion_tokens=50)
        c.chat(HELLO, max_tokens=100_000)
        c.chat(HELLO, max_completion_tokens=100_000)
    sent = [{k: v for k, v in r.params.items() if k in ("max_tokens", "max_completion_tokens")}
            for r in provider.requests]
    assert sent[0] == {"max_completion_tokens": 50}
    assert list(sent[1]) == ["max_tokens"] and sent[1]["max_tokens"] < 500
    assert list(sent[2]) == ["max_completion_tokens"] and sent[2]["max_completion_tokens"] < 500


@pytest.mark.parametrize("value", [-5, 0, "9", True, 1.5])
def test_a_bad_output_cap_is_refused(make_gateway: Callable[..., Gateway],
                                     server: ScriptedLLMServer, value: Any) -> None:
    c = Client(socket_path=str(make_gateway().open_session(ident()).socket_path))
    for field in ("max_tokens", "max_completion_tokens"):
        with pytest.raises(LLMAPIError) as info:
            c.chat(HELLO, **{field: value})
        assert info.value.status == 400 and f"'{field}' is" in info.value.message
    assert server.requests == []


@pytest.mark.parametrize(("scope", "limit"), [
    ("session", Limit(tokens=1000)), ("node", Limit(tokens=1000)),
    ("run", Limit(dollars=0.01))])
def test_concurrent_calls_never_together_exceed_the_budget(
        make_gateway: Callable[..., Gateway], server: ScriptedLLMServer, scope: str,
        limit: Limit) -> None:
    release = threading.Event()

    def upstream(body: dict[str, Any]) -> Reply:  # every admitted call is in flight at once
        release.wait(WAIT)
        return billing(body)

    server.default = upstream
    gw = make_gateway()
    budgets = Budgets(**{scope: limit})
    agents = 8
    sessions = ([gw.open_session(ident(), budgets=budgets)] if scope == "session" else
                [gw.open_session(ident(node=5 if scope == "node" else i), budgets=budgets)
                 for i in range(agents)])
    outcomes: list[str] = []

    def agent(opened: OpenSession) -> None:
        try:
            Client(socket_path=str(opened.socket_path)).chat(HELLO, max_tokens=300)
            outcomes.append("answered")
        except BudgetExceededError:
            outcomes.append("refused")

    threads = [threading.Thread(target=agent, args=(sessions[i % len(sessions)],))
               for i in range(agents)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + WAIT  # every call is upstream or waiting for the holds
    while len(server.requests) + gw.ledger.waiting < agents and time.monotonic() < deadline:
        time.sleep(0.01)
    in_flight = len(server.requests)
    release.set()
    for thread in threads:
        thread.join(WAIT)
    key = {"session": sessions[0].identity.session, "node": "run-h:5", "run": "run-h"}[scope]
    tokens, dollars = gw.ledger.spent(scope, key)
    assert 1 <= in_flight < agents  # the holds kept the others out while it was in flight
    assert outcomes.count("answered") == len(server.requests) and len(outcomes) == agents
    assert "refused" in outcomes  # once really spent, the rest are refused for good
    assert tokens <= (limit.tokens or tokens) and dollars <= (limit.dollars or dollars)
    assert gw.ledger.held(scope, key) == (0, 0.0) and gw.ledger.waiting == 0


def test_a_call_kept_out_by_holds_too_long_gets_a_retryable_429(
        make_gateway: Callable[..., Gateway], server: ScriptedLLMServer) -> None:
    release = threading.Event()
    server.default = lambda body: (release.wait(WAIT), billing(body))[1]
    opened = make_gateway().open_session(ident(), budgets=Budgets(session=Limit(tokens=400)))
    opened.session.hold_wait_s = 0.2
    first = threading.Thread(target=lambda: Client(socket_path=str(opened.socket_path)).chat(
        HELLO, max_tokens=370))  # holds all but a few tokens of the 400
    first.start()
    try:
        deadline = time.monotonic() + WAIT
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(LLMAPIError) as info:
            Client(socket_path=str(opened.socket_path)).chat(HELLO, max_tokens=300)
    finally:
        release.set()
        first.join(WAIT)
    assert (info.value.status, info.value.code) == (429, "budget_in_flight")
    assert "calls in flight hold" in info.value.message and len(server.requests) == 1
