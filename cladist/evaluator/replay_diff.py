"""Saying in one line how a replayed gateway request differs from the recorded one."""

from __future__ import annotations

import json
from typing import Any

SNIPPET = 60  # characters of each side shown around a difference


def describe_difference(recorded: dict[str, Any] | None, request: dict[str, Any] | None
                        ) -> str:
    """What differs between the recorded exchange ``recorded`` (its ``request`` and
    ``request_hash``) and the new ``request`` body: the path of the first differing value
    (JSON-encoded tool arguments are looked into) and an excerpt of both sides.
    Never raises."""
    from cladist.llm.recording import normalize_request, request_hash

    if request is None:
        return "the replay had already diverged"
    if recorded is None:
        return "the agent made a request the recording does not have (more calls than recorded)"
    old = normalize_request(recorded.get("request") or {})
    new = normalize_request(request)
    if old == new:
        if request_hash(recorded.get("request") or {}) != recorded.get("request_hash"):
            return ("the request is the recorded one, but the recording's request_hash does "
                    "not match its request (the recording was edited)")
        return "the request is the recorded one (only the hash differs)"
    path, a, b = _first_difference(old, new, "")
    if isinstance(a, str) and isinstance(b, str):
        return f"{path or 'request'}: {_excerpt(a, b)}"
    return f"{path or 'request'}: recorded {_short(a)}, now {_short(b)}"


_MISSING = object()


def _first_difference(a: Any, b: Any, path: str) -> tuple[str, Any, Any]:
    """(path, recorded, new) of the first differing leaf of two JSON values."""
    if isinstance(a, str) and isinstance(b, str):
        parsed = _as_json(a), _as_json(b)
        if parsed[0] is not _MISSING and parsed[1] is not _MISSING:
            return _first_difference(parsed[0], parsed[1], path)
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if a.get(key, _MISSING) != b.get(key, _MISSING):
                return _first_difference(a.get(key), b.get(key), f"{path}.{key}".lstrip("."))
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
        if len(a) != len(b):
            return f"{path} (number of items)", len(a), len(b)
    return path, a, b


def _as_json(text: str) -> Any:
    if not text.lstrip().startswith(("{", "[")):
        return _MISSING
    try:
        return json.loads(text)
    except ValueError:
        return _MISSING


def _excerpt(a: str, b: str) -> str:
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
              min(len(a), len(b)))
    start = max(0, at - SNIPPET // 2)

    def cut(s: str) -> str:
        piece = repr(s[start:start + SNIPPET])[1:-1]
        return ("…" if start else "") + piece + ("…" if start + SNIPPET < len(s) else "")
    return f"from character {at}, recorded '{cut(a)}', now '{cut(b)}'"


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= SNIPPET else text[:SNIPPET] + "…"
