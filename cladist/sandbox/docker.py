"""Docker backend of the sandbox contract (docker SDK, imported lazily).

Hostile defaults: no network (``network_mode=none``), memory (no swap), CPU and pids limits,
all capabilities dropped, ``no-new-privileges``, ``init`` as PID 1 reaping a ``sleep <ttl>``
so a container outlives a lost host by at most ``ttl_s``, a non-root user (the image's
``agent`` user, else ``nobody``), read-only mounts for agent code. Each command runs under
``timeout -k`` in the container plus a host-side deadline; output is read frame by frame
and reading stops at the cap (the command is then killed). Containers are named
``cladist-<run>-<role>-<random>`` and labelled ``cladist.run``/``cladist.node``/
``cladist.role``; they are removed in ``finally`` paths and by ``cladist sandbox cleanup``.

An exec ends when its command exits. Background processes it started keep running (until
the sandbox closes) only if they detached from its output: those still holding its stdout
or stderr are killed then, since they would otherwise stall the engine's later execs.
"""

from __future__ import annotations

import re
import socket
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cladist.sandbox.common import BaseSandbox, OutputCollector, new_exec_id
from cladist.sandbox.contract import NAME_PREFIX, ExecResult, SandboxSpec, SandboxUnavailable
from cladist.sandbox.docker_io import dir_tar, host_oom_count, parse_oom, pump, start_writer

if TYPE_CHECKING:
    import docker

_USERS: dict[str, tuple[int, int, str]] = {}  # image id -> (uid, gid, user) to run as
_WORKDIRS: dict[str, str | None] = {}  # image id -> its cladist.workdir label
LABEL_WORKDIR = "cladist.workdir"
_KILL = ('for d in /proc/[0-9]*; do grep -qzx "CLADIST_EXEC=$1" "$d/environ" 2>/dev/null '
         '&& kill -9 "${d#/proc/}" 2>/dev/null; done; true')
# Only those still holding the command's output pipe (they stall the engine's later execs).
_KILL_HOLDERS = ('for d in /proc/[0-9]*; do grep -qzx "CLADIST_EXEC=$1" "$d/environ" '
                 '2>/dev/null || continue; case "$(readlink "$d/fd/1" "$d/fd/2" 2>/dev/null)" '
                 'in *pipe:*) kill -9 "${d#/proc/}" 2>/dev/null;; esac; done; true')


def docker_client(timeout: int = 120) -> docker.DockerClient:
    """A connected Docker client. Raises SandboxUnavailable if no engine answers."""
    try:
        import docker
    except ImportError as exc:  # pragma: no cover - docker is a dependency
        raise SandboxUnavailable(
            f"the docker package is missing ({exc}): pip install docker") from None
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - DockerException, requests errors, bad DOCKER_HOST
        raise SandboxUnavailable(
            f"no Docker engine answers ({type(exc).__name__}): start dockerd or run "
            "scripts/provision, or use sandbox.backend=bubblewrap") from None
    return client


def container_name(spec: SandboxSpec) -> str:
    """``cladist-<run>-<role>-<random>`` restricted to characters Docker accepts."""
    parts = [p for p in (spec.run_id, spec.role) if p]
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", "-".join(parts))[:80]
    return f"{NAME_PREFIX}{stem + '-' if stem else ''}{uuid.uuid4().hex[:10]}"


