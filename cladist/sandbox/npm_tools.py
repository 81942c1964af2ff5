"""JavaScript test tools for an image, installed on the host: the task containers have no
network, and the image build's containers reach Debian's mirror but not npm's registry.

An image recipe's context folder holding a ``package-lock.json`` gets its ``node_modules``
from ``npm ci`` run on the host (install scripts off), cached by the lock's hash in
``$CLADIST_NPM_CACHE`` (default ``${XDG_CACHE_HOME:-~/.cache}/cladist/npm``), so a rebuild
of an unchanged lock reads nothing from the network.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from cladist.errors import CladistError

LOCK = "package-lock.json"
NPM_TIMEOUT_S = 900


class NpmInstallError(CladistError):
    """npm is missing, or ``npm ci`` failed (the registry is unreachable, the lock is bad)."""


def npm_cache_dir() -> Path:
    """Where installed tool folders are kept: ``$CLADIST_NPM_CACHE`` or
    ``${XDG_CACHE_HOME:-~/.cache}/cladist/npm``."""
    if os.environ.get("CLADIST_NPM_CACHE"):
        return Path(os.environ["CLADIST_NPM_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cladist" / "npm"


def lock_digest(folder: Path) -> str:
    """16 hex digits naming ``folder``'s package.json and lock file together."""
    data = b"\0".join((folder / name).read_bytes() for name in ("package.json", LOCK))
    return hashlib.sha256(data).hexdigest()[:16]


def node_modules(folder: Path) -> Path:
    """The ``node_modules`` installed from ``folder``'s package.json and lock file, made
    with ``npm ci --ignore-scripts`` the first time and reused after. Raises
    NpmInstallError."""
    done = npm_cache_dir() / lock_digest(folder)
    if (done / "node_modules").is_dir():
        return done / "node_modules"
    npm = shutil.which("npm")
    if npm is None:
        raise NpmInstallError("npm is not installed, and the node image needs it to fetch "
                              "jest and Babel: apt-get install -y npm (or run scripts/provision)")
    done.parent.mkdir(parents=True, exist_ok=True)
    work = done.with_name(f".{done.name}.{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    for name in ("package.json", LOCK):
        shutil.copy(folder / name, work / name)
    try:
        run = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                             cwd=work, capture_output=True, text=True, timeout=NPM_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        shutil.rmtree(work, ignore_errors=True)
        raise NpmInstallError(f"npm ci took over {NPM_TIMEOUT_S}s (is the npm registry "
                              "reachable?)") from None
    if run.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        tail = " | ".join((run.stderr or run.stdout).strip().splitlines()[-3:])
        raise NpmInstallError(f"npm ci failed (exit {run.returncode}): {tail}")
    (work / "node_modules").mkdir(exist_ok=True)  # a lock without packages makes none
    try:
        work.rename(done)
    except OSError:  # another process finished first: theirs is as good
        shutil.rmtree(work, ignore_errors=True)
    return done / "node_modules"
