"""The LLM commands: ``cladist llm chat`` (one question to the configured provider) and
``cladist llm serve`` (one gateway session by hand). Registered on the ``llm`` sub-app of
:mod:`cladist.cli.app`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cladist.cli.app import ConfigOpt, PresetOpt, llm_app


@llm_app.command("chat")
def llm_chat(prompt: Annotated[str, typer.Argument(help="What to ask.")],
             config: ConfigOpt = None, preset: PresetOpt = None) -> None:
    """Ask the configured provider one question (checks keys, endpoint or local model)."""
    from cladist.config import load_config
    from cladist.llm.contracts import ChatRequest
    from cladist.llm.factory import make_provider

    provider = make_provider(load_config(config or [], preset=preset).llm)
    try:
        result = provider.chat(ChatRequest([{"role": "user", "content": prompt}]))
    finally:
        provider.close()
    print(result.content or "")
    u = result.usage
    print(f"[{result.provider} {result.model}: {u.input_tokens} in ({u.cached_tokens} cached), "
          f"{u.output_tokens} out, ${result.cost_usd:.6f}, {result.latency_s:.2f}s]",
          file=sys.stderr)


@llm_app.command("serve")
def llm_serve(config: ConfigOpt = None, preset: PresetOpt = None,
              socket: Annotated[Path | None, typer.Option(help="Unix socket path to create "
                                                          "(default: a fresh temporary one).")
                                ] = None,
              tcp: Annotated[bool, typer.Option(help="Also serve on loopback TCP.")] = False,
              record: Annotated[Path, typer.Option(help="Folder for recordings.")] = Path(
                  "llm-recordings"),
              replay: Annotated[str | None, typer.Option(help="Replay this recorded session "
                                                         "(from --record) instead.")] = None,
              node: Annotated[int | None, typer.Option(help="Node id of the session.")] = None,
              purpose: Annotated[str, typer.Option(help="diagnosis, self-edit or evaluation."
                                                   )] = "evaluation") -> None:
    """Serve one gateway session until Ctrl-C (point an agent at its socket)."""
    import time

    from cladist.config import load_config
    from cladist.llm.factory import make_gateway
    from cladist.llm.identity import SessionIdentity

    cfg = load_config(config or [], preset=preset)
    gateway = make_gateway(cfg, folder=record, replay_only=replay is not None)
    try:
        identity = SessionIdentity("manual", node, purpose, None)  # type: ignore[arg-type]
        opened = gateway.open_session(identity, socket_path=socket, tcp=tcp, replay=replay)
        print(f"session {opened.identity.session}: CLADIST_LLM_SOCKET={opened.socket_path}")
        if opened.tcp_url:
            print(f"  CLADIST_LLM_URL={opened.tcp_url}")
        print(f"  recording into {gateway.sink.root}; Ctrl-C stops", flush=True)
        while True:
            time.sleep(3600)
    finally:
        gateway.close()
        if gateway.provider is not None:
            gateway.provider.close()
