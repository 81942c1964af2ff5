"""Gateway overhead: the latency a call gains by going through the gateway's Unix socket.

In one run, against the scripted test server on loopback, it times N identical chat calls
made with the agents' stdlib client (keep-alive connections both ways):

- direct:  client -> test server (HTTP over loopback TCP);
- gateway: client -> gateway Unix socket -> openai provider (official SDK) -> test server,
  with budgets checked and every exchange recorded (to a folder, by the background writer);
- gateway+run: the same, recording into a real run (llm_call rows in SQLite with
  synchronous=FULL, blobs fsynced);

and prints the medians, the added latency (gateway - direct) and its p90. The added time is
the gateway's whole cost: its HTTP hop, JSON, budget bookkeeping and the provider's SDK.

Usage: python bench/gateway_overhead.py [--calls N] [--warmup W]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from cladist.agents.llm_client import Client
from cladist.llm.budgets import Budgets, Limit
from cladist.llm.gateway import Gateway
from cladist.llm.identity import SessionIdentity
from cladist.llm.openai_provider import OpenAIProvider
from cladist.llm.testing import Reply, ScriptedLLMServer

MESSAGES = [{"role": "system", "content": "You are a coding agent."},
            {"role": "user", "content": "Fix the failing test in src/app.py. " * 20}]
TOOLS = [{"type": "function", "function": {"name": "bash", "description": "Run a command.",
                                           "parameters": {"type": "object", "properties": {
                                               "cmd": {"type": "string"}}}}}]


def timed(client: Client, calls: int, warmup: int) -> list[float]:
    """Latencies (seconds) of ``calls`` chat calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        client.chat(MESSAGES, tools=TOOLS, max_tokens=64)
    out = []
    for _ in range(calls):
        start = time.perf_counter()
        client.chat(MESSAGES, tools=TOOLS, max_tokens=64)
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    """Run the measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    reply = Reply("Looking at the file now.", tool_calls=(("bash", {"cmd": "cat src/app.py"}),))
    with ScriptedLLMServer(default=lambda body: reply, api_key="bench-key") as server, \
            tempfile.TemporaryDirectory() as folder:
        direct = Client(url=server.openai_base_url)
        direct.chat = _with_auth(direct)  # type: ignore[method-assign]
        provider = OpenAIProvider("gpt-4o", base_url=server.openai_base_url,
                                  api_key="bench-key")
        budgets = Budgets(session=Limit(tokens=10**9, dollars=10**6), call=Limit(tokens=10**6))
        run = _run(Path(folder) / "runs")
        with Gateway(provider, folder=Path(folder), budgets=budgets) as gateway, \
                Gateway(provider, run=run, budgets=budgets) as run_gateway:
            ident = SessionIdentity(run.id, 0, "evaluation", "t")
            through = Client(socket_path=str(gateway.open_session(ident).socket_path))
            via_run = Client(socket_path=str(run_gateway.open_session(ident).socket_path))
            # Interleave rounds so drift (CPU frequency, other load) hits all paths alike.
            d: list[float] = []
            g: list[float] = []
            r: list[float] = []
            rounds = 5
            for _ in range(rounds):
                d += timed(direct, args.calls // rounds, args.warmup // rounds)
                g += timed(through, args.calls // rounds, args.warmup // rounds)
                r += timed(via_run, args.calls // rounds, args.warmup // rounds)
            gateway.flush()
            run_gateway.flush()
            recorded = len(list((Path(folder) / "llm").rglob("*.json")))
            rows = int(run.store.totals()["llm_tokens"] // 15)
        run.close()
        provider.close()

    md = statistics.median(d)
    print(f"calls per path           : {len(d)} (after {args.warmup} warm-up calls)")
    print(f"direct median            : {md * 1000:.2f} ms")
    for name, times in (("gateway", g), ("gateway+run", r)):
        mg = statistics.median(times)
        added = sorted(x - md for x in times)
        p90 = added[int(0.9 * (len(added) - 1))]
        print(f"{name + ' median':<25}: {mg * 1000:.2f} ms  (added {(mg - md) * 1000:.2f} ms, "
              f"p90 added {p90 * 1000:.2f} ms, {mg / md:.1f}x)")
    print("target                   : added median < 5 ms")
    print(f"exchanges recorded       : {recorded} in the folder, {rows} llm_call rows in the run")


def _run(runs_dir: Path):  # noqa: ANN202
    from cladist.archive.run import Run
    from cladist.config import Config

    return Run.create(Config.model_validate({"run": {"runs_dir": str(runs_dir)}}))


def _with_auth(client: Client):  # noqa: ANN202 - the test server wants the key
    import json

    def chat(messages, tools=None, **params):  # noqa: ANN001, ANN202
        body = {"model": "gpt-4o", "messages": messages, **params}
        if tools:
            body["tools"] = tools
        conn = client._connection()
        conn.request("POST", client._prefix + "/chat/completions", body=json.dumps(body),
                     headers={"content-type": "application/json",
                              "authorization": "Bearer bench-key"})
        response = conn.getresponse()
        return json.loads(response.read())

    return chat


if __name__ == "__main__":
    main()
