"""One SWE-bench evaluation run in cladist's own sandbox, the way the harness's
``run_instance`` runs it, minus the harness's container.

The sandbox is the task's instance image opened by ``open_sandbox`` with cladist's hostile
defaults (no network, every capability dropped, ``no-new-privileges``, memory/CPU/pids
limits, labels), as root only because SWE-bench images own ``/testbed`` as root. Before any
byte of the agent's is there, a probe checks the image can run the harness's commands and
git says which of the expected tests' files exist at the base commit. Then, as
``run_instance`` does: the patch is written to ``/tmp/patch.diff`` and applied by the
harness's commands in order (``git apply``, ``--3way``, ``--reject``, ``patch --fuzz=5``,
each on a clean tree, then the already-applied check), and the instance's eval script runs
(it checks out the test files, applies the test patch and runs the tests between the
harness's markers).

For pytest and Django (unittest) instances the eval script is instrumented
(:func:`instrument`): the signing key arrives on stdin and is read into a shell variable
before anything else runs, stdin is closed, and just before the tests start the key is
written to ``REPORT_DIR/key`` and cladist's reporter is put into the run
(``runners/harness/cladist_swebench_pytest.py`` by ``PYTEST_ADDOPTS``, or
``cladist_swebench_unittest.py`` imported by a ``.pth`` file; both mounted read-only at
``/cladist-harness``, a mount point that root without capabilities cannot replace), which
writes the signed report of the run.

Not covered: code of the agent's that targets the reporter itself (in the test process, or
a process it left running that reads the key file while the tests run), since the tests
run as the same user as the reporter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from cladist.evaluator.contracts import Task
from cladist.evaluator.grader import PROBE_TIMEOUT_S, read_report
from cladist.evaluator.runners import HARNESS_HOST_DIR
from cladist.evaluator.suites.swebench.adapter import InstanceHarness
from cladist.sandbox.contract import (
    ExecResult,
    Mount,
    Sandbox,
    SandboxError,
    SandboxRemoved,
    SandboxSpec,
)
from cladist.sandbox.docker.exec_io import parse_oom

WORKDIR = "/testbed"
HARNESS_MOUNT = "/cladist-harness"
"""Where cladist's runner files are mounted read-only (a mount point root cannot replace)."""
REPORT_DIR = "/tmp/cladist-swebench"
"""Must be ``REPORT_DIR`` of ``cladist_swebench_pytest.py`` and ``..._unittest.py``."""
PATCH_FILE = "/tmp/patch.diff"
EVAL_FILE = "/tmp/eval.sh"
OUTPUT_CAP = 32 << 20
"""Bytes of eval output kept at least (the harness keeps all; an honest log is far less)."""
APPLY_TIMEOUT_S = 120
REPORT_LIMIT = 64 << 20
PROBE = f"cd {WORKDIR} && git rev-parse --verify HEAD >/dev/null && command -v bash"
OOM_COUNT = ("cat /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control "
             "2>/dev/null; true")
SIGNED_SETUP = (
    "{ set +x; } 2>/dev/null",
    f"rm -rf {REPORT_DIR} && mkdir -m 700 {REPORT_DIR} "
    f"&& (umask 077 && printf '%s\\n' \"$CLADIST_KEY\" > {REPORT_DIR}/key)",
    "unset CLADIST_KEY",
    f'export PYTHONPATH="{HARNESS_MOUNT}${{PYTHONPATH:+:$PYTHONPATH}}"',
    "for cladist_py in python python3; do \"$cladist_py\" "
    f"{HARNESS_MOUNT}/cladist_install_pth.py >/dev/null 2>&1; done",
    "unset cladist_py CLADIST_PTH",
)
"""Shell run just before the tests start, without tracing (the key stays out of the log):
the key file, the runner files on the path, and a ``.pth`` file (``CLADIST_PTH``) in the
user site-packages of the Python the tests run on (its home is writable; the image's own
site-packages are read-only in the sandbox, and are tried too)."""
RUNNER_SETUP = {
    "pytest": (f"export CLADIST_PTH=$'{HARNESS_MOUNT}\\n'",  # for runners that drop
               'export PYTEST_ADDOPTS="-p cladist_swebench_pytest'  # PYTHONPATH (tox)
               '${PYTEST_ADDOPTS:+ $PYTEST_ADDOPTS}"'),
    "unittest": (f"export CLADIST_PTH=$'{HARNESS_MOUNT}\\nimport cladist_swebench_unittest\\n'",),
}
"""What each signed runner adds before :data:`SIGNED_SETUP`: the pytest plugin in
``PYTEST_ADDOPTS``; the unittest reporter imported by the ``.pth`` file."""
SIGNED_CLEANUP = ("{ set +x; } 2>/dev/null", f"rm -f {REPORT_DIR}/key")


