"""The sandbox contract, run on every backend (see KNOWN_DIFFERENCES in conftest)."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from sandbox_helpers import SandboxFactory, differs, leftover_processes

from cladist.sandbox import (
    GATEWAY_SOCKET_PATH,
    ExecResult,
    Limits,
    Mount,
    Sandbox,
    SandboxBadCwd,
    SandboxClosed,
    SandboxDiskFull,
    SandboxError,
    SandboxFileNotFound,
    SandboxFileTooLarge,
    SandboxIsADirectory,
    SandboxNotADirectory,
    SandboxPermissionError,
    SandboxUnavailable,
)


def test_exec_returns_output_and_exit_code(sandbox: Sandbox) -> None:
    result = sandbox.exec("echo out; echo err >&2; exit 3")
    assert isinstance(result, ExecResult)
    assert (result.returncode, result.stdout, result.stderr) == (3, b"out\n", b"err\n")
    assert not (result.timed_out or result.truncated or result.oom_killed or result.ok)
    assert result.duration > 0


def test_argv_is_not_parsed_by_a_shell(sandbox: Sandbox) -> None:
    result = sandbox.exec(["printf", "%s|", "a b", "$HOME", "*"])
    assert result.ok and result.out == "a b|$HOME|*|"


def test_result_is_frozen(sandbox: Sandbox) -> None:
    result = sandbox.exec("true")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.returncode = 1  # type: ignore[misc]


def test_empty_command_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError):
        sandbox.exec("   ")


def test_runs_as_non_root_in_writable_workdir(sandbox: Sandbox, backend: str) -> None:
    result = sandbox.exec("id -u; pwd; touch probe && echo writable")
    uid, cwd, writable = result.out.split()
    assert uid != "0" and cwd == "/workspace" and writable == "writable"
    if differs(backend, "agent_user_1000"):
        assert uid == "1000"


def test_cwd_and_env(sandbox: Sandbox) -> None:
    sandbox.exec("mkdir -p /workspace/sub/dir")
    result = sandbox.exec('pwd; echo "$GREETING-$OTHER"', cwd="/workspace/sub/dir",
                          env={"GREETING": "hé llo", "OTHER": "x=y"})
    assert result.out.splitlines() == ["/workspace/sub/dir", "hé llo-x=y"]


def test_spec_env_reaches_commands_and_exec_env_overrides(make_sandbox: SandboxFactory) -> None:
    box = make_sandbox(env={"A": "spec", "B": "spec"})
    assert box.exec('echo "$A $B"', env={"B": "exec"}).out == "spec exec\n"


def test_stdin_input_bytes_and_str(sandbox: Sandbox) -> None:
    assert sandbox.exec("wc -c", input=b"\x00" * 100_000).out.strip() == "100000"
    assert sandbox.exec("cat", input="ünïcode\n").out == "ünïcode\n"
    assert sandbox.exec("cat").stdout == b""  # no input: stdin is empty, not a hang


def test_unicode_paths_and_content(sandbox: Sandbox) -> None:
    text = "λ → 日本語 😀\n"
    sandbox.write_file("/workspace/données/ファイル.txt", text)
    assert sandbox.read_file("/workspace/données/ファイル.txt") == text
    assert sandbox.exec("cat /workspace/données/ファイル.txt").out == text


def test_binary_round_trip(sandbox: Sandbox) -> None:
    data = bytes(range(256)) * 257
    sandbox.write_file("/workspace/blob.bin", data)
    assert sandbox.read_file("/workspace/blob.bin", text=False) == data
    assert sandbox.exec("sha256sum /workspace/blob.bin").out.split()[0] == \
        __import__("hashlib").sha256(data).hexdigest()


@pytest.mark.slow
def test_fifty_megabyte_file(sandbox: Sandbox) -> None:
    data = (bytes(range(251)) * (50 * 1024 * 1024 // 251 + 1))[:50 * 1024 * 1024]
    sandbox.write_file("/workspace/big.bin", data)
    assert sandbox.exec("stat -c %s /workspace/big.bin").out.strip() == str(len(data))
    assert sandbox.read_file("/workspace/big.bin", text=False) == data


def test_normal_work_fits_under_the_default_disk_limits(sandbox: Sandbox) -> None:
    work = sandbox.exec(
        "head -c 52428800 /dev/urandom > /workspace/data.bin && "
        "head -c 20971520 /dev/zero > /tmp/scratch && head -c 20971520 /dev/zero > $HOME/cache"
        " && mkdir -p /workspace/tree && cd /workspace/tree && "
        "for i in $(seq 2000); do echo $i > f$i; done && ls | wc -l && "
        "stat -c %s /workspace/data.bin /tmp/scratch $HOME/cache", timeout=120)
    assert work.ok and not work.disk_full, work
    assert work.out.split() == ["2000", str(50 << 20), str(20 << 20), str(20 << 20)]


def test_programs_run_from_every_writable_place(sandbox: Sandbox) -> None:
    script = ("printf '#!/bin/sh\necho ran from $0\n' > {0}/run.sh && chmod +x {0}/run.sh && "
              "{0}/run.sh")
    for place in ("/workspace", "/tmp", "$HOME"):
        result = sandbox.exec(script.format(place))
        assert result.ok and result.out.startswith("ran from "), (place, result)


def test_a_write_into_a_full_disk_raises_disk_full(make_sandbox: SandboxFactory,
                                                   tmp_path: Path) -> None:
    box = make_sandbox(limits={"disk": "32m"})
    box.write_file("/workspace/notes.txt", "before")
    filled = box.exec(f"head -c {1 << 30} /dev/zero > /workspace/filler")
    assert filled.disk_full and filled.returncode != 0 and not filled.ok
    with pytest.raises(SandboxDiskFull):
        box.write_file("/workspace/more.txt", "x" * 100_000)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "big.bin").write_bytes(b"x" * 200_000)
    with pytest.raises(SandboxDiskFull):
        box.copy_in(tmp_path / "src", "/workspace/copied")
    assert box.read_file("/workspace/notes.txt") == "before"  # reading still works
    assert not box.exec("rm /workspace/filler").disk_full
    box.write_file("/workspace/more.txt", "x" * 100_000)  # room again
    assert box.exec("stat -c %s /workspace/more.txt").out == "100000\n"


def test_missing_file(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxFileNotFound):
        sandbox.read_file("/workspace/nope.txt")
    with pytest.raises(FileNotFoundError):  # also a builtin FileNotFoundError
        sandbox.read_file("/nowhere/at/all")


def test_permission_denied_read_and_write(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxPermissionError):
        sandbox.read_file("/etc/shadow")
    with pytest.raises(PermissionError):
        sandbox.write_file("/etc/cladist-probe", "x")
    sandbox.exec("echo secret > /workspace/locked; chmod 000 /workspace/locked")
    with pytest.raises(SandboxPermissionError):
        sandbox.read_file("/workspace/locked")


def test_a_directory_where_a_file_belongs_and_back_are_typed_errors(sandbox: Sandbox,
                                                                    tmp_path: Path) -> None:
    sandbox.exec("mkdir -p /workspace/folder && echo x > /workspace/file")
    with pytest.raises(SandboxIsADirectory, match="is a directory"):
        sandbox.read_file("/workspace/folder")
    with pytest.raises(IsADirectoryError):  # also the standard library's class
        sandbox.write_file("/workspace/folder", "x")
    with pytest.raises(SandboxNotADirectory, match="not a directory"):
        sandbox.read_tree("/workspace/file", 1 << 20)
    with pytest.raises(NotADirectoryError):
        sandbox.copy_out("/workspace/file", tmp_path / "out")
    (tmp_path / "in").mkdir()
    with pytest.raises(SandboxNotADirectory):
        sandbox.copy_in(tmp_path / "in", "/workspace/file")
    assert sandbox.read_file("/workspace/file") == "x\n"  # nothing was changed


def test_a_relative_file_path_is_relative_to_the_workdir(sandbox: Sandbox) -> None:
    sandbox.write_file("notes/a.txt", "relative")
    assert sandbox.exec("cat notes/a.txt").out == "relative"
    assert sandbox.read_file("/workspace/notes/a.txt") == "relative"
    assert sandbox.read_file("notes/a.txt") == "relative"
    sandbox.exec("mkdir -p sub && echo deep > sub/b")
    assert b"./b" in sandbox.read_tree("sub", 1 << 20)


def test_a_bad_cwd_is_one_typed_error_and_runs_nothing(sandbox: Sandbox) -> None:
    sandbox.exec("mkdir -p /workspace/there")
    assert sandbox.exec("pwd", cwd="/workspace/there").out == "/workspace/there\n"
    with pytest.raises(SandboxBadCwd, match="not an absolute path"):
        sandbox.exec("touch ran", cwd="there")
    with pytest.raises(SandboxBadCwd, match="no such directory"):
        sandbox.exec("touch /workspace/ran", cwd="/workspace/missing")
    with pytest.raises(ValueError):  # a caller's mistake, as the standard library says it
        sandbox.exec("touch /workspace/ran", cwd="/workspace/file-not-dir")
    assert sandbox.exec("ls").out.split() == ["there"]  # nothing ran
    assert sandbox.exec("echo fine").out == "fine\n"  # and the sandbox is fine


def test_long_command_lines_run_and_an_over_long_one_is_data(sandbox: Sandbox) -> None:
    words = [f"{i:06d}" + "x" * 993 for i in range(1024)]  # 1 MiB in 1 KiB arguments
    result = sandbox.exec(["/bin/sh", "-c", 'echo "$#" "$1"', "sh", *words])
    assert result.ok and result.out == f"1024 {words[0]}\n"
    script = "echo " + "y" * 300_000 + " | wc -c"  # 300 KB in one argument
    too_long = sandbox.exec(script)
    assert too_long.returncode == 126 and "argument list too long" in (
        too_long.out + too_long.err).lower()
    assert sandbox.exec("echo fine").out == "fine\n"


def test_file_read_cap(make_sandbox: SandboxFactory) -> None:
    box = make_sandbox(limits={"file_cap_bytes": 4096})
    box.write_file("/workspace/small", "x" * 4096)
    assert len(box.read_file("/workspace/small")) == 4096
    box.exec("head -c 100000 /dev/zero > /workspace/large")
    with pytest.raises(SandboxFileTooLarge):
        box.read_file("/workspace/large")


def test_copy_in_and_out_round_trip(sandbox: Sandbox, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "pkg" / "deep").mkdir(parents=True)
    (src / "pkg" / "deep" / "mod.py").write_text("print('hi')\n")
    (src / "data.bin").write_bytes(bytes(range(256)))
    (src / "run.sh").write_text("#!/bin/sh\necho ran\n")
    (src / "run.sh").chmod(0o755)
    sandbox.copy_in(src, "/workspace/project")
    assert sandbox.exec("./run.sh && python3 pkg/deep/mod.py", cwd="/workspace/project").out \
        == "ran\nhi\n"
    sandbox.exec("echo new > /workspace/project/made-inside.txt")
    out = tmp_path / "out"
    sandbox.copy_out("/workspace/project", out)
    assert (out / "data.bin").read_bytes() == bytes(range(256))
    assert (out / "pkg" / "deep" / "mod.py").read_text() == "print('hi')\n"
    assert (out / "made-inside.txt").read_text() == "new\n"
    assert (out / "run.sh").stat().st_mode & 0o100


def test_copy_out_missing_and_escaping_links(sandbox: Sandbox, tmp_path: Path) -> None:
    with pytest.raises(SandboxFileNotFound):
        sandbox.copy_out("/workspace/absent", tmp_path / "x")
    sandbox.exec("mkdir /workspace/evil && ln -s /etc/passwd /workspace/evil/link")
    with pytest.raises(SandboxError, match="refused"):
        sandbox.copy_out("/workspace/evil", tmp_path / "evil")
    assert not (tmp_path / "evil" / "link").exists()


def test_copy_in_rejects_a_host_file(sandbox: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(NotADirectoryError):
        sandbox.copy_in(tmp_path / "f", "/workspace/x")


def test_timeout_keeps_partial_output(sandbox: Sandbox) -> None:
    started = time.monotonic()
    result = sandbox.exec("echo before; sleep 30; echo after", timeout=1)
    assert result.timed_out and not result.ok
    assert result.returncode in (124, 137)
    assert result.stdout == b"before\n"
    assert time.monotonic() - started < 10


def test_timeout_kills_grandchildren(sandbox: Sandbox) -> None:
    script = ("sleep 301 & sh -c 'sleep 302 & wait' & setsid sleep 303 & "
              "nohup sleep 304 >/dev/null 2>&1 & echo started; wait")
    result = sandbox.exec(script, timeout=1.5)
    assert result.timed_out and result.out == "started\n"
    time.sleep(0.3)
    left = leftover_processes(sandbox)
    assert not [line for line in left if "sleep 30" in line], left


def test_output_cap_marks_truncated(make_sandbox: SandboxFactory) -> None:
    box = make_sandbox(limits={"output_cap_bytes": 2048})
    result = box.exec("yes", timeout=20)
    assert result.truncated and not result.timed_out and not result.ok
    assert len(result.stdout) == 2048 and set(result.stdout) == {ord("y"), ord("\n")}
    # (Docker delivers stdout and stderr on separate pipes, with no order between them: the
    # pause lets "first" arrive before the flood on stderr trips the cap.)
    err = box.exec("echo first; sleep 0.5; head -c 5000 /dev/zero >&2; sleep 30; echo never")
    assert err.truncated and len(err.stderr) == 2048 and err.stdout == b"first\n"
    assert err.returncode != 0 and err.duration < 25  # going past the cap kills the command
    assert not box.exec("head -c 2048 /dev/zero").truncated  # exactly at the cap


def test_four_sandboxes_in_parallel_are_isolated(make_sandbox: SandboxFactory) -> None:
    boxes = [make_sandbox() for _ in range(4)]

    def work(i: int) -> str:
        boxes[i].write_file("/workspace/me", str(i))
        return boxes[i].exec("sleep 0.5; cat /workspace/me; ls /workspace").out

    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(work, range(4)))
    assert outs == [f"{i}me\n" for i in range(4)]
    assert time.monotonic() - started < 4 * 0.5 + 5  # ran concurrently, nothing shared


def test_close_is_idempotent_and_removes_the_sandbox(make_sandbox: SandboxFactory,
                                                     backend: str) -> None:
    box = make_sandbox()
    box.exec("true")
    box.close()
    box.close()
    if backend == "docker":
        import docker

        with pytest.raises(docker.errors.NotFound):
            box._container.reload()  # type: ignore[attr-defined]
    else:
        assert not box.root.exists()  # type: ignore[attr-defined]


def test_use_after_close_raises(make_sandbox: SandboxFactory, tmp_path: Path) -> None:
    with make_sandbox() as box:
        assert box.exec("echo in").out == "in\n"
    with pytest.raises(SandboxClosed):
        box.exec("true")
    with pytest.raises(SandboxClosed):
        box.read_file("/etc/hostname")
    with pytest.raises(SandboxClosed):
        box.write_file("/workspace/x", "x")
    with pytest.raises(SandboxClosed):
        box.copy_out("/workspace", tmp_path)


def test_agent_code_is_mounted_read_only(make_sandbox: SandboxFactory, shared_tmp: Path) -> None:
    code = shared_tmp / "agent"
    code.mkdir()
    (code / "main.py").write_text("print('agent ran')\n")
    code.chmod(0o755)
    box = make_sandbox(agent_code=code)
    assert box.exec("python3 /agent/main.py").out == "agent ran\n"
    result = box.exec("echo hacked > /agent/main.py")
    assert result.returncode != 0
    with pytest.raises(PermissionError):
        box.write_file("/agent/new.py", "x")
    assert (code / "main.py").read_text() == "print('agent ran')\n"
    assert not (code / "new.py").exists()


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server API
        body = b'{"object": "list", "data": []}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _UnixHTTPServer(HTTPServer):
    address_family = socket.AF_UNIX

    def server_bind(self) -> None:
        self.socket.bind(self.server_address)

    def get_request(self):  # noqa: ANN201 - HTTPServer API
        conn, _ = self.socket.accept()
        return conn, ("unix", 0)


def test_gateway_unix_socket_carries_http(make_sandbox: SandboxFactory, shared_tmp: Path
                                          ) -> None:
    path = shared_tmp / "llm.sock"
    server = _UnixHTTPServer(str(path), _Hello)
    path.chmod(0o666)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        box = make_sandbox(gateway_socket=path)
        client = ("import socket; s = socket.socket(socket.AF_UNIX); "
                  f"s.connect({GATEWAY_SOCKET_PATH!r}); "
                  "s.sendall(b'GET /v1/models HTTP/1.0\\r\\n\\r\\n'); "
                  "print(s.makefile('rb').read().decode().split('\\r\\n\\r\\n')[1])")
        result = box.exec(["python3", "-c", client], timeout=30)
        assert result.out.strip() == '{"object": "list", "data": []}', result.err
    finally:
        server.shutdown()
        server.server_close()


def test_background_processes_follow_the_backend_rule(sandbox: Sandbox, backend: str) -> None:
    started = time.monotonic()
    result = sandbox.exec("sleep 121 & nohup sleep 122 >/dev/null 2>&1 & echo started",
                          timeout=60)  # sleep 121 holds the command's stdout open
    assert result.ok and result.out == "started\n"
    assert time.monotonic() - started < 5  # the command's exit ends the exec
    time.sleep(0.3)
    left = " ".join(leftover_processes(sandbox, settle=False))
    assert "sleep 121" not in left  # never left holding the output
    if differs(backend, "detached_background_survives"):
        assert "sleep 122" in left
    if differs(backend, "no_background_processes"):
        assert "sleep 122" not in left
    started = time.monotonic()
    assert sandbox.exec("echo next").out == "next\n"
    assert time.monotonic() - started < 2  # nothing stalls the following commands


def test_a_dead_sandbox_raises_unavailable(make_sandbox: SandboxFactory) -> None:
    box = make_sandbox(limits={"ttl_s": 2})
    assert box.exec("echo young").out == "young\n"
    time.sleep(3)  # the TTL process ended: the sandbox is dead
    with pytest.raises(SandboxUnavailable):
        box.exec("echo old")
    with pytest.raises(SandboxUnavailable):
        box.read_file("/etc/hostname")
    box.close()  # still fine to close


def test_setup_failure_is_unavailable_but_a_lookalike_is_data(make_sandbox: SandboxFactory,
                                                              backend: str) -> None:
    box = make_sandbox()
    fake = box.exec("echo 'bwrap: Can'\\''t find source path' >&2; exit 1")
    assert fake.returncode == 1 and fake.stderr.startswith(b"bwrap:")  # the agent's own doing
    with pytest.raises(SandboxUnavailable):  # docker: at create; bubblewrap: at first exec
        broken = make_sandbox(mounts=(Mount(Path("/nonexistent-cladist-src"), "/x"),))
        broken.exec("true")


THREADS = ("import threading\nthreading.stack_size(1 << 18)\nev = threading.Event()\n"
           "ts = [threading.Thread(target=ev.wait, daemon=True) for _ in range(150)]\n"
           "try:\n    [t.start() for t in ts]\nfinally:\n    ev.set()\nprint(len(ts))\n")


def test_a_task_may_raise_the_process_limit_within_its_cap(make_sandbox: SandboxFactory
                                                           ) -> None:
    default = Limits(pids=64, task_pids_max=400)
    raised = default.for_task(pids=256, memory=None)
    assert (raised.pids, default.for_task(pids=9999, memory=None).pids) == (256, 400)
    assert default.for_task(pids=8, memory="64m") == default  # never lowered
    assert Limits(memory="1g", task_memory_max="2g").for_task(None, "4g").memory_bytes == 2 << 30
    small = make_sandbox(limits={"pids": 64}).exec(["python3", "-c", THREADS], timeout=60)
    assert not small.ok  # 150 threads do not fit in 64
    big = make_sandbox(limits=dataclasses.asdict(raised)).exec(["python3", "-c", THREADS],
                                                               timeout=60)
    assert big.ok and big.out == "150\n", big.err[-500:]
