"""The bubblewrap backend of the sandbox contract, for hosts without Docker.

- ``sandbox.py``: :class:`BubblewrapSandbox`, one ``bwrap`` call per exec.
- ``dirs.py``: a sandbox's host folders and mounts, bounded in size and files.
- ``exec_io.py``: streaming output under a cap, killing a command's process group.
- ``spawner.py``, ``spawn_helper.py``: the fork server commands start through.
"""

from cladist.sandbox.bubblewrap.sandbox import BubblewrapSandbox

__all__ = ["BubblewrapSandbox"]
