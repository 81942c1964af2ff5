"""``cladist llm chat`` and ``cladist llm serve`` against the scripted server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cladist.agents.llm_client import Client
from cladist.llm.testing import Reply, ScriptedLLMServer


def cladist(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cladist", *args], capture_output=True,
                          text=True, timeout=120, env=env)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")}
    return {**env, **extra}


def test_chat_prints_the_answer_and_metering() -> None:
    with ScriptedLLMServer([Reply("Paris.", input_tokens=12, output_tokens=2)],
                           api_key="sk-cli") as server:
        done = cladist("llm", "chat", "Capital of France?", "-c", "llm.provider=openai",
                       "-c", "llm.model=gpt-4o", "-c", f"llm.base_url={server.openai_base_url}",
                       env=clean_env(OPENAI_API_KEY="sk-cli"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Paris."
    assert "openai gpt-4o: 12 in (0 cached), 2 out, $0.000050" in done.stderr


def test_missing_key_is_one_line_naming_the_variable() -> None:
    done = cladist("llm", "chat", "hi", "-c", "llm.provider=anthropic", "-c",
                   "llm.model=claude-sonnet-4-5", env=clean_env())
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "cladist: error: anthropic: environment variable ANTHROPIC_API_KEY is not set; "
        "export your API key in it (or name another with llm.api_key_env)"]


def test_serve_answers_on_its_socket(tmp_path: Path) -> None:
    sock = Path("/tmp") / f"cladist-cli-{os.getpid()}.sock"
    with ScriptedLLMServer([Reply("served")], api_key="sk-cli") as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cladist", "llm", "serve", "--socket", str(sock),
             "--record", str(tmp_path), "-c", "llm.provider=openai", "-c", "llm.model=gpt-4o",
             "-c", f"llm.base_url={server.openai_base_url}", "-c", "llm.session_tokens=1000"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=clean_env(OPENAI_API_KEY="sk-cli"))
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline()
            assert f"CLADIST_LLM_SOCKET={sock}" in first, first + proc.stderr.read()
            answer = Client(socket_path=str(sock)).chat([{"role": "user", "content": "x"}])
            assert answer["choices"][0]["message"]["content"] == "served"
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
    deadline = time.monotonic() + 5
    while not list(tmp_path.glob("llm/*/0000.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob("llm/*/0000.json")) and not sock.exists()
