"""Sizes in the configuration and the sandbox limits (``512m``, ``2g``)."""

from __future__ import annotations

import re

_SIZE = re.compile(r"^(\d+)([kmg]?)$")


def parse_size(text: str) -> int:
    """Bytes in a size like ``512m`` or ``2g``; raises ValueError on anything else."""
    match = _SIZE.match(text.strip().lower())
    if not match:
        raise ValueError(f"bad size {text!r} (expected digits with an optional k, m or g)")
    return int(match.group(1)) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[match.group(2)]
