"""A sandbox's resource limits (part of the contract in :mod:`cladist.sandbox.contract`,
which re-exports them): sizes, memory, processes, time, disk, and what a task may raise."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from cladist.config.sizes import parse_size

if TYPE_CHECKING:
    from cladist.config import SandboxConfig

@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox (see :class:`cladist.config.SandboxConfig`).

    ``disk`` (a size like ``2g``) and ``inodes`` bound what the sandbox user can store in
    the workdir, ``/tmp`` and the home dir: bubblewrap (as root) holds the three together
    to that bound; Docker gives the workdir the bound and ``/tmp`` and the home a quarter
    each, in RAM, its memory cgroup raised by their total (see
    :mod:`cladist.sandbox.docker.disk`).
    """

    memory: str = "2g"
    cpus: float = 1.0
    pids: int = 256
    ttl_s: int = 7200
    output_cap_bytes: int = 1_000_000
    file_cap_bytes: int = 256 << 20
    exec_timeout_s: float = 3600.0
    kill_grace_s: float = 2.0
    disk: str = "2g"
    inodes: int = 100_000
    task_pids_max: int = 4096
    task_memory_max: str = "8g"

    def for_task(self, pids: int | None, memory: str | None) -> Limits:
        """These limits raised to what a task needs (``pids`` processes and threads,
        ``memory``), each at most ``task_pids_max``/``task_memory_max``; never lowered."""
        raised = self
        if pids is not None and pids > self.pids:
            raised = replace(raised, pids=min(pids, self.task_pids_max))
        if memory is not None and parse_size(memory) > self.memory_bytes:
            capped = min(parse_size(memory), parse_size(self.task_memory_max))
            raised = replace(raised, memory=str(max(capped, self.memory_bytes)))
        return raised

    @property
    def memory_bytes(self) -> int:
        """The memory limit in bytes."""
        return parse_size(self.memory)

    @property
    def disk_bytes(self) -> int:
        """The disk limit in bytes."""
        return parse_size(self.disk)

    @classmethod
    def from_config(cls, config: SandboxConfig) -> Limits:
        """Limits taken from the run configuration's ``sandbox`` section."""
        return cls(memory=config.memory, cpus=config.cpus, pids=config.pids_limit,
                   ttl_s=config.ttl_s, output_cap_bytes=config.output_cap_bytes,
                   disk=config.disk, inodes=config.inodes,
                   task_pids_max=config.task_pids_max, task_memory_max=config.task_memory_max)
