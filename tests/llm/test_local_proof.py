"""A new local model server must answer a long prompt before anything uses it: a server that
dies on it (SIGILL: llama.cpp built for another CPU), exits, refuses or stays silent is a
one-line LocalModelError saying why and what to do.

The failing servers are real processes speaking the server's options and HTTP routes (a
small script); the refusal is the real llama.cpp server with a context too small for the
test prompt (skipped without the ``local`` extra).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from smollm2 import smollm2_path

from cladist.llm.local import LocalModelError, LocalModelServer, llama_cpp_missing
from cladist.llm.local_proof import PROOF_TOKENS, exit_description, proof_prompt

FAKE_SERVER = r'''
import json, os, resource, signal, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer

mode, args = sys.argv[1], sys.argv[2:]
port = int(args[args.index("--port") + 1])
if mode == "exit":
    print("llama_model_load: error loading model: not a GGUF file", flush=True)
    sys.exit(3)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        self.send({"object": "list", "data": [{"id": "fake"}]})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        words = len(body["messages"][-1]["content"].split())
        if mode == "sigill" and words > 50:  # like AMX kernels on a long prompt
            print("ggml_backend_amx_mul_mat: tileloadd faulted", flush=True)
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            os.kill(os.getpid(), signal.SIGILL)
        if mode == "silent":
            time.sleep(30)
        tokens = words // 2 if mode == "dense" else words
        self.send({"choices": [{"index": 0, "message": {"role": "assistant", "content": "no"},
                                "finish_reason": "length"}],
                   "usage": {"prompt_tokens": tokens, "completion_tokens": 1}})

    def send(self, payload):
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


print("fake server listening", flush=True)
HTTPServer(("127.0.0.1", port), Handler).serve_forever()
'''


@pytest.fixture
def fake(tmp_path: Path):  # noqa: ANN201 - a factory
    script = tmp_path / "fake_server.py"
    script.write_text(FAKE_SERVER)
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF" + bytes(64))

    def start(mode: str, timeout_s: float = 30) -> LocalModelServer:
        return LocalModelServer(model, ready_timeout_s=timeout_s,
                                command=[sys.executable, str(script), mode])
    return start


def test_a_server_that_dies_with_sigill_on_the_test_prompt_is_named(fake) -> None:  # noqa: ANN001
    with pytest.raises(LocalModelError) as caught:
        fake("sigill")
    message = str(caught.value)
    assert "\n" not in message
    assert "died with SIGILL (illegal instruction) while answering a 1200-word" in message
    assert "built for another CPU" in message and "scripts/setup --local" in message
    assert "tileloadd faulted" in message  # the server's last log lines


def test_a_server_that_exits_while_loading_says_so(fake) -> None:  # noqa: ANN001
    with pytest.raises(LocalModelError, match=r"exited with code 3 while loading model\.gguf: "
                       r"llama_model_load: error loading model: not a GGUF file"):
        fake("exit")


def test_a_silent_server_times_out_in_one_line(fake) -> None:  # noqa: ANN001
    with pytest.raises(LocalModelError) as caught:
        fake("silent", timeout_s=2)
    message = str(caught.value)
    assert "did not answer a 1200-word test prompt within 2s" in message
    assert "llm.local_ready_timeout_s" in message and "\n" not in message


def test_a_tokenizer_that_packs_words_gets_a_longer_prompt(fake) -> None:  # noqa: ANN001
    server = fake("dense")  # counts one token per two words
    try:
        assert server.running and server.proof_seconds > 0
    finally:
        server.stop()
    assert not server.running


def test_the_test_prompt_and_exit_descriptions() -> None:
    assert len(proof_prompt(1200).split()) > PROOF_TOKENS
    assert exit_description(-4) == "died with SIGILL (illegal instruction)"
    assert exit_description(2) == "exited with code 2"
    assert exit_description(-200) == "died with signal 200"


@pytest.mark.slow
@pytest.mark.skipif(llama_cpp_missing() is not None, reason=f"{llama_cpp_missing()}")
def test_a_real_server_that_cannot_hold_the_test_prompt_is_refused() -> None:
    with pytest.raises(LocalModelError) as caught:
        LocalModelServer(smollm2_path(), n_ctx=512, ready_timeout_s=120)
    message = str(caught.value)
    assert "refused a 1200-word test prompt (HTTP 400" in message and "\n" not in message
    assert "context" in message


@pytest.mark.skipif(llama_cpp_missing() is not None, reason=f"{llama_cpp_missing()}")
@pytest.mark.parametrize("command", [["llm", "chat", "hello"],
                                     ["run", "--preset", "quickstart"],
                                     ["eval", "--agent", "seed", "--task", "py-easy-is-even"]])
def test_commands_exit_with_one_line_when_the_model_cannot_run(tmp_path: Path,
                                                               command: list[str]) -> None:
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model")
    done = subprocess.run([sys.executable, "-m", "cladist", *command,
                           "-c", f"llm.local_model_path={junk}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("cladist: error:")]
    assert len(errors) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "the local model server exited with code" in errors[0]
    assert "while loading junk.gguf" in errors[0]
