"""Recordings of gateway exchanges, and replaying them.

Every exchange of a session is one JSON file ``llm/<session>/<step:04d>.json`` under a root
folder (a run folder, or any folder): the request, the hash of its normalized form, the HTTP
status and body returned, usage, dollars, latency and error. A failed exchange records at
most a prefix of its request (:func:`bounded`) with the hash of the whole of it. A
:class:`RunSink` also writes an ``llm_call`` row per exchange and run events; a
:class:`FolderSink` appends ``calls.jsonl`` and ``events.jsonl`` to its folder instead.
:class:`Replay` serves a recorded session in order and refuses a request whose hash differs
from the recorded one.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cladist.errors import NotFoundError

if TYPE_CHECKING:
    from cladist.archive.records import NewLlmCall
    from cladist.archive.run import Run

# Request fields that do not change what the model is asked.
_VOLATILE = frozenset({"stream", "stream_options", "user", "metadata", "store",
                       "service_tier", "safety_identifier", "prompt_cache_key"})


RECORDED_PREFIX = 4096
"""Most characters recorded of a failed exchange's request (and bytes of a rejected one)."""


def bounded(body: Any, size: int | None = None) -> Any:
    """What is recorded of a failed exchange's request: ``body`` itself when its JSON has
    at most :data:`RECORDED_PREFIX` characters, else ``{"truncated": true, "size": <bytes
    of the request, ``size`` when given>, "prefix": <its first characters>}``."""
    text = json.dumps(body, ensure_ascii=False, default=str)
    if len(text) <= RECORDED_PREFIX:
        return body
    return {"truncated": True, "size": size if size is not None else len(text.encode()),
            "prefix": text[:RECORDED_PREFIX]}


def normalize_request(body: dict[str, Any]) -> dict[str, Any]:
    """The request without volatile fields and null values (recursively), so two requests
    asking the same thing compare equal."""
    return _drop_nulls({k: v for k, v in body.items() if k not in _VOLATILE})


def request_hash(body: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of :func:`normalize_request`."""
    canonical = json.dumps(normalize_request(body), sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def recording_ref(session: str, step: int) -> str:
    """Path of one exchange's recording, relative to the root folder."""
    return f"llm/{session}/{step:04d}.json"


class Sink(Protocol):
    """Where a gateway writes recordings, call rows and events; raises OSError or
    ArchiveError on write failures."""

    root: Path

    def put_recording(self, ref: str, exchange: dict[str, Any]) -> None:
        """Store one exchange at ``ref``."""
        ...

    def record_call(self, call: NewLlmCall) -> None:
        """Store the metering of one exchange."""
        ...

    def event(self, kind: str, node_id: int | None, **data: Any) -> None:
        """Append an event (budget refusals, replay divergences)."""
        ...


class RunSink:
    """Writes into a :class:`~cladist.archive.run.Run`: blobs, ``llm_call`` rows, events."""

    def __init__(self, run: Run):
        self.run = run
        self.root = run.path
        self._lock = threading.Lock()

    def put_recording(self, ref: str, exchange: dict[str, Any]) -> None:
        """Store the exchange as a run blob."""
        self.run.blobs.put(ref, json.dumps(exchange, default=str))

    def record_call(self, call: NewLlmCall) -> None:
        """Insert an ``llm_call`` row."""
        with self._lock:
            self.run.store.record_llm_call(call)

    def event(self, kind: str, node_id: int | None, **data: Any) -> None:
        """Append a run event (events.jsonl and the archive)."""
        with self._lock:
            self.run.event(kind, node_id, **data)


class FolderSink:
    """Writes into a plain folder: recordings, ``calls.jsonl`` and ``events.jsonl``."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def put_recording(self, ref: str, exchange: dict[str, Any]) -> None:
        """Write the exchange file (temp file + rename)."""
        path = self.root / ref
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(exchange, default=str))
        os.replace(tmp, path)

    def record_call(self, call: NewLlmCall) -> None:
        """Append the call to ``calls.jsonl``."""
        self._append("calls.jsonl", {"created_at": time.time(), **asdict(call)})

    def event(self, kind: str, node_id: int | None, **data: Any) -> None:
        """Append the event to ``events.jsonl``."""
        self._append("events.jsonl", {"ts": time.time(), "kind": kind, "node": node_id, **data})

    def _append(self, name: str, record: dict[str, Any]) -> None:
        with self._lock, open(self.root / name, "a") as f:
            f.write(json.dumps(record, default=str) + "\n")


def load_session(root: Path, session: str) -> list[dict[str, Any]]:
    """The recorded exchanges of ``session`` under ``root``, in step order.

    Raises NotFoundError when the session has no recordings there.
    """
    folder = Path(root) / "llm" / session
    files = sorted(folder.glob("[0-9]*.json")) if folder.is_dir() else []
    if not files:
        raise NotFoundError(f"session {session!r}: no recordings in {folder}")
    return [json.loads(f.read_text()) for f in files]


class ReplayDivergence(Exception):
    """A replayed request is not the recorded one (or comes after the recording ended).
    ``request`` is the request body that diverged (None for later requests of a replay
    that already diverged)."""

    def __init__(self, step: int, message: str, expected: str | None, got: str,
                 request: dict[str, Any] | None = None):
        super().__init__(message)
        self.step = step
        self.expected = expected
        self.got = got
        self.request = request


class Replay:
    """Serves recorded exchanges in order; thread-safe. Once diverged, every later
    request diverges too (the replay is broken, loudly)."""

    def __init__(self, exchanges: list[dict[str, Any]], session: str):
        self.exchanges = exchanges
        self.session = session
        self._next = 0
        self._broken: ReplayDivergence | None = None
        self._lock = threading.Lock()

    def answer(self, body: dict[str, Any]) -> tuple[int, int, dict[str, Any]]:
        """(step, HTTP status, body) recorded for this request. Raises ReplayDivergence
        when the request's hash differs from the recorded one or the recording is over."""
        got = request_hash(body)
        with self._lock:
            step = self._next
            self._next += 1
            if self._broken is not None:
                raise ReplayDivergence(step, f"replay of {self.session} already diverged at "
                                       f"step {self._broken.step}", None, got)
            if step >= len(self.exchanges):
                self._broken = ReplayDivergence(
                    step, f"replay of {self.session}: step {step} was never recorded (the "
                    f"recording has {len(self.exchanges)} steps)", None, got, body)
                raise self._broken
            recorded = self.exchanges[step]
            if recorded.get("request_hash") != got:
                self._broken = ReplayDivergence(
                    step, f"replay of {self.session} diverged at step {step}: the request "
                    f"differs from the recorded one (hash {got[:12]} != "
                    f"{str(recorded.get('request_hash'))[:12]})", recorded.get("request_hash"),
                    got, body)
                raise self._broken
            return step, int(recorded["status"]), recorded["response"]

    @property
    def divergence(self) -> ReplayDivergence | None:
        """The first divergence (with the request that caused it), or None."""
        with self._lock:
            return self._broken

    @property
    def served(self) -> int:
        """How many requests were asked of the replay so far (served or refused)."""
        with self._lock:
            return self._next

    @property
    def finished(self) -> bool:
        """True when every recorded step has been served and none diverged."""
        with self._lock:
            return self._broken is None and self._next == len(self.exchanges)
