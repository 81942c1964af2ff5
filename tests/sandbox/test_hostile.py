"""Hostile code on every backend; each attack is followed by a check that the host is fine."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from errno import ENOSPC
from pathlib import Path

import pytest
from sandbox_helpers import (
    SandboxFactory,
    differs,
    disk_room,
    host_free,
    host_rss_bytes,
    leftover_processes,
)

from cladist.sandbox import Sandbox


def assert_host_fine(box: Sandbox) -> None:
    """The host still forks, and the sandbox still answers with nothing left running."""
    assert subprocess.run(["true"], check=False).returncode == 0
    assert box.exec("echo alive", timeout=30).out == "alive\n"
    assert leftover_processes(box) == []


@pytest.mark.slow
def test_fork_bomb_is_held_by_the_pids_limit(make_sandbox: SandboxFactory) -> None:
    box = make_sandbox(limits={"pids": 64})
    result = box.exec("bomb() { bomb | bomb & }; bomb; sleep 3; echo survived", timeout=6)
    assert result.returncode != 0 or result.timed_out or b"survived" in result.stdout
    probe = box.exec("n=0; for i in $(seq 200); do sleep 5 & n=$((n+1)); done 2>/dev/null; "
                     "sleep 0.5; ps -e --no-headers | wc -l", timeout=20)
    assert int(probe.out.split()[-1] if probe.out.split() else 0) <= 64
    time.sleep(0.5)
    box.exec("pkill -9 -u $(id -u) sleep; true")
    time.sleep(1)  # let the 5 s sleeps end or die
    assert_host_fine(box)


@pytest.mark.slow
def test_memory_bomb_is_recorded_as_oom(make_sandbox: SandboxFactory, backend: str) -> None:
    box = make_sandbox(limits={"memory": "256m"})
    bomb = "chunks = []\nwhile True:\n    chunks.append(bytearray(16 << 20))\n"
    result = box.exec(["python3", "-c", bomb], timeout=60)
    assert result.oom_killed and not result.timed_out and not result.ok
    if differs(backend, "oom_is_sigkill"):
        assert result.returncode == 137
    if differs(backend, "oom_is_allocation_failure"):
        assert b"MemoryError" in result.stderr
    assert not box.exec("exit 137").oom_killed  # a plain exit 137 is not an OOM
    assert_host_fine(box)


def test_infinite_loop_times_out(sandbox: Sandbox) -> None:
    started = time.monotonic()
    result = sandbox.exec("while :; do :; done", timeout=1.5)
    assert result.timed_out and result.returncode in (124, 137)
    assert time.monotonic() - started < 1.5 + 8  # in-sandbox timeout or host deadline
    assert_host_fine(sandbox)


@pytest.mark.slow
def test_a_gigabyte_to_stdout_is_capped_and_host_memory_stays_flat(sandbox: Sandbox) -> None:
    baseline, peak, done = host_rss_bytes(), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], host_rss_bytes())
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = sandbox.exec("head -c 1073741824 /dev/zero; echo never-here", timeout=120)
    finally:
        done.set()
        sampler.join()
    cap = sandbox.spec.limits.output_cap_bytes
    assert result.truncated and len(result.stdout) == cap and b"never" not in result.stdout
    assert peak[0] - baseline < 64 << 20, (baseline, peak[0])
    assert result.duration < 60
    assert_host_fine(sandbox)


def test_network_is_unreachable(sandbox: Sandbox) -> None:
    probe = ("import socket\n"
             "print(sorted(n for _, n in socket.if_nameindex()))\n"
             "for host in ('1.1.1.1', '172.17.0.1', '10.0.0.1'):\n"
             "    try:\n"
             "        socket.create_connection((host, 80), timeout=2); print('CONNECTED', host)\n"
             "    except OSError as exc: print('refused', exc.errno)\n"
             "try:\n"
             "    socket.getaddrinfo('deb.debian.org', 80); print('RESOLVED')\n"
             "except OSError: print('no dns')\n")
    result = sandbox.exec(["python3", "-c", probe], timeout=30)
    lines = result.out.splitlines()
    assert lines[0] == "['lo']", result.out
    assert "CONNECTED" not in result.out and "RESOLVED" not in result.out
    assert lines[-1] == "no dns"
    assert_host_fine(sandbox)


def test_writing_outside_the_workspace_fails(sandbox: Sandbox, backend: str) -> None:
    targets = ["/usr/evil", "/etc/evil", "/evil", "/workspace/../evil"]
    if backend == "bubblewrap":
        host_root = sandbox.root  # type: ignore[attr-defined]
        targets.append(str(host_root / "evil"))
    for target in targets:
        result = sandbox.exec(f"echo pwned > {target}")
        assert result.returncode != 0, target
    assert sandbox.exec("echo fine > /workspace/ok && echo fine > /tmp/ok").ok
    for host_path in ("/usr/evil", "/etc/evil", "/evil"):
        assert not Path(host_path).exists()
    if backend == "bubblewrap":
        assert not (host_root / "evil").exists()
        assert not Path("/tmp/ok").exists() or Path("/tmp/ok").read_text() != "fine\n"
    assert_host_fine(sandbox)


def test_no_host_secret_or_docker_socket_inside(make_sandbox: SandboxFactory,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-cladist-fake-" + os.urandom(8).hex()
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    box = make_sandbox(env={"VISIBLE": "yes"})
    result = box.exec("env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'; "
                      "grep -rs cladist-fake /tmp /workspace /home 2>/dev/null; true")
    assert secret not in result.out and "OPENAI_API_KEY" not in result.out
    assert "VISIBLE=yes" in result.out
    sockets = box.exec("ls /var/run/docker.sock /run/docker.sock 2>&1; "
                       "find / -xdev -name 'docker*.sock' 2>/dev/null; "
                       "ls /proc/1/root/ 2>&1 | head -1; true")
    assert "docker.sock" in sockets.out and "No such file" in sockets.out
    assert sockets.out.count("No such file") == 2
    assert not [line for line in sockets.out.splitlines() if line.endswith(".sock")
                and "No such" not in line]
    assert_host_fine(box)


def _written(box: Sandbox, path: str) -> int:
    return int(box.exec(f'stat -c %s "{path}"').out.strip() or -1)


@pytest.mark.parametrize("place, path", [("workdir", "/workspace/big"), ("tmp", "/tmp/big"),
                                         ("home", "$HOME/big")])
def test_six_gigabytes_stop_at_the_disk_limit(make_sandbox: SandboxFactory, backend: str,
                                              shared_tmp: Path, place: str, path: str) -> None:
    box = make_sandbox(limits={"disk": "64m"})
    room, _ = disk_room(backend, box, place)
    free_before, _ = host_free(str(shared_tmp))
    result = box.exec(f'head -c {6 << 30} /dev/zero > "{path}"', timeout=120)
    drop = free_before - host_free(str(shared_tmp))[0]
    assert result.returncode != 0 and b"No space left" in result.stderr, result
    assert result.disk_full and not result.timed_out
    assert room - (1 << 20) <= _written(box, path) <= room  # it filled its room, no more
    assert drop < room + (512 << 20), drop  # (other work on the host moves it a little)
    still = box.exec("echo alive")  # a full sandbox still answers, and still reports full
    assert still.out == "alive\n" and still.disk_full
    freed = box.exec(f'rm "{path}" && echo freed')
    assert freed.out == "freed\n" and not freed.disk_full
    assert_host_fine(box)


def test_a_hundred_thousand_files_stop_at_the_inode_limit(make_sandbox: SandboxFactory,
                                                          backend: str, shared_tmp: Path
                                                          ) -> None:
    box = make_sandbox(limits={"inodes": 5000})
    _, room = disk_room(backend, box, "workdir")
    _, inodes_before = host_free(str(shared_tmp))
    script = ("n = 0\ntry:\n    for n in range(100_000):\n        open(f'f{n}', 'w').close()\n"
              "except OSError as exc:\n    print(n, exc.errno)\n")
    result = box.exec(["python3", "-c", script], timeout=120)
    made, errno = map(int, result.out.split())
    assert errno == ENOSPC and room - 16 <= made < room, (made, room)
    assert result.disk_full
    assert inodes_before - host_free(str(shared_tmp))[1] < 50_000  # not 100k on the host
    assert box.exec("ls | wc -l").out.strip() == str(made)
    assert box.exec("mkdir one-more").returncode != 0
    freed = box.exec("find . -name 'f*' -delete && echo freed")
    assert freed.out == "freed\n" and not freed.disk_full
    assert_host_fine(box)


def test_each_sandbox_has_a_disk_of_its_own(make_sandbox: SandboxFactory) -> None:
    first, second = make_sandbox(limits={"disk": "64m"}), make_sandbox(limits={"disk": "64m"})
    assert first.exec(f"head -c {1 << 30} /dev/zero > /workspace/big").disk_full
    fits = second.exec(f"head -c {48 << 20} /dev/zero > /workspace/fits && echo fits")
    assert fits.out == "fits\n" and fits.ok and not fits.disk_full  # untouched by the first
    assert first.exec("true").disk_full  # and the first did not gain room from it
    assert second.exec(f"head -c {1 << 30} /dev/zero > /workspace/more").disk_full
    total = _written(second, "/workspace/fits") + _written(second, "/workspace/more")
    assert (60 << 20) <= total <= (64 << 20)  # the second had all of its own 64 MiB
    assert_host_fine(first)
    assert_host_fine(second)


_WRITABLE_MOUNTS = r"""
import os
for line in open("/proc/self/mountinfo"):
    mine, theirs = line.split(" - ")
    point, flags = mine.split()[4], mine.split()[5]
    fstype, options = theirs.split()[0], theirs.split()[2]
    if "rw" in flags.split(",") and os.path.isdir(point) and os.access(point, os.W_OK):
        print(point, fstype, options)
"""


def test_every_writable_place_is_bounded(make_sandbox: SandboxFactory, shared_tmp: Path
                                         ) -> None:
    box = make_sandbox()
    found = box.exec(["python3", "-c", _WRITABLE_MOUNTS]).out.splitlines()
    points = {line.split()[0] for line in found}
    assert {"/workspace", "/tmp", "/dev/shm"} <= points, found
    for line in found:
        point, fstype, options = line.split()
        if fstype in ("mqueue", "devpts"):  # queues: the kernel's per-user limits; ptys: no
            continue  # files can be made there (touched below)
        assert fstype == "tmpfs" and "size=" in options and "nr_inodes=" in options, line
    attempts = box.exec("for p in /var/tmp /run /opt /srv /home /usr/local /dev /dev/pts /mnt "
                        "/; do touch $p/cladist-probe 2>/dev/null && echo $p; done; true")
    assert attempts.out == "", attempts.out
    assert_host_fine(box)