@dataclass(frozen=True)
class EvalRun:
    """What one evaluation left: the harness-style log of applying the patch and whether
    it applied, the eval script's run (None when it never ran), the signed report file
    (None when none was written or asked for), the expected tests' files that exist at the
    base commit, the sandbox's OOM kills during the run, and who is at fault if the
    sandbox failed: ``infra_reason`` before the agent's code could run (applying the patch
    runs only git and patch), ``broke`` after."""

    apply_log: str
    applied: bool
    result: ExecResult | None
    report: bytes | None
    tracked: frozenset[str]
    oom_kills: int = 0
    infra_reason: str | None = None
    broke: str | None = None


def instrument(eval_script: str, start_marker: str, runner: str | None) -> str:
    """The eval script with stdout and stderr merged in order (the harness reads both),
    stdin closed, and, for a ``runner`` (pytest or unittest), the key read from stdin and
    that runner's reporter set up just before the line holding ``start_marker``."""
    lines = eval_script.split("\n")
    shebang, rest = (lines[0], lines[1:]) if lines[0].startswith("#!") else ("#!/bin/bash",
                                                                           lines)
    head = [shebang, "exec 2>&1"]
    if runner is None:
        return "\n".join([*head, "exec 0</dev/null", *rest])
    head += ["IFS= read -r CLADIST_KEY || true", "exec 0</dev/null"]
    at = next((i for i, line in enumerate(rest) if start_marker in line), None)
    if at is None:  # no test region: nothing to sign
        return "\n".join([*head, "unset CLADIST_KEY", *rest])
    setup = [SIGNED_SETUP[0], *RUNNER_SETUP[runner], *SIGNED_SETUP[1:], "set -x"]
    return "\n".join([*head, *rest[:at], *setup, *rest[at:], *SIGNED_CLEANUP, ""])


def grading_spec(task: Task, spec: SandboxSpec) -> SandboxSpec:
    """``spec`` made a SWE-bench grading sandbox: the instance image, its user (root), the
    runner files mounted read-only, no agent code or gateway, the output cap raised to
    :data:`OUTPUT_CAP`."""
    limits = replace(spec.limits,
                     output_cap_bytes=max(spec.limits.output_cap_bytes, OUTPUT_CAP))
    return replace(spec, image=task.image, user=task.sandbox_user or "root", role="grader",
                   workdir=WORKDIR, agent_code=None, gateway_socket=None, limits=limits,
                   mounts=(*spec.mounts, Mount(HARNESS_HOST_DIR, HARNESS_MOUNT)))


