"""The disk limit underneath the contract: when a file system counts as full, the Docker
plan of tmpfs mounts, images whose workdir holds files, bubblewrap's own tmpfs."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cladist.config import load_config
from cladist.errors import ConfigError
from cladist.sandbox import Limits, SandboxSpec, SandboxUnavailable
from cladist.sandbox.bubblewrap import BubblewrapSandbox
from cladist.sandbox.bubblewrap.dirs import sandbox_mounts
from cladist.sandbox.disk import Space, parse_stat, space_of
from cladist.sandbox.docker import DockerSandbox
from cladist.sandbox.docker.disk import disk_plan, probe_command, probe_says_full
from cladist.sandbox.docker.image import parse_passwd, writable_home

if TYPE_CHECKING:
    import docker

TESTBED_IMAGE = "cladist-test-testbed:1"
TESTBED_DOCKERFILE = """\
FROM {base}
RUN mkdir -p /testbed/pkg /root/.cache/pip \\
 && printf 'def answer():\\n    return 41\\n' > /testbed/pkg/mod.py \\
 && head -c 20000000 /dev/urandom > /testbed/blob.bin \\
 && echo 'export FROM_IMAGE=1' > /root/.bashrc \\
 && head -c 1000000 /dev/zero > /root/.cache/pip/wheel
