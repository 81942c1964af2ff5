"""Text an agent produced, made safe to store, encode and print.

An agent's output is any bytes: not UTF-8, lone surrogates after a lenient decode, or
terminal escape sequences that repaint the user's screen. These helpers never raise:
:func:`clean` gives a string every UTF-8 codec accepts, :func:`to_bytes` keeps as much of
the original as it can, :func:`printable` is what a terminal may be shown.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """``text`` with every lone surrogate (what ``surrogateescape`` or JSON ``\\udcff``
    leaves) replaced by U+FFFD, so it encodes as UTF-8 (SQLite, JSON, files)."""
    return _SURROGATES.sub(REPLACEMENT, text)


def to_bytes(text: str) -> bytes:
    """``text`` as UTF-8; bytes smuggled in by ``surrogateescape`` come back as they were,
    other lone surrogates become U+FFFD."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", errors="surrogateescape")
        except UnicodeEncodeError:
            return clean(text).encode("utf-8")


def decode(data: bytes) -> str:
    """``data`` as text: UTF-8, undecodable bytes as U+FFFD."""
    return data.decode("utf-8", errors="replace")


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters other than newline and tab (the
    escape that starts an ANSI sequence, a carriage return, a bell) shown as ``\\xNN``,
    lone surrogates as U+FFFD."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group(0)):02x}", clean(text))