def run_eval(harness: InstanceHarness, task: Task, patch: str,
             open_sandbox: Callable[[SandboxSpec], Any], spec: SandboxSpec,
             key: str | None) -> EvalRun:
    """Apply ``patch`` (none when empty) and run the eval script in a fresh sandbox; with a
    ``key``, the harness's runner (pytest or unittest) signs its results. Never raises for
    what the patch or tests do."""
    entered, tracked = False, frozenset[str]()
    try:
        with open_sandbox(grading_spec(task, spec)) as box:
            probe = box.exec(PROBE, cwd=WORKDIR, timeout=PROBE_TIMEOUT_S)
            if not probe.ok:
                why = (probe.err or probe.out).strip()[-300:] or f"exit {probe.returncode}"
                return EvalRun("", False, None, None, tracked, infra_reason=(
                    f"the instance image cannot run the harness's commands: {why}"))
            tracked = _tracked(box, harness.expected_tests)
            applied, log = _apply(box, harness, patch) if patch.strip() else (True, "")
            if not applied:
                return EvalRun(log, False, None, None, tracked)
            script = instrument(harness.eval_script, harness.marker("START_TEST_OUTPUT"),
                                harness.runner if key is not None else None)
            box.write_file(EVAL_FILE, script)
            entered = True  # from here on the agent's code runs (git and patch ran before)
            result = box.exec(["/bin/bash", EVAL_FILE], cwd=WORKDIR,
                              timeout=task.test_timeout_s,
                              input=None if key is None else (key + "\n").encode())
            report = (read_report(box, f"{REPORT_DIR}/report.json", REPORT_LIMIT)
                      if key is not None else None)
            oom_kills = parse_oom(box.exec(OOM_COUNT, timeout=PROBE_TIMEOUT_S).out)
    except SandboxError as err:
        why = f"{type(err).__name__}: {err}"
        if entered and not isinstance(err, SandboxRemoved):  # removal is the host's doing
            return EvalRun("", False, None, None, tracked, broke=why)
        return EvalRun("", False, None, None, tracked, infra_reason=why)
    return EvalRun(log, True, result, report, tracked, oom_kills)


def _tracked(box: Sandbox, tests: list[str]) -> frozenset[str]:
    """Which files named by ``tests`` (``path::name`` ids) git tracks at the base commit."""
    paths = sorted({t.split("::", 1)[0] for t in tests if "::" in t})
    if not paths:
        return frozenset()
    found = box.exec(["git", "--literal-pathspecs", "ls-files", "-z", "--", *paths],
                     cwd=WORKDIR, timeout=PROBE_TIMEOUT_S)
    if not found.ok:
        raise SandboxError(f"git ls-files failed in the pristine image: {found.err[-300:]}")
    return frozenset(p for p in found.out.split("\0") if p)


def _apply(box: Sandbox, harness: InstanceHarness, patch: str) -> tuple[bool, str]:
    """Apply ``patch`` as ``run_instance`` does; (applied, its log lines)."""
    box.write_file(PATCH_FILE, patch.encode("utf-8", "surrogateescape"))
    lines: list[str] = []
    done: ExecResult | None = None
    for attempt, command in enumerate(harness.apply_commands()):
        if attempt:  # a failed attempt (--reject) leaves partial state: start clean
            box.exec(["/bin/bash", "-c", "git checkout -- . ; git clean -fd"], cwd=WORKDIR,
                     timeout=APPLY_TIMEOUT_S)
        done = box.exec(f"{command} {PATCH_FILE}", cwd=WORKDIR, timeout=APPLY_TIMEOUT_S)
        if done.ok:
            lines.append(f"{harness.marker('APPLY_PATCH_PASS')}:\n{done.out}{done.err}")
            return True, "\n".join(lines)
        lines.append(f"Failed to apply patch to container: {command}")
    reverse = box.exec(f"git apply --check --reverse {PATCH_FILE}", cwd=WORKDIR,
                       timeout=APPLY_TIMEOUT_S)
    if reverse.ok:
        lines.append(f"{harness.marker('APPLY_PATCH_PASS')}: verified already applied")
        return True, "\n".join(lines)
    output = (done.out + done.err) if done is not None else ""
    lines.append(f"{harness.marker('APPLY_PATCH_FAIL')}:\n{output}")
    return False, "\n".join(lines)
