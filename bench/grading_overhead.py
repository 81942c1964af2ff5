"""What the hardened grading costs against the grading it replaced, per language, side by side.

Usage: python bench/grading_overhead.py [--runs N] [--backend docker|bubblewrap]
                                        [--languages python,go,...]

For one bundled task per language it measures, interleaved in random order round by round
(so load that comes and goes on a shared machine weighs on both sides alike):

- **patch**: making the agent's patch after it finished. Before: ``git add -A && git diff``
  run by the agent's own git inside its sandbox. Now: the work tree read out as a tar,
  written on the host without following links, protected files restored, and the patch
  made by git with cladist's configuration (:mod:`cladist.evaluator.runner`).
- **grade**: grading the reference solution. Before: workspace copied in, a baseline
  commit, ``git apply`` in the sandbox, hidden tests copied, the test command, pass = exit
  code 0. Now: the patch applied and protected files restored on the host, a toolchain
  probe, the trusted runner with its report, judged against the expected tests
  (:mod:`cladist.evaluator.grader`).

Prints the median milliseconds of each side and their ratio.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from cladist import scratch
from cladist.config import load_config
from cladist.evaluator.contracts import Task
from cladist.evaluator.evaluate import make_context
from cladist.evaluator.grader import grade
from cladist.evaluator.oracle import solution_patch
from cladist.evaluator.runner import OutputCaps, make_patch
from cladist.evaluator.suites.bundled import BundledSuite
from cladist.sandbox.contract import SandboxSpec

TASKS = {"python": "py-easy-is-even", "go": "go-easy-sum-evens", "rust": "rust-easy-clamp",
         "cpp": "cpp-easy-sum-to", "javascript": "js-easy-capitalize"}
BASELINE = ("git init -q . && git config user.email a@b && git config user.name a && "
            "git add -A && git commit -q --allow-empty -m base && git tag base")
OLD_DIFF = "git add -A && git diff --cached --binary --full-index base"
OLD_COMMANDS = {  # the test commands of the bundled tasks before the trusted runners
    "python": "python3 -m pytest -q -p no:cacheprovider tests/",
    "go": "go test ./...",
    "rust": "cargo test --offline",
    "cpp": ("cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build && "
            "./build/run_tests"),
    "javascript": "node --test test/",
}


def old_patch(task: Task, opener: Callable, spec: SandboxSpec) -> str:
    """The patch as it was made: the agent's git, in its sandbox."""
    with opener(spec) as box:
        box.copy_in(task.workspace, task.workdir)
        box.exec(BASELINE, cwd=task.workdir)
        box.copy_in(task.solution, task.workdir)  # what the agent wrote
        box.exec(f"{OLD_DIFF} > /tmp/patch.diff", cwd=task.workdir)
        return str(box.read_file("/tmp/patch.diff"))


def new_patch(task: Task, opener: Callable, spec: SandboxSpec) -> str:
    """The patch as it is made now: the tree read out and diffed on the host."""
    with scratch.temporary("bench") as tmp:
        with opener(spec) as box:
            box.copy_in(task.workspace, task.workdir)
            box.exec(BASELINE, cwd=task.workdir)  # the agent's git, for its convenience
            box.copy_in(task.solution, task.workdir)
            tree = box.read_tree(task.workdir, 64 << 20)
        return make_patch(task, task.workspace, tree, Path(tmp), OutputCaps())[0]


def old_grade(task: Task, patch: str, opener: Callable, spec: SandboxSpec) -> bool:
    """Grading as it was: apply in the sandbox, hidden tests, the exit code decides."""
    with opener(spec) as box:
        box.copy_in(task.workspace, task.workdir)
        box.exec(BASELINE, cwd=task.workdir)
        box.write_file("/tmp/patch.diff", patch)
        box.exec("git apply --whitespace=nowarn /tmp/patch.diff", cwd=task.workdir)
        box.copy_in(task.hidden_tests, task.workdir)
        return box.exec(OLD_COMMANDS[task.language], cwd=task.workdir,
                        timeout=task.test_timeout_s).ok


def paired_ms(ours: Callable[[], object], before: Callable[[], object], runs: int
              ) -> tuple[float, float]:
    """Medians (ms) of ``ours`` and ``before``, run ``runs`` times each, interleaved."""
    ours(), before()  # warm up (build caches, images)
    times: dict[int, list[float]] = {0: [], 1: []}
    for _ in range(runs):
        for index in random.sample([0, 1], 2):
            started = time.perf_counter()
            (ours, before)[index]()
            times[index].append(time.perf_counter() - started)
    return statistics.median(times[0]) * 1000, statistics.median(times[1]) * 1000


def main() -> None:
    """Measure and print the figures (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", default="docker", choices=["docker", "bubblewrap"])
    parser.add_argument("--languages", default=",".join(TASKS))
    args = parser.parse_args()
    context = make_context(load_config([f"sandbox.backend={args.backend}"]), gateway=None)
    print(f"grading overhead on {args.backend}, {args.runs} runs each, medians in ms")
    print(f"{'language':<11} {'step':<6} {'before':>9} {'now':>9} {'ratio':>6}")
    for language in args.languages.split(","):
        measure(language, context, args.runs)


def measure(language: str, context: object, runs: int) -> None:
    """Print the patch and grade rows of one language."""
    (task,) = BundledSuite().tasks([TASKS[language]])
    spec = SandboxSpec(image=context.image_for(task.image), role="bench",  # type: ignore[attr-defined]
                       run_id="bench")
    opener = context.open_sandbox  # type: ignore[attr-defined]
    patch = solution_patch(task)
    assert grade(task, patch, opener, spec).verdict == "pass", task.id
    assert old_grade(task, patch, opener, spec), task.id
    steps = {
        "patch": (lambda: new_patch(task, opener, spec),
                  lambda: old_patch(task, opener, spec)),
        "grade": (lambda: grade(task, patch, opener, replace(spec, role="grader")),
                  lambda: old_grade(task, patch, opener, spec)),
    }
    for step, (ours, before) in steps.items():
        now_ms, before_ms = paired_ms(ours, before, runs)
        print(f"{language:<11} {step:<6} {before_ms:>9.0f} {now_ms:>9.0f} "
              f"{now_ms / before_ms:>5.2f}x", flush=True)

if __name__ == "__main__":
    main()
