"""Overhead of cladist's sandboxes against the bare engine calls, side by side.

Usage: python bench/sandbox_overhead.py [--runs N] [--image IMAGE] [--tmp-dir DIR]

Prints medians (ms) of: create+exec+remove of a DockerSandbox vs ``docker run --rm IMAGE
true``; ``DockerSandbox.exec`` vs ``docker exec``; the same for bubblewrap vs a bare
``bwrap --unshare-all ... true`` (as the caller, minimal mounts) and vs the very same
hardened bwrap command line run bare; and the ratios (target: within 1.5x).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cladist.sandbox import SandboxSpec
from cladist.sandbox.bubblewrap import BubblewrapSandbox
from cladist.sandbox.docker import DockerSandbox, docker_client

BARE_BWRAP = ["bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr",
              "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
              "--symlink", "usr/lib64", "/lib64", "--dev", "/dev", "--proc", "/proc",
              "--tmpfs", "/tmp", "true"]


def median_ms(fn: Callable[[], object], runs: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--image", default="cladist-base:bookworm")
    parser.add_argument("--tmp-dir", default=None,
                        help="where bubblewrap sandbox dirs go (default: the system temp dir; "
                             "a tmpfs such as /dev/shm makes create+remove cheaper)")
    args = parser.parse_args()
    client, spec = docker_client(), SandboxSpec(image=args.image, role="bench")
    rows: list[tuple[str, float, float]] = []

    def docker_lifecycle() -> None:
        with DockerSandbox(spec, client=client) as box:
            box.exec(["true"])

    rows.append(("docker create+exec+remove", median_ms(docker_lifecycle, args.runs),
                 median_ms(lambda: run(["docker", "run", "--rm", "--network", "none",
                                        args.image, "true"]), args.runs)))
    with DockerSandbox(spec, client=client) as box:
        name = box.name
        rows.append(("docker exec", median_ms(lambda: box.exec(["true"]), args.runs * 2),
                     median_ms(lambda: run(["docker", "exec", name, "true"]), args.runs * 2)))

    tmp = Path(tempfile.mkdtemp(prefix="cladist-bench-", dir=args.tmp_dir))
    tmp.chmod(0o711)
    os.environ["CLADIST_SANDBOX_TMP"] = str(tmp)

    def bwrap_lifecycle() -> None:
        with BubblewrapSandbox(spec) as box:
            box.exec(["true"])

    rows.append(("bwrap create+exec+remove", median_ms(bwrap_lifecycle, args.runs * 2),
                 median_ms(lambda: run(BARE_BWRAP), args.runs * 2)))
    with BubblewrapSandbox(spec) as box:
        ours = median_ms(lambda: box.exec(["true"]), args.runs * 2)
        rows.append(("bwrap exec", ours, median_ms(lambda: run(BARE_BWRAP), args.runs * 2)))
        # The same bwrap command line (no block fd), unprivileged uid and rlimits, started
        # by subprocess from this process: what the Python layer itself costs (the rest is
        # the hardening: uid drop, more mounts).
        same = box._argv(["true"], None, {"PATH": "/usr/bin:/bin"})  # noqa: SLF001
        at = same.index("--block-fd")
        same = same[:at] + same[at + 2:]
        drop = ({"user": box._uid, "group": box._gid, "extra_groups": []}  # noqa: SLF001
                if os.geteuid() == 0 else {})
        limits = box._rlimits()  # noqa: SLF001

        def set_limits() -> None:
            for which, value in limits:
                resource.setrlimit(which, (value, value))

        rows.append(("bwrap exec vs same argv", ours, median_ms(
            lambda: subprocess.run(same, check=True, preexec_fn=set_limits, **drop),
            args.runs * 2)))
    tmp.rmdir()

    print(f"{'operation':28} {'cladist ms':>11} {'bare ms':>9} {'ratio':>7}")
    for label, ours, bare in rows:
        print(f"{label:28} {ours:11.1f} {bare:9.1f} {ours / bare:6.2f}x")
    client.close()


if __name__ == "__main__":
    main()
