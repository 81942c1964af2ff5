"""What each backend does underneath the shared contract: hostile defaults, visibility."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cladist.sandbox import SandboxSpec, SandboxUnavailable
from cladist.sandbox.bubblewrap import BubblewrapSandbox
from cladist.sandbox.docker import DockerSandbox
from cladist.sandbox.images import bundled_recipes, image_tag
from tests.sandbox.sandbox_helpers import leftover_processes

if TYPE_CHECKING:
    import docker

VERSION_COMMANDS = {
    "agent": "python3 --version && git --version && bash --version",
    "python": "python3 -m pytest --version",
    "go": "go version",
    "rust": "rustc --version && cargo --version",
    "cpp": "g++ --version && cmake --version && make --version && "
           "test -f /usr/include/boost/date_time.hpp",
    "node": "node --version && node --test --help >/dev/null",
}


def test_docker_container_has_hostile_defaults(docker_client: docker.DockerClient,
                                               base_image: str, tmp_path: Path) -> None:
    spec = SandboxSpec(image=base_image, run_id="run-7", node_id="12", role="evaluate",
                       agent_code=tmp_path)
    with DockerSandbox(spec, client=docker_client) as box:
        attrs = docker_client.api.inspect_container(box.name)
        host, config = attrs["HostConfig"], attrs["Config"]
        assert box.name.startswith("cladist-run-7-evaluate-")
        assert host["NetworkMode"] == "none" and host["Init"] is True
        # memory plus every tmpfs's size and inode allowance: the workdir gets the disk
        # limit, /tmp and home a quarter each, /dev/shm 64 MiB
        tmpfs_room = ((2 << 30) + 100_000 * 2048 + 2 * ((512 << 20) + 25_000 * 2048)
                      + (64 << 20) + 4096 * 2048)
        assert host["Memory"] == host["MemorySwap"] == (2 << 30) + tmpfs_room
        assert host["ReadonlyRootfs"] is True
        assert sorted(host["Tmpfs"]) == ["/dev/shm", "/home/agent", "/tmp", "/workspace"]
        assert "size=2147483648,nr_inodes=100000" in host["Tmpfs"]["/workspace"]
        assert host["NanoCpus"] == 1_000_000_000 and host["PidsLimit"] == 256
        assert host["CapDrop"] == ["ALL"] and "no-new-privileges" in host["SecurityOpt"]
        assert config["Cmd"] == ["sleep", "7200"]  # the TTL process under docker-init
        assert {"cladist.run": "run-7", "cladist.node": "12",
                "cladist.role": "evaluate"}.items() <= config["Labels"].items()
        agent_mount = next(m for m in attrs["Mounts"] if m["Destination"] == "/agent")
        assert agent_mount["RW"] is False
        assert box.exec("id -un").out == "agent\n"
    import docker as docker_sdk

    with pytest.raises(docker_sdk.errors.NotFound):  # removed on leaving the block
        docker_client.api.inspect_container(box.name)


def test_bubblewrap_sees_no_host_files_beyond_the_toolchain(shared_tmp: Path) -> None:
    with BubblewrapSandbox(SandboxSpec(run_id="vis")) as box:
        top = set(box.exec("ls -A /").out.split())
        assert {"usr", "etc", "workspace", "tmp", "proc", "dev", "home"} <= top
        assert not top & {"root", "work", "var", "opt", "srv", "mnt", "boot"}, top
        assert box.exec("ls -A /home").out == "sandbox\n"
        assert box.exec("echo x > /tmp/t && cat /tmp/t").out == "x\n"
        host_tmp = box.root / "tmp" / "t"
        assert host_tmp.read_text() == "x\n"  # private /tmp lives in the sandbox dir
        if os.geteuid() == 0:
            uid = int(box.exec("id -u").out)
            assert uid >= 1 << 20 and host_tmp.stat().st_uid == uid
    assert not box.root.exists()


as_root = pytest.mark.skipif(os.geteuid() != 0, reason="a uid per sandbox only as root")


@as_root
def test_bubblewrap_sandboxes_open_together_never_share_a_uid(shared_tmp: Path) -> None:
    spec = SandboxSpec(run_id="uids")
    with BubblewrapSandbox(spec) as a, BubblewrapSandbox(spec) as b:
        ua, ub = int(a.exec("id -u").out), int(b.exec("id -u").out)
        assert ua != ub and ua >= 1 << 20 and ub >= 1 << 20
        a.exec("echo from-a > /tmp/note && echo w > w && echo h > ~/h")
    with BubblewrapSandbox(spec) as later:  # a uid comes back to the pool only when free
        assert int(later.exec("id -u").out) in {ua, ub}
        assert later.exec("find /tmp . ~ -mindepth 1").out == ""
        assert leftover_processes(later) == []


@as_root
def test_a_bubblewrap_uid_is_reused_only_once_its_commands_are_gone(shared_tmp: Path) -> None:
    spec = SandboxSpec(run_id="reuse")
    with BubblewrapSandbox(spec) as first:
        stuck = first.exec("sleep 60 & sleep 60 & sleep 60", timeout=0.5)
        assert stuck.timed_out
        uid = first._uid
    with BubblewrapSandbox(spec) as second:
        assert second._uid == uid  # the same server, given back once nothing ran
        assert leftover_processes(second, settle=False) == []
        assert second.exec("echo ok").out == "ok\n"


@as_root
def test_closing_a_bubblewrap_sandbox_mid_command_kills_it_before_the_uid_is_reused(
        shared_tmp: Path) -> None:
    spec = SandboxSpec(run_id="mid-command")
    box = BubblewrapSandbox(spec)
    uid, results = box._uid, []
    worker = threading.Thread(target=lambda: results.append(
        box.exec("echo started; sleep 60 & sleep 60", timeout=120)))
    worker.start()
    deadline = time.monotonic() + 30
    while not box._procs and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    box.close()
    worker.join(timeout=30)
    assert results and results[0].returncode != 0 and results[0].duration < 60
    assert not box.root.exists()
    with BubblewrapSandbox(spec) as later:
        assert later._uid == uid
        assert leftover_processes(later, settle=False) == []


def test_a_dead_bubblewrap_fork_server_is_unavailable_then_replaced(shared_tmp: Path) -> None:
    spec = SandboxSpec(run_id="dead-server")
    with BubblewrapSandbox(spec) as box:
        assert box._server is not None
        os.kill(box._server.pid, signal.SIGKILL)
        box._server._proc.wait()
        with pytest.raises(SandboxUnavailable, match="bwrap"):
            box.exec("true")
    with BubblewrapSandbox(spec) as fresh:
        assert fresh.exec("echo ok").out == "ok\n"


@pytest.mark.parametrize("name", sorted(VERSION_COMMANDS))
def test_built_images_have_their_toolchain(name: str, docker_client: docker.DockerClient,
                                           base_image: str) -> None:
    """Checks images built by `cladist images build`; the suite never builds them."""
    import docker

    tag = image_tag(bundled_recipes()[name], docker_client, base_image)
    try:
        docker_client.images.get(tag)
    except docker.errors.ImageNotFound:
        pytest.skip(f"{tag} not built (cladist images build --only {name})")
    with DockerSandbox(SandboxSpec(image=tag), client=docker_client) as box:
        result = box.exec(VERSION_COMMANDS[name], timeout=60)
        assert result.ok, result.err
        # the image's label says the workspace is the agent's: no setup per sandbox
        assert box.exec("touch made && stat -c %U . made").out == "agent\nagent\n"
        assert box.exec("id -un; pwd").out == "agent\n/workspace\n"
