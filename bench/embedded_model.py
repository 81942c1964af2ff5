"""The shipped embedded models side by side: how well the seed agent does with each, how fast.

Usage: python bench/embedded_model.py [--models qwen2.5-coder-1.5b,qwen2.5-coder-0.5b,
       smollm2-135m] [--tiers easy,medium] [--max-steps 8] [--agent-timeout 300]
       [--backend docker|bubblewrap]

For each model, in one run: the llama.cpp server's prompt and generation speed (a prompt of
about 1,000 tokens answered with one token, then a short prompt answered with 128 tokens;
the medians of 3 tries), then ``cladist eval`` of the seed agent on the bundled tasks of
each tier (one worker, the real sandbox), giving pass@1 per tier and the median seconds per
task. Prints one table. Takes about 20-40 minutes per model on 2 cores.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from typing import Any

from cladist.archive.records import Verdict
from cladist.config import load_config
from cladist.evaluator.batch import eval_agent
from cladist.evaluator.suites.bundled import BundledSuite
from cladist.llm.factory import make_provider

LONG_PROMPT = " ".join(f"word{i % 97}" for i in range(1100))


def _tokens_per_second(client: Any, model: str, content: str, max_tokens: int,
                       temperature: float, field: str, default: int) -> float:
    """One chat call's ``usage.<field>`` tokens (``default`` without usage) per second."""
    started = time.perf_counter()
    reply = client.chat.completions.create(
        model=model, max_tokens=max_tokens, temperature=temperature,
        messages=[{"role": "user", "content": content}])
    tokens = getattr(reply.usage, field) if reply.usage else default
    return tokens / (time.perf_counter() - started)


def speed(model: str) -> tuple[float, float]:
    """(prompt tokens/s, generated tokens/s) of ``model`` on the local server."""
    import openai

    provider = make_provider(load_config([f"llm.local_model={model}"]).llm)
    try:
        client = openai.OpenAI(base_url=provider.server.base_url, api_key="local")  # type: ignore[attr-defined]
        prompt, generation = [], []
        for attempt in range(3):
            prompt.append(_tokens_per_second(client, provider.model,
                                             f"{attempt} {LONG_PROMPT}", 1, 0,
                                             "prompt_tokens", 1000))
            generation.append(_tokens_per_second(client, provider.model,
                                                 f"Tell a long story, take {attempt}.", 128,
                                                 0.8, "completion_tokens", 128))
        return statistics.median(prompt), statistics.median(generation)
    finally:
        provider.close()


def solve_rate(model: str, tier: str, args: argparse.Namespace) -> tuple[int, int, float]:
    """(passed, scored, median seconds per task) of the seed agent with ``model``."""
    tasks = [t.id for t in BundledSuite().tasks(tier=tier)]
    with tempfile.TemporaryDirectory(prefix="cladist-bench-") as runs:
        config = load_config([
            f"run.runs_dir={runs}", f"sandbox.backend={args.backend}", "llm.provider=local",
            f"llm.local_model={model}", f"evaluator.tasks=[{', '.join(tasks)}]",
            f"evaluator.agent_max_steps={args.max_steps}",
            f"evaluator.agent_timeout_s={args.agent_timeout}", "budget.workers=1"])
        _, results = eval_agent(config, "seed")
    scored = [rs[-1] for rs in results.values() if rs[-1].verdict != Verdict.INFRA_ERROR]
    passed = sum(r.verdict == Verdict.PASS for r in scored)
    seconds = [r.agent_seconds + r.grade_seconds for r in scored]
    return passed, len(scored), statistics.median(seconds) if seconds else float("nan")


def main() -> None:
    """Measure and print the figures (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="qwen2.5-coder-1.5b,qwen2.5-coder-0.5b,smollm2-135m")
    parser.add_argument("--tiers", default="easy,medium")
    parser.add_argument("--max-steps", type=int, default=8)
    parser.add_argument("--agent-timeout", type=int, default=300)
    parser.add_argument("--backend", default="docker", choices=["docker", "bubblewrap"])
    args = parser.parse_args()
    tiers = args.tiers.split(",")
    rows = []
    for model in args.models.split(","):
        prompt_tps, gen_tps = speed(model)
        cells = []
        for tier in tiers:
            passed, scored, median = solve_rate(model, tier, args)
            cells.append(f"{passed}/{scored} ({median:.0f} s)")
            print(f"{model} {tier}: {passed}/{scored} passed, median {median:.0f} s per task",
                  flush=True)
        rows.append((model, *cells, f"{prompt_tps:.0f}", f"{gen_tps:.1f}"))
    header = ("model", *(f"{t}: pass@1 (median s/task)" for t in tiers), "prompt tok/s",
              "gen tok/s")
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
