"""The agents' stdlib client: standard library only, and runnable without cladist."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from cladist.agents import llm_client
from cladist.agents.llm_client import Client, LLMConnectionError
from cladist.llm.gateway import Gateway
from cladist.llm.identity import SessionIdentity
from cladist.llm.testing import Reply, ScriptedLLMServer

SOURCE = Path(llm_client.__file__)


def test_imports_only_the_standard_library() -> None:
    tree = ast.parse(SOURCE.read_text())
    names = {alias.name.split(".")[0] for node in ast.walk(tree)
             if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module.split(".")[0] for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module}
    assert names <= set(sys.stdlib_module_names) | {"__future__"}, names


def test_runs_as_a_lone_file_in_an_isolated_interpreter(tmp_path: Path) -> None:
    """Copied alone (as an agent vendors it), with -I -S (no site-packages), it chats."""
    (tmp_path / "llm_client.py").write_text(SOURCE.read_text())
    with ScriptedLLMServer([Reply("from the host")]) as server:
        from cladist.llm.openai_provider import OpenAIProvider

        provider = OpenAIProvider("gpt-4o", base_url=server.openai_base_url, api_key="k")
        with Gateway(provider, folder=tmp_path / "rec") as gw:
            opened = gw.open_session(SessionIdentity("r", 0, "self-edit"))
            code = ("import sys; sys.path.insert(0, sys.argv[1]); import llm_client; "
                    "print(llm_client.reply_message(llm_client.chat("
                    "[{'role': 'user', 'content': 'hi'}]))['content'])")
            done = subprocess.run(
                [sys.executable, "-I", "-S", "-c", code, str(tmp_path)], capture_output=True,
                text=True, timeout=60, env={"CLADIST_LLM_SOCKET": str(opened.socket_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "from the host"


def test_missing_gateway_is_a_connection_error(tmp_path: Path) -> None:
    with pytest.raises(LLMConnectionError, match="cannot reach the LLM gateway"):
        Client(socket_path=str(tmp_path / "none.sock")).chat([{"role": "user", "content": "x"}])
