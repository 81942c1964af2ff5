"""The gateway socket in the lighter sandbox: bubblewrap, with a key planted on the host."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cladist.agents import llm_client
from cladist.llm.gateway import Gateway
from cladist.llm.identity import SessionIdentity
from cladist.llm.openai_provider import OpenAIProvider
from cladist.llm.testing import Reply, ScriptedLLMServer
from cladist.sandbox import Mount, SandboxSpec, SandboxUnavailable, open_sandbox

AGENT = """
import os, sys
sys.path.insert(0, "/opt/cladist")
import llm_client
print(llm_client.reply_message(llm_client.chat([{"role": "user", "content": "hi"}]))["content"])
print(",".join(sorted(k for k in os.environ if k.endswith("_API_KEY"))) or "no-keys")
"""


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed "
                    "(apt-get install bubblewrap, or run scripts/provision)")
def test_bubblewrap_sandbox_reaches_the_gateway_without_keys(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-host-key")
    with ScriptedLLMServer([Reply("through bwrap")], api_key="sk-fake-host-key") as server:
        provider = OpenAIProvider("gpt-4o", base_url=server.openai_base_url)
        with Gateway(provider, folder=tmp_path) as gateway:
            opened = gateway.open_session(SessionIdentity("bw", 1, "evaluation"))
            spec = SandboxSpec(gateway_socket=opened.socket_path, role="llm-bwrap", mounts=(
                Mount(Path(llm_client.__file__), "/opt/cladist/llm_client.py"),))
            try:
                box = open_sandbox(spec, "bubblewrap")
            except SandboxUnavailable as exc:
                pytest.skip(f"bubblewrap cannot run here: {exc}")
            with box:
                done = box.exec(["python3", "-c", AGENT], timeout=60)
    assert done.returncode == 0, done.err
    assert done.out.split() == ["through", "bwrap", "no-keys"]