class DockerSandbox(BaseSandbox):
    """A running container honouring :class:`cladist.sandbox.contract.Sandbox`.

    Creating one starts the container. Raises SandboxUnavailable (no engine, missing image,
    the container cannot start).
    """

    def __init__(self, spec: SandboxSpec, client: docker.DockerClient | None = None) -> None:
        import docker

        self.spec = spec
        self._own_client = client is None
        self._client = client or docker_client()
        self._api = self._client.api
        self._name = container_name(spec)
        self._oom_seen = 0
        self._container: Any = None
        try:
            self._create(docker)
        except BaseException:
            self.close()
            raise

    def _create(self, docker: Any) -> None:
        spec, limits = self.spec, self.spec.limits
        mounts = [docker.types.Mount(m.target, str(Path(m.source).resolve()), type="bind",
                                     read_only=m.read_only) for m in spec.all_mounts()]
        try:
            self._container = self._client.containers.create(
                spec.image, ["sleep", str(int(limits.ttl_s))], name=self._name,
                labels=spec.all_labels(), init=True, network_mode="none",
                mem_limit=limits.memory_bytes, memswap_limit=limits.memory_bytes,
                nano_cpus=int(limits.cpus * 1e9), pids_limit=limits.pids, cap_drop=["ALL"],
                security_opt=["no-new-privileges"], environment=dict(spec.env),
                mounts=mounts, user="root", detach=True)
            uid, gid, self._user = self._resolve_user()
            if not self._workdir_ready():
                self._container.put_archive("/", dir_tar(spec.workdir, uid, gid))
            self._container.start()
        except docker.errors.ImageNotFound:
            raise SandboxUnavailable(
                f"Docker image {spec.image} is missing: run `cladist images build`") from None
        except docker.errors.DockerException as exc:
            raise SandboxUnavailable(f"cannot start sandbox {self._name}: {exc}") from None

    def _workdir_ready(self) -> bool:
        """True if the image says (label ``cladist.workdir``, as cladist's own images do)
        that ``spec.workdir`` exists and belongs to its ``agent`` user, whom we run as."""
        image_id = self._container.attrs["Image"]
        if image_id not in _WORKDIRS:
            config = self._api.inspect_image(image_id).get("Config") or {}
            _WORKDIRS[image_id] = (config.get("Labels") or {}).get(LABEL_WORKDIR)
        return self._user == "agent" and _WORKDIRS[image_id] == self.spec.workdir

    def _resolve_user(self) -> tuple[int, int, str]:
        """(uid, gid, user) to run commands as: spec.user, else ``agent``, else nobody."""
        image_id = self._container.attrs["Image"]
        key = f"{image_id}:{self.spec.user}"
        if key not in _USERS:
            import tarfile
            from io import BytesIO

            stream, _ = self._container.get_archive("/etc/passwd")
            with tarfile.open(fileobj=BytesIO(b"".join(stream))) as tar:
                member = tar.extractfile("passwd")
                passwd = member.read().decode("utf-8", "replace") if member else ""
            users = {f[0]: (int(f[2]), int(f[3])) for f in
                     (line.split(":") for line in passwd.splitlines()) if len(f) > 3}
            wanted = self.spec.user
            if wanted and wanted.split(":")[0].isdigit():
                uid, _, gid = wanted.partition(":")
                _USERS[key] = (int(uid), int(gid or uid), wanted)
            elif wanted:
                if wanted not in users:
                    raise SandboxUnavailable(f"image {self.spec.image} has no user {wanted!r}")
                _USERS[key] = (*users[wanted], wanted)
            elif "agent" in users:
                _USERS[key] = (*users["agent"], "agent")
            else:
                _USERS[key] = (65534, 65534, "65534:65534")
        return _USERS[key]

    # -- exec -----------------------------------------------------------------------------
    def _run(self, argv: list[str], *, cwd: str | None, env: Mapping[str, str] | None,
             timeout: float, input: bytes | None, cap: int) -> ExecResult:
        errors = _engine_errors()
        limits, started = self.spec.limits, time.monotonic()
        marker = new_exec_id()
        full = ["timeout", "-k", f"{limits.kill_grace_s:g}", f"{max(timeout, 0.01):g}", *argv]
        environment = {**self.spec.env, **(env or {}), "CLADIST_EXEC": marker}
        try:
            exec_id = self._api.exec_create(
                self._container.id, full, stdin=input is not None, stdout=True, stderr=True,
                user=self._user, environment=environment, workdir=cwd or self.spec.workdir)["Id"]
            raw = self._api.exec_start(exec_id, socket=True)
        except errors as exc:
            raise SandboxUnavailable(f"sandbox {self._name} is unavailable: {exc}") from None
        sock: socket.socket = getattr(raw, "_sock", raw)
        out = OutputCollector(cap)
        deadline = started + timeout + limits.kill_grace_s + 5.0
        writer = start_writer(sock, input)
        ending = "eof"
        try:
            ending = pump(sock, out, deadline, lambda: self._finished(exec_id))
        finally:
            sock.close()
            raw.close()
        if writer is not None:
            writer.join(timeout=5)
        host_timeout = ending == "deadline"
        try:
            if host_timeout or out.truncated:
                self._kill(marker)
            elif ending == "exited":  # background processes left holding the output
                self._kill(marker, _KILL_HOLDERS)
            code = self._exit_code(exec_id)
            elapsed = time.monotonic() - started
            timed_out = host_timeout or (code in (124, 137) and elapsed >= timeout)
            if timed_out:
                self._kill(marker)  # grandchildren that left timeout's process group
            oom = (code != 0 and not timed_out and not out.truncated
                   and self._new_oom_kills(probe_inside=code == 137))
        except errors as exc:
            raise SandboxUnavailable(f"sandbox {self._name} died: {exc}") from None
        return out.result(code, started, timed_out=timed_out, oom_killed=oom)

    def _finished(self, exec_id: str) -> bool:
        """True once the command itself exited (a background child may still hold stdout)."""
        return not self._api.exec_inspect(exec_id).get("Running", False)

    def _exit_code(self, exec_id: str) -> int:
        for _ in range(50):
            info = self._api.exec_inspect(exec_id)
            if not info.get("Running") and info.get("ExitCode") is not None:
                return int(info["ExitCode"])
            time.sleep(0.05)
        return -1

    def _kill(self, marker: str, script: str = _KILL) -> None:
        """Kill the processes of this sandbox whose environment carries ``marker``."""
        import docker

        try:
            self._container.exec_run(["sh", "-c", script, "kill", marker], user=self._user)
        except docker.errors.DockerException:
            pass

    def _new_oom_kills(self, probe_inside: bool) -> bool:
        """True if the container's memory cgroup OOM-killed something since the last call.

        Reads the host's cgroup files; ``probe_inside`` allows an extra exec reading the
        container's own cgroup view when the host's is not visible.
        """
        count = host_oom_count(self._container.id)
        if count is None and not probe_inside:
            return False
        if count is None:
            probe = self._container.exec_run(
                ["sh", "-c", "cat /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/"
                 "memory.oom_control 2>/dev/null"], user=self._user)
            count = parse_oom(probe.output.decode("utf-8", "replace"))
        seen, self._oom_seen = self._oom_seen, max(count, self._oom_seen)
        return count > seen

    def alive(self) -> bool:
        """True while the container runs."""
        try:
            self._container.reload()
            return bool(self._container.status == "running")
        except Exception:  # noqa: BLE001
            return False

    def _close(self) -> None:
        try:
            if self._container is not None:
                self._container.remove(force=True, v=True)
        except Exception:  # noqa: BLE001 - already gone; cleanup catches the rest
            pass
        finally:
            if self._own_client:
                self._client.close()


def _engine_errors() -> tuple[type[Exception], ...]:
    """Exceptions meaning the engine (not the command) failed."""
    import docker
    import requests

    return (docker.errors.DockerException, requests.exceptions.RequestException)
