"""End to end in Docker: an agent in a network-less container reaches the ``local`` model
only through the gateway's Unix socket, and never sees a key (DESIGN section 5).

Each session is its own container (the socket file is the session's identity). Needs the
Docker engine and image (``docker`` marker) and llama-cpp-python (``.[local]``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cladist.agents import llm_client
from cladist.llm.budgets import Budgets, Limit
from cladist.llm.gateway import Gateway, OpenSession
from cladist.llm.identity import SessionIdentity
from cladist.llm.local import LocalProvider, llama_cpp_missing
from cladist.llm.models import resolve_local_model
from cladist.sandbox import Mount, SandboxSpec, open_sandbox

if TYPE_CHECKING:
    import docker

pytestmark = [
    pytest.mark.docker, pytest.mark.slow,
    pytest.mark.skipif(llama_cpp_missing() is not None,
                       reason=f"local model unavailable: {llama_cpp_missing()}"),
]

FAKE_KEYS = {"OPENAI_API_KEY": f"sk-fake-openai-{uuid.uuid4().hex}",
             "ANTHROPIC_API_KEY": f"sk-ant-fake-{uuid.uuid4().hex}"}

CONTROL = "DEFAULT_SOCKET = "

# What the agent runs: the vendored stdlib client, one call per message list on argv.
AGENT = """
import json, sys
sys.path.insert(0, "/opt/cladist")
import llm_client
for text in sys.argv[1:]:
    try:
        r = llm_client.chat([{"role": "user", "content": text}], temperature=0, max_tokens=12)
        print(json.dumps({"ok": r}))
    except llm_client.LLMAPIError as e:
        print(json.dumps({"error": {"status": e.status, "code": e.code, "message": e.message}}))
"""


@pytest.fixture(scope="module")
def local() -> Iterator[LocalProvider]:
    provider = LocalProvider("smollm2-135m-instruct", default_max_tokens=12,
                             model_path=resolve_local_model("smollm2-135m"))  # fast
    yield provider
    provider.close()


@pytest.fixture
def gateway(local: LocalProvider, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    for name, value in FAKE_KEYS.items():  # the host has keys; the sandbox must not
        monkeypatch.setenv(name, value)
    with Gateway(local, folder=tmp_path / "recordings") as gw:
        yield gw


def run_agent(client: docker.DockerClient, image: str, opened: OpenSession,
              *texts: str, extra: str = "") -> tuple[list[dict], str]:
    """Run the agent script in a fresh sandbox that has only the session's socket."""
    spec = SandboxSpec(image=image, gateway_socket=opened.socket_path, role="llm-e2e",
                       mounts=(Mount(Path(llm_client.__file__),
                                     "/opt/cladist/llm_client.py"),))
    with open_sandbox(spec, "docker", client=client) as box:
        done = box.exec(["python3", "-c", AGENT, *texts], timeout=120)
        assert done.returncode == 0, done.err
        probe = box.exec(["sh", "-c", extra], timeout=120).out if extra else ""
    return [json.loads(line) for line in done.out.splitlines()], probe


def test_container_gets_a_local_completion_and_no_key(
        docker_client: docker.DockerClient, base_image: str, gateway: Gateway) -> None:
    opened = gateway.open_session(SessionIdentity("e2e", 1, "evaluation", "t1"))
    # One scan of the whole filesystem for the key values, with a control pattern that
    # only the vendored client holds (proves the scan reads files as the agent user).
    values = " ".join(f"-e {v}" for v in [*FAKE_KEYS.values(), CONTROL])
    probe = ("id -u; cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' | tr '\\n' ,;"
             "echo; env; echo ENV-END; "
             f"grep -rIl --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev {values} / "
             "2>/dev/null; echo GREP-END")
    (answer,), seen = run_agent(docker_client, base_image, opened, "Say hello.",
                                extra=probe)
    completion = answer["ok"]
    assert completion["model"] == "smollm2-135m-instruct"
    assert completion["choices"][0]["message"]["content"]
    assert completion["usage"]["completion_tokens"] > 0
    uid, interfaces, rest = seen.split("\n", 2)
    assert uid != "0" and interfaces == "lo,"  # non-root, no network but loopback
    env, grep = rest.split("ENV-END")
    for name, value in FAKE_KEYS.items():
        assert name not in env and value not in env
    assert grep.split() == ["/opt/cladist/llm_client.py", "GREP-END"]  # no file holds a key
    gateway.flush()
    (call,) = [json.loads(x) for x in (gateway.sink.root / "calls.jsonl").read_text()
               .splitlines()]
    assert call["provider"] == "local" and call["tokens_out"] > 0


def test_session_budget_in_container(docker_client: docker.DockerClient, base_image: str,
                                     gateway: Gateway) -> None:
    opened = gateway.open_session(SessionIdentity("e2e", 2, "self-edit"),
                                  budgets=Budgets(session=Limit(tokens=60)))
    first, second = run_agent(docker_client, base_image, opened, "Hi.", "Hi again.")[0]
    assert "ok" in first
    assert second["error"]["status"] == 429 and second["error"]["code"] == "budget_exceeded"
    gateway.flush()
    events = [json.loads(x) for x in (gateway.sink.root / "events.jsonl").read_text()
              .splitlines()]
    assert [e["kind"] for e in events] == ["llm_budget_exceeded"]
    assert events[0]["session"] == opened.identity.session and events[0]["node"] == 2


def test_recorded_session_replays_in_container(docker_client: docker.DockerClient,
                                               base_image: str, gateway: Gateway) -> None:
    recorded = gateway.open_session(SessionIdentity("e2e", 3, "evaluation", session="rec"))
    original, _ = run_agent(docker_client, base_image, recorded, "One.", "Two.")
    gateway.flush()
    same = gateway.open_session(SessionIdentity("e2e", 3, "evaluation"), replay="rec")
    replayed, _ = run_agent(docker_client, base_image, same, "One.", "Two.")
    assert replayed == original and all("ok" in r for r in replayed)
    changed = gateway.open_session(SessionIdentity("e2e", 3, "evaluation"), replay="rec")
    diverged, _ = run_agent(docker_client, base_image, changed, "One.", "Three?")
    assert diverged[0] == original[0]
    assert diverged[1]["error"]["code"] == "replay_divergence"
    assert "diverged at step 1" in diverged[1]["error"]["message"]


def test_a_long_prompt_from_the_container_gets_an_answer(
        docker_client: docker.DockerClient, base_image: str, gateway: Gateway,
        local: LocalProvider) -> None:
    # What the embedded model first failed at on a machine whose CPU advertised AMX:
    # llama.cpp built natively died with SIGILL on any prompt longer than a few tokens.
    from cladist.llm.local_proof import PROOF_TOKENS, proof_prompt

    opened = gateway.open_session(SessionIdentity("e2e", 4, "evaluation", "long"))
    (answer,), _ = run_agent(docker_client, base_image, opened, proof_prompt(1300))
    completion = answer["ok"]
    assert completion["usage"]["prompt_tokens"] >= PROOF_TOKENS
    assert completion["usage"]["completion_tokens"] > 0
    assert completion["choices"][0]["message"]["content"]
    assert local.server.running and local.restarts == 0  # it answered, and lived