"""


def test_a_file_system_is_full_when_bytes_or_inodes_run_out() -> None:
    mib = 1 << 20
    assert not Space(100 * mib, 1000 * mib, 500, 1000).full
    assert Space(mib - 1, 1000 * mib, 500, 1000).full  # under a MiB free
    assert Space(0, 1000 * mib, 500, 1000).full
    assert Space(100 * mib, 1000 * mib, 8, 1000).full  # no room for more files
    assert not Space(100 * mib, 1000 * mib, 0, 0).full  # no inode count: bytes decide
    assert Space(4096, 64 * 4096, 10, 1000).full and not Space(8192, 64 * 4096, 10, 1000).full


def test_stat_output_is_parsed_line_by_line() -> None:
    text = "0 16384 4096 996 1000\nstat: cannot read file system information for 'x'\n" \
           "16384 16384 4096 999 1000\n"
    spaces = parse_stat(text)
    assert spaces == [Space(0, 16384 * 4096, 996, 1000), Space(16384 * 4096, 16384 * 4096,
                                                               999, 1000)]
    assert [s.full for s in spaces] == [True, False]
    assert probe_says_full(text) and not probe_says_full(text.split("\n", 1)[1])


def test_docker_plan_sizes_every_tmpfs_and_raises_memory_by_their_room() -> None:
    limits = Limits(memory="1g", disk="400m", inodes=4000)
    plan = disk_plan(limits, "/workspace", "/home/agent", 1000, 1000, copy_from_image=False)
    assert plan.sizes == {"/workspace": 400 << 20, "/tmp": 100 << 20,
                          "/home/agent": 100 << 20, "/dev/shm": 64 << 20}
    assert "uid=1000,gid=1000,exec" in plan.tmpfs["/workspace"]
    assert plan.tmpfs["/tmp"] == f"size={100 << 20},nr_inodes=1000,mode=1777,exec"
    assert plan.tmpfs["/dev/shm"].endswith(",noexec")
    room = (400 + 100 + 100 + 64 << 20) + (4000 + 1000 + 1000 + 4096) * 2048
    assert plan.memory_bytes == (1 << 30) + room and plan.copied == ()
    root = disk_plan(limits, "/testbed", "/root", 0, 0, copy_from_image=True)
    assert root.copied == ("/testbed", "/root") and "uid=0" in root.tmpfs["/root"]
    same = disk_plan(limits, "/tmp", None, 5, 5, copy_from_image=True)
    assert set(same.sizes) == {"/tmp", "/dev/shm"} and same.sizes["/tmp"] == 400 << 20
    assert same.copied == ()


def test_only_root_and_home_dirs_become_writable_homes() -> None:
    users = parse_passwd("root:x:0:0:root:/root:/bin/bash\nagent:x:1000:1000::/home/agent:"
                         "/bin/sh\nnobody:x:65534:65534:n:/nonexistent:/bin/false\nbad line\n")
    assert users == {"root": (0, 0, "/root"), "agent": (1000, 1000, "/home/agent"),
                     "nobody": (65534, 65534, "/nonexistent")}
    assert [writable_home(h) for h in ("/root", "/home/agent", "/home/a/../b", "/home", "/",
                                       "/nonexistent", "/usr/lib", "rel", None)] == [
        "/root", "/home/agent", "/home/b", None, None, None, None, None, None]


def test_config_maps_to_the_limits_and_refuses_a_useless_disk() -> None:
    limits = Limits.from_config(load_config(["sandbox.disk=3g", "sandbox.inodes=5000"]).sandbox)
    assert (limits.disk_bytes, limits.inodes) == (3 << 30, 5000)
    assert Limits.from_config(load_config([]).sandbox).disk == "2g"
    for bad, says in (("sandbox.disk=1m", "at least 16m"), ("sandbox.disk=lots", "pattern"),
                      ("sandbox.inodes=10", "greater than or equal to 1000")):
        with pytest.raises(ConfigError, match=says):
            load_config([bad])


@pytest.fixture(scope="module")
def testbed_image(docker_client: docker.DockerClient, base_image: str) -> str:
    """An image without the ``cladist.workdir`` label whose /testbed and /root hold files,
    as SWE-bench's do (built once; Docker's cache makes later builds instant)."""
    dockerfile = TESTBED_DOCKERFILE.format(base=base_image).encode()
    docker_client.images.build(fileobj=io.BytesIO(dockerfile), tag=TESTBED_IMAGE, rm=True)
    return TESTBED_IMAGE


@pytest.mark.parametrize("user, owner", [("root", "root"), (None, "agent")])
def test_docker_copies_an_unlabelled_images_workdir_into_its_tmpfs(
        docker_client: docker.DockerClient, testbed_image: str, user: str | None,
        owner: str) -> None:
    spec = SandboxSpec(image=testbed_image, workdir="/testbed", user=user, run_id="testbed",
                       limits=Limits(disk="64m"))
    with DockerSandbox(spec, client=docker_client) as box:
        files = box.exec("cat pkg/mod.py; stat -c '%s %U' blob.bin; "
                         "echo 'x = 1' >> pkg/mod.py && echo edited")
        assert files.ok and not files.disk_full, files
        assert files.out.splitlines()[-2:] == [f"20000000 {owner}", "edited"]
        mounts = box.exec("grep ' /testbed ' /proc/self/mountinfo").out
        assert " tmpfs " in mounts and f"size={64 << 10}k" in mounts
        if user == "root":  # the home's files came along, its caches did not
            home = box.exec("cat /root/.bashrc; ls -A /root").out.splitlines()
            assert home[0] == "export FROM_IMAGE=1" and ".bashrc" in home[1:]
            assert ".cache" not in home
        full = box.exec(f"head -c {1 << 30} /dev/zero > /testbed/fill")
        assert full.disk_full  # the copy counts against the limit: 44 MiB were left
        assert 40 << 20 < int(box.exec("stat -c %s /testbed/fill").out) < 45 << 20
        inside = box.exec(probe_command(["/testbed", "/tmp"]))
        assert probe_says_full(inside.out) and len(parse_stat(inside.out)) == 2
        box._host_view = False  # as where /proc/<pid>/root is out of reach (not root)
        failed = box.exec("echo more >> /testbed/fill")
        assert failed.returncode != 0 and failed.disk_full  # found by the probe inside
        assert not box.exec("true").disk_full  # which runs only after a failed command


def test_docker_refuses_an_image_whose_workdir_does_not_fit(
        docker_client: docker.DockerClient, testbed_image: str) -> None:
    spec = SandboxSpec(image=testbed_image, workdir="/testbed", user="root",
                       run_id="too-small", limits=Limits(disk="16m"))
    with pytest.raises(SandboxUnavailable, match="raise sandbox.disk"):
        DockerSandbox(spec, client=docker_client)
    left = docker_client.containers.list(all=True, filters={"label": "cladist.run=too-small"})
    assert left == []


@pytest.mark.skipif(os.geteuid() != 0, reason="a tmpfs of its own only as root")
def test_bubblewrap_mounts_a_tmpfs_of_the_limits_and_unmounts_it(shared_tmp: Path) -> None:
    spec = SandboxSpec(run_id="mounts", limits=Limits(disk="48m", inodes=3000))
    box = BubblewrapSandbox(spec)
    try:
        assert str(box.root) in sandbox_mounts()
        space = space_of(str(box.root))
        assert (space.total_bytes, space.total_inodes) == (48 << 20, 3000)
        assert box.exec("echo x > /dev/shm/x && stat -c %s /dev/shm/x").out == "2\n"
        assert (box.root / "shm" / "x").exists()  # /dev/shm is in the bounded tmpfs too
    finally:
        box.close()
    assert str(box.root) not in sandbox_mounts() and not box.root.exists()


def test_docker_a_full_disk_and_a_memory_bomb_leave_the_container_alive(
        docker_client: docker.DockerClient, base_image: str) -> None:
    """tmpfs is RAM charged to the memory cgroup: were its room not added to the limit,
    filling the disk would OOM-kill the container's TTL process and end the sandbox."""
    spec = SandboxSpec(image=base_image, run_id="fill-all",
                       limits=Limits(memory="256m", disk="128m", inodes=2000))
    with DockerSandbox(spec, client=docker_client) as box:
        fill = box.exec("for d in /workspace /tmp $HOME /dev/shm; do "
                        f"head -c {1 << 30} /dev/zero > $d/fill; done; python3 -c '"
                        "import os\nfor i in range(3000): os.mkdir(f\"/workspace/d{i}\")'")
        assert fill.disk_full and not fill.oom_killed and b"No space" in fill.stderr, fill
        bomb = box.exec(["python3", "-c", "chunks = []\nwhile True:\n"
                         "    chunks.append(bytearray(16 << 20))\n"], timeout=60)
        assert bomb.oom_killed and bomb.returncode == 137
        assert box.exec("echo alive").out == "alive\n" and box.alive()
