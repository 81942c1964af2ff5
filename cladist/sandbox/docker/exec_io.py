"""Low-level helpers of the Docker backend: the exec stream, stdin feeding, exit codes,
OOM counters.

Docker multiplexes an exec's stdout and stderr on one socket in frames (8-byte header:
stream id, 3 zero bytes, big-endian size). :func:`pump` reads them with a cap and a
deadline, so a command printing a gigabyte costs the host no more than the cap.
"""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cladist.sandbox.common import OutputCollector


def exec_exit_code(api: Any, exec_id: str) -> int:
    """The exit code of a finished exec (waits up to 2.5 s for the engine to record it);
    -1 if it has none."""
    for _ in range(50):
        info = api.exec_inspect(exec_id)
        if not info.get("Running") and info.get("ExitCode") is not None:
            return int(info["ExitCode"])
        time.sleep(0.05)
    return -1


def start_writer(sock: socket.socket, data: bytes | None) -> threading.Thread | None:
    """Send ``data`` to the command's stdin in a thread, then half-close the socket."""
    if data is None:
        return None

    def write() -> None:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the command exited or was killed before reading everything

    thread = threading.Thread(target=write, daemon=True, name="cladist-stdin")
    thread.start()
    return thread


def pump(sock: socket.socket, out: OutputCollector, deadline: float,
          finished: Callable[[], bool]) -> str:
    """Read multiplexed frames into ``out`` until EOF, the cap or the deadline.

    When the stream is idle for a moment and ``finished()`` says the command exited, stop
    too: a background process it left may hold stdout open. Returns why it stopped:
    "eof", "cap", "deadline" or "exited".
    """
    buf = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return "deadline"
        sock.settimeout(min(remaining, 0.25))
        try:
            chunk = sock.recv(1 << 16)
        except TimeoutError:
            if finished():
                return "exited"
            continue
        except OSError:
            return "eof"
        if not chunk:
            return "eof"
        buf += chunk
        while len(buf) >= 8:
            stream, size = buf[0], struct.unpack(">I", buf[4:8])[0]
            if len(buf) < 8 + size:
                break
            if out.add(stream, bytes(buf[8:8 + size])):
                return "cap"
            del buf[:8 + size]


def host_oom_count(container_id: str) -> int | None:
    """OOM kills of a container read from the host's cgroup files, None if not visible."""
    for path in (f"/sys/fs/cgroup/memory/docker/{container_id}/memory.oom_control",
                 f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/memory.events",
                 f"/sys/fs/cgroup/docker/{container_id}/memory.events"):
        try:
            return parse_oom(Path(path).read_text())
        except OSError:
            continue
    return None


def parse_oom(text: str) -> int:
    """The ``oom_kill`` counter in a cgroup v1 ``memory.oom_control`` or v2 ``memory.events``."""
    match = re.search(r"^oom_kill (\d+)", text, re.M)
    return int(match.group(1)) if match else 0
