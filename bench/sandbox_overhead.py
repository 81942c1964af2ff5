"""Overhead of cladist's sandboxes against the bare engine calls, side by side.

Usage: python bench/sandbox_overhead.py [--runs N] [--image IMAGE] [--tmp-dir DIR]
                                        [--copy-mb MB]

Prints medians (ms) of: create+exec+remove of a DockerSandbox vs ``docker run --rm IMAGE
true``; ``DockerSandbox.exec`` vs ``docker exec``; the same for bubblewrap vs a bare
``bwrap --unshare-all ... true`` (as the caller, minimal mounts) and vs the very same
hardened bwrap command line run bare; and the ratios (target: within 1.5x). Each pair is
measured interleaved, in random order round by round, so load that comes and goes on a
shared machine weighs on both sides alike. The image defaults to cladist's agent image
(what sandboxes run in), else the base image. ``--copy-mb MB`` adds the cost of an image
without the ``cladist.workdir`` label, as SWE-bench's: a throwaway image is built with MB
megabytes in 20 KB files under ``/testbed``, which each sandbox copies into its tmpfs.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cladist.sandbox import SandboxSpec
from cladist.sandbox.bubblewrap import BubblewrapSandbox
from cladist.sandbox.docker import DockerSandbox, docker_client
from cladist.sandbox.images import DEFAULT_BASE, bundled_recipes, image_tag

if TYPE_CHECKING:
    import docker

BARE_BWRAP = ["bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr",
              "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
              "--symlink", "usr/lib64", "/lib64", "--dev", "/dev", "--proc", "/proc",
              "--tmpfs", "/tmp", "true"]


def paired_ms(ours: Callable[[], object], bare: Callable[[], object], runs: int
              ) -> tuple[float, float]:
    """Medians (ms) of ``ours`` and ``bare``, run ``runs`` times each, interleaved."""
    ours(), bare()  # warm up
    times: dict[Callable[[], object], list[float]] = {ours: [], bare: []}
    for _ in range(runs):
        for fn in random.sample([ours, bare], 2):
            started = time.perf_counter()
            fn()
            times[fn].append(time.perf_counter() - started)
    return statistics.median(times[ours]) * 1000, statistics.median(times[bare]) * 1000


def run(cmd: list[str]) -> None:
    """Run ``cmd``, failing loudly."""
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def default_image(client: docker.DockerClient) -> str:
    """cladist's agent image when it is built, else the base image."""
    import docker as docker_sdk

    tag = image_tag(bundled_recipes()["agent"], client)
    try:
        client.images.get(tag)
        return tag
    except docker_sdk.errors.ImageNotFound:
        return DEFAULT_BASE


COPY_DOCKERFILE = """FROM {image}
USER root
RUN python3 -c "import os; os.makedirs('/testbed/src', exist_ok=True); \\
[open(f'/testbed/src/f{{i}}.py', 'wb').write(os.urandom(20_000)) for i in range({files})]"
"""


def copy_row(client: docker.DockerClient, image: str, megabytes: int, runs: int
             ) -> tuple[str, float, float]:
    """Create+exec+remove of a sandbox whose image holds ``megabytes`` under /testbed."""
    import io

    tag = f"cladist-bench-testbed:{megabytes}"
    dockerfile = COPY_DOCKERFILE.format(image=image, files=megabytes * 50)
    client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True)
    spec = SandboxSpec(image=tag, role="bench", workdir="/testbed", user="root")

    def lifecycle() -> None:
        with DockerSandbox(spec, client=client) as box:
            box.exec(["true"])

    try:
        return (f"docker +{megabytes} MB workdir", *paired_ms(
            lifecycle, lambda: run(["docker", "run", "--rm", "--network", "none", tag,
                                    "true"]), runs))
    finally:
        client.images.remove(tag, force=True)


def main() -> None:
    """Measure and print the figures (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--image", default=None, help="default: the agent image, else base")
    parser.add_argument("--copy-mb", type=int, default=0,
                        help="also time a sandbox whose image has this many MB under its "
                             "workdir (copied into the tmpfs at start); 0: skip")
    parser.add_argument("--tmp-dir", default=None,
                        help="where bubblewrap sandbox dirs go (default: the system temp dir; "
                             "a tmpfs such as /dev/shm makes create+remove cheaper)")
    args = parser.parse_args()
    client = docker_client()
    image = args.image or default_image(client)
    spec = SandboxSpec(image=image, role="bench")
    rows: list[tuple[str, float, float]] = []

    def docker_lifecycle() -> None:
        with DockerSandbox(spec, client=client) as box:
            box.exec(["true"])

    rows.append(("docker create+exec+remove", *paired_ms(
        docker_lifecycle, lambda: run(["docker", "run", "--rm", "--network", "none", image,
                                       "true"]), args.runs)))
    if args.copy_mb:
        rows.append(copy_row(client, image, args.copy_mb, args.runs))
    with DockerSandbox(spec, client=client) as box:
        name = box.name
        rows.append(("docker exec", *paired_ms(
            lambda: box.exec(["true"]), lambda: run(["docker", "exec", name, "true"]),
            args.runs * 2)))

    tmp = Path(tempfile.mkdtemp(prefix="cladist-bench-", dir=args.tmp_dir))
    tmp.chmod(0o711)
    os.environ["CLADIST_SANDBOX_TMP"] = str(tmp)

    def bwrap_lifecycle() -> None:
        with BubblewrapSandbox(spec) as box:
            box.exec(["true"])

    rows.append(("bwrap create+exec+remove", *paired_ms(
        bwrap_lifecycle, lambda: run(BARE_BWRAP), args.runs * 4)))
    with BubblewrapSandbox(spec) as box:
        rows.append(("bwrap exec", *paired_ms(
            lambda: box.exec(["true"]), lambda: run(BARE_BWRAP), args.runs * 4)))
        # The same bwrap command line (no block fd), uid and rlimits, started by subprocess
        # from this process (a fork running Python code for the rlimits).
        same = box._argv(["true"], None, {"PATH": "/usr/bin:/bin"})  # noqa: SLF001
        at = same.index("--block-fd")
        same = same[:at] + same[at + 2:]
        drop = ({"user": box._uid, "group": box._gid, "extra_groups": []}  # noqa: SLF001
                if os.geteuid() == 0 else {})
        limits = box._rlimits()  # noqa: SLF001

        def set_limits() -> None:
            for which, value in limits:
                resource.setrlimit(which, (value, value))

        rows.append(("bwrap exec vs same argv", *paired_ms(
            lambda: box.exec(["true"]),
            lambda: subprocess.run(same, check=True, preexec_fn=set_limits, **drop),
            args.runs * 4)))
    tmp.rmdir()

    print(f"image {image}")
    print(f"{'operation':30} {'cladist ms':>11} {'bare ms':>9} {'ratio':>7}")
    for label, ours, bare in rows:
        print(f"{label:30} {ours:11.1f} {bare:9.1f} {ours / bare:6.2f}x")
    client.close()


if __name__ == "__main__":
    main()
