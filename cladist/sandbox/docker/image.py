"""What a Docker image tells the sandbox made from it: the user to run as, that user's
home dir, and whether its workdir starts empty (label ``cladist.workdir``).

The container's tmpfs mounts must be owned by that user, so this is known before the
container is created: the image is inspected each time (one API call), its ``/etc/passwd``
read once per image and process from a container created (never started) for that.
"""

from __future__ import annotations

import io
import posixpath
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cladist.sandbox.contract import LABEL_ROLE, SandboxUnavailable

if TYPE_CHECKING:
    import docker

LABEL_WORKDIR = "cladist.workdir"
"""Image label: this dir exists, is empty and belongs to the image's ``agent`` user."""
NOBODY = (65534, 65534, "65534:65534")


@dataclass(frozen=True)
class ImageFacts:
    """The user commands run as (``user`` as given to ``exec``), its home dir per the
    image's ``/etc/passwd`` (None: no usable entry) and the image's workdir label."""

    image_id: str
    uid: int
    gid: int
    user: str
    home: str | None
    workdir_label: str | None


_PASSWD: dict[str, dict[str, tuple[int, int, str]]] = {}  # image id -> name -> uid, gid, home


def image_facts(client: docker.DockerClient, image: str, user: str | None,
                labels: Mapping[str, str]) -> ImageFacts:
    """The facts of ``image`` for ``user`` (None: ``agent`` if the image has it, else
    nobody). ``labels`` go on the container that reads ``/etc/passwd`` (so cleanup finds
    it). Raises docker.errors.ImageNotFound, docker.errors.DockerException,
    SandboxUnavailable (the image has no user of that name)."""
    info = client.api.inspect_image(image)
    image_id = str(info["Id"])
    label = ((info.get("Config") or {}).get("Labels") or {}).get(LABEL_WORKDIR)
    if image_id not in _PASSWD:
        _PASSWD[image_id] = parse_passwd(_read_passwd(client, image_id, labels))
    users = _PASSWD[image_id]
    if user and user.split(":")[0].isdigit():
        uid_text, _, gid_text = user.partition(":")
        uid = int(uid_text)
        home = next((h for u, _, h in users.values() if u == uid), None)
        return ImageFacts(image_id, uid, int(gid_text or uid), user, home, label)
    if user:
        if user not in users:
            raise SandboxUnavailable(f"image {image} has no user {user!r}")
        return ImageFacts(image_id, *users[user][:2], user, users[user][2], label)
    if "agent" in users:
        return ImageFacts(image_id, *users["agent"][:2], "agent", users["agent"][2], label)
    return ImageFacts(image_id, *NOBODY, None, label)


def parse_passwd(text: str) -> dict[str, tuple[int, int, str]]:
    """name -> (uid, gid, home) of the well-formed lines of a passwd file."""
    users: dict[str, tuple[int, int, str]] = {}
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) > 5 and fields[2].isdigit() and fields[3].isdigit():
            users[fields[0]] = (int(fields[2]), int(fields[3]), fields[5])
    return users


def writable_home(home: str | None) -> str | None:
    """``home`` if the sandbox should get a writable home there (``/root`` or a dir under
    ``/home``), else None (``/``, ``/nonexistent``, system dirs stay read-only)."""
    if not home or not home.startswith("/"):
        return None
    home = posixpath.normpath(home)
    if home == "/root" or (home.startswith("/home/") and home.count("/") >= 2):
        return home
    return None


def _read_passwd(client: docker.DockerClient, image_id: str,
                 labels: Mapping[str, str]) -> str:
    """The image's ``/etc/passwd`` (empty if it has none), read through a container that is
    created, never started, and removed."""
    import docker as docker_sdk

    probe = client.containers.create(image_id, ["true"], network_mode="none",
                                     labels={**labels, LABEL_ROLE: "passwd-probe"})
    try:
        stream, _ = probe.get_archive("/etc/passwd")
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            member = tar.extractfile("passwd")
            return member.read().decode("utf-8", "replace") if member else ""
    except (docker_sdk.errors.NotFound, tarfile.TarError, KeyError):
        return ""
    finally:
        probe.remove(force=True)
