"""Proving that a freshly started local model server really answers.

A server that passes its health check can still be unable to answer: llama.cpp compiled for
another CPU (native flags, AMX advertised by a virtual machine that faults on it) loads the
model, answers ``/v1/models`` and dies with SIGILL on the first prompt longer than a few
tokens. :func:`prove_answers` sends a prompt of at least :data:`PROOF_TOKENS` tokens and
requires a reply; :class:`ProofFailed` says, in one line, why not and what to do.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.error
import urllib.request
from typing import NoReturn

PROOF_TOKENS = 1000
"""Fewest prompt tokens of the test prompt every new server must answer."""
REBUILD = "rebuild the portable embedded runtime with: scripts/setup --local"
_TEXT = ("the agent reads the failing test then opens the file and changes one line so "
         "that every check passes again before it writes a short summary").split()


class ProofFailed(Exception):
    """The server did not answer the test prompt; the message is one line (why, and what
    to do)."""


def proof_prompt(words: int) -> str:
    """The test prompt: plain English, ``words`` words long (about as many tokens)."""
    text = " ".join(_TEXT[i % len(_TEXT)] for i in range(words))
    return f"Here is a text.\n\n{text}\n\nAnswer with one word: is this text about code?"


def exit_description(code: int | None) -> str:
    """How a process ended, from its return code: ``died with SIGILL (illegal
    instruction)`` for a signal, ``exited with code N`` otherwise."""
    if code is not None and code < 0:
        try:
            sig = signal.Signals(-code)
        except ValueError:
            return f"died with signal {-code}"
        what = signal.strsignal(sig) or ""
        return f"died with {sig.name}" + (f" ({what.lower()})" if what else "")
    return f"exited with code {code}"


def prove_answers(base_url: str, alias: str, proc: subprocess.Popen[bytes],
                  timeout_s: float) -> float:
    """Ask the server at ``base_url`` (process ``proc``) a prompt of at least
    :data:`PROOF_TOKENS` tokens; returns the seconds it took. Raises ProofFailed when the
    server dies, answers an error or stays silent for ``timeout_s``."""
    started, wanted = time.monotonic(), PROOF_TOKENS + PROOF_TOKENS // 5
    words, tokens = wanted, 0
    for _ in range(3):  # a tokenizer that packs words tighter gets a longer text
        try:
            tokens = _ask(base_url, alias, words, timeout_s)
        except (OSError, ValueError, KeyError, IndexError, TypeError) as err:
            _failed(proc, words, err, timeout_s)
        if tokens >= PROOF_TOKENS:
            return time.monotonic() - started
        words = words * wanted // max(tokens, 1) + 1
    _failed(proc, words, ValueError(f"the prompt counted only {tokens} tokens"), timeout_s)


def _ask(base_url: str, alias: str, words: int, timeout_s: float) -> int:
    """The prompt tokens the server counted in answering a ``words``-word prompt."""
    body = json.dumps({"model": alias, "max_tokens": 2, "temperature": 0,
                       "messages": [{"role": "user", "content": proof_prompt(words)}]})
    request = urllib.request.Request(base_url + "/chat/completions", body.encode(),
                                     {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        answer = json.loads(response.read())
    if not isinstance(answer["choices"][0]["message"], dict):
        raise ValueError("the reply holds no message")
    return int(answer["usage"]["prompt_tokens"])


def _failed(proc: subprocess.Popen[bytes], words: int, err: BaseException,
            timeout_s: float) -> NoReturn:
    try:
        proc.wait(timeout=2)  # a server that crashed on the prompt: say how it died
    except subprocess.TimeoutExpired:
        pass
    code, what = proc.poll(), f"a {words}-word test prompt"
    if code is not None:
        hint = (f"llama.cpp was built for another CPU; {REBUILD}" if code in (
            -signal.SIGILL, -signal.SIGBUS) else f"check the model file or {REBUILD}")
        raise ProofFailed(f"the local model server {exit_description(code)} while answering "
                          f"{what}: {hint}")
    if isinstance(err, urllib.error.HTTPError):
        body = " ".join(err.read()[:400].decode(errors="replace").split())
        raise ProofFailed(f"the local model server refused {what} (HTTP {err.code}: {body}): "
                          f"check the model file and that its context holds "
                          f"{PROOF_TOKENS} tokens, or {REBUILD}")
    detail = str(getattr(err, "reason", None) or err)
    raise ProofFailed(f"the local model server did not answer {what} within {timeout_s:.0f}s "
                      f"({type(err).__name__}: {' '.join(detail.split())}): raise "
                      f"llm.local_ready_timeout_s on a slow machine, check the model file, "
                      f"or {REBUILD}")
