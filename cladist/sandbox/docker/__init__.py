"""The Docker backend of the sandbox contract.

- ``sandbox.py``: :class:`DockerSandbox` and :func:`docker_client` (docker SDK, lazily).
- ``disk.py``: the bounded workdir volume and the tmpfs sizes (``Limits.disk``).
- ``image.py``: what an image says about itself (its user, a writable home).
- ``exec_io.py``: streaming an exec's output under a cap; its exit code; OOM kills.
"""

from cladist.sandbox.docker.sandbox import DockerSandbox, docker_client

__all__ = ["DockerSandbox", "docker_client"]
