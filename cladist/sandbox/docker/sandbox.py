"""Docker backend of the sandbox contract (docker SDK, imported lazily).

Hostile defaults: no network (``network_mode=none``), memory (no swap), CPU and pids limits,
all capabilities dropped, ``no-new-privileges``, ``init`` as PID 1 reaping a ``sleep <ttl>``
so a container outlives a lost host by at most ``ttl_s``, a non-root user (the image's
``agent`` user, else ``nobody``), read-only mounts for agent code, a read-only root file
system with size- and inode-limited tmpfs mounts for the workdir, ``/tmp``, the home dir
and ``/dev/shm`` (see :mod:`cladist.sandbox.docker.disk`: what they guarantee, how
images without the ``cladist.workdir`` label get their workdir's files, how
``disk_full`` is read; note that the engine's archive API, ``get_archive``, reads the
image's layer and never what a tmpfs holds). Each command runs under
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
from typing import TYPE_CHECKING, Any, NoReturn

from cladist.sandbox.common import BaseSandbox, OutputCollector, new_exec_id
from cladist.sandbox.contract import (
    NAME_PREFIX,
    ExecResult,
    SandboxRemoved,
    SandboxSpec,
    SandboxUnavailable,
)
from cladist.sandbox.docker.disk import (
    copy_image_dir,
    disk_plan,
    full_on_host,
    probe_command,
    probe_says_full,
)
from cladist.sandbox.docker.exec_io import (
    exec_exit_code,
    host_oom_count,
    parse_oom,
    pump,
    start_writer,
)
from cladist.sandbox.docker.image import image_facts, writable_home

if TYPE_CHECKING:
    import docker

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
        self._init_pid: int | None = None  # the container's init on this host, once known
        self._host_view = True  # False once /proc/<pid>/root proved unreadable from here
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
            facts = image_facts(self._client, spec.image, spec.user, spec.all_labels())
            self._user = facts.user
            labelled = facts.workdir_label == spec.workdir
            self._disk = disk_plan(limits, spec.workdir, writable_home(facts.home), facts.uid,
                                   facts.gid, copy_from_image=not labelled)
            self._container = self._client.containers.create(
                facts.image_id, ["sleep", str(int(limits.ttl_s))], name=self._name,
                labels=spec.all_labels(), init=True, network_mode="none",
                mem_limit=self._disk.memory_bytes, memswap_limit=self._disk.memory_bytes,
                nano_cpus=int(limits.cpus * 1e9), pids_limit=limits.pids, cap_drop=["ALL"],
                security_opt=["no-new-privileges"], environment=dict(spec.env),
                mounts=mounts, read_only=True, tmpfs=self._disk.tmpfs, user="root",
                detach=True)
            self._container.start()
            for target in self._disk.copied:
                copy_image_dir(self._api, self._container.id, facts.image_id, target,
                               self._user, skip_caches=target != spec.workdir)
        except docker.errors.ImageNotFound:
            raise SandboxUnavailable(
                f"Docker image {spec.image} is missing: run `cladist images build`") from None
        except docker.errors.DockerException as exc:
            raise SandboxUnavailable(f"cannot start sandbox {self._name}: {exc}") from None

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
            self._raise_unavailable("is unavailable", exc)
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
            code = exec_exit_code(self._api, exec_id)
            elapsed = time.monotonic() - started
            timed_out = host_timeout or (code in (124, 137) and elapsed >= timeout)
            if timed_out:
                self._kill(marker)  # grandchildren that left timeout's process group
            oom = (code != 0 and not timed_out and not out.truncated
                   and self._new_oom_kills(probe_inside=code == 137))
            disk_full = self._disk_full(probe_inside=code != 0)
        except errors as exc:
            self._raise_unavailable("died", exc)
        return out.result(code, started, timed_out=timed_out, oom_killed=oom,
                          disk_full=disk_full)

    def _raise_unavailable(self, what: str, exc: Exception) -> NoReturn:
        """Raise SandboxRemoved when the container is gone or being removed (only the host
        side can do that: the code inside has no engine), else SandboxUnavailable."""
        import docker

        try:
            self._container.reload()
            removed = self._container.status in ("removing", "dead")
        except docker.errors.NotFound:
            removed = True
        except Exception:  # noqa: BLE001 - the engine itself is gone: unavailable
            removed = False
        kind = SandboxRemoved if removed else SandboxUnavailable
        raise kind(f"sandbox {self._name} {what}: {exc}") from None

    def _finished(self, exec_id: str) -> bool:
        """True once the command itself exited (a background child may still hold stdout)."""
        return not self._api.exec_inspect(exec_id).get("Running", False)

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

    def _disk_full(self, probe_inside: bool) -> bool:
        """True if a tmpfs of the sandbox is full (see :mod:`cladist.sandbox.docker.disk`).

        Read on the host through the container's init (``/proc/<pid>/root``) when this
        process may (root on the engine's host): free, and out of the command's reach.
        Elsewhere ``probe_inside`` allows one exec of the image's read-only ``stat``
        (after a failed command: a full disk makes writes fail).
        """
        if self._host_view:
            if self._init_pid is None:
                self._init_pid = int(self._api.inspect_container(self._container.id)
                                     ["State"].get("Pid") or 0)
            full = full_on_host(self._init_pid, self._disk.sizes) if self._init_pid else None
            if full is not None:
                return full
            self._host_view = False
        if not probe_inside:
            return False
        probe = self._container.exec_run(probe_command(list(self._disk.sizes)),
                                         user=self._user, environment={"LC_ALL": "C"})
        return probe_says_full(probe.output.decode("utf-8", "replace"))

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
