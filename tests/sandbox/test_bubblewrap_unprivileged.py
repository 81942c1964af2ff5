"""The bubblewrap backend when cladist runs as an ordinary user.

CI runs as root, where each sandbox gets a uid of its own; here a small script runs as
``nobody`` (``setpriv``) with the system Python of the same version, importing cladist and
its dependencies from this environment, to exercise the other path: one shared fork
server, the user's own uid, rlimits still applied (the disk limit only as the size of one
file: no tmpfs can be mounted).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import cladist

SCRIPT = """
import json, os
from cladist.sandbox import Limits, SandboxSpec
from cladist.sandbox.bubblewrap import BubblewrapSandbox
from cladist.sandbox.bubblewrap.dirs import sandbox_mounts

spec = SandboxSpec(image="x", role="unprivileged")
with BubblewrapSandbox(spec) as a, BubblewrapSandbox(spec) as b:
    ids = a.exec("id -u; ulimit -v").out.split()
    other = b.exec("echo from-b > note && cat note").out
    stuck = a.exec("sleep 30 & sleep 30", timeout=0.5)
    facts = {"uid": os.getuid(), "inside": ids, "shared": a._server is b._server,
             "other": other, "timed_out": stuck.timed_out,
             "mounts": [m for m in sandbox_mounts()
                        if m.startswith(os.environ["CLADIST_SANDBOX_TMP"])]}
with BubblewrapSandbox(SandboxSpec(image="x", limits=Limits(disk="32m"))) as c:
    big = c.exec("head -c 40000000 /dev/zero > big")
    facts["big"] = [big.returncode, big.disk_full, c.exec("stat -c %s big").out.strip(),
                    c.exec("ulimit -f").out.strip(), c.exec("echo fine").disk_full]
facts["left"] = sorted(os.listdir(os.environ["CLADIST_SANDBOX_TMP"]))
print(json.dumps(facts))
"""


def _system_python() -> str | None:
    """A Python of this version that an unprivileged uid can run (ours may live in /root)."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.access(candidate, os.X_OK):
            found = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"],
                                   capture_output=True, text=True, check=False).stdout.strip()
            if found == str(sys.version_info[:2]):
                return candidate
    return None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become nobody")
def test_as_an_ordinary_user_sandboxes_share_a_server_and_keep_their_limits(
        shared_tmp: Path) -> None:
    python = _system_python()
    if python is None or shutil.which("setpriv") is None or shutil.which("bwrap") is None:
        pytest.skip("needs setpriv, bwrap and a system Python of this version")
    script = shared_tmp / "unprivileged.py"
    script.write_text(SCRIPT)
    script.chmod(0o644)
    boxes = shared_tmp / "boxes"
    boxes.mkdir(mode=0o777)
    boxes.chmod(0o777)
    path = os.pathsep.join([sysconfig.get_paths()["purelib"],
                            str(Path(cladist.__file__).resolve().parents[1])])
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "-i",
                 "PATH=/usr/bin:/bin", "HOME=/tmp", f"CLADIST_SANDBOX_TMP={boxes}",
                 f"PYTHONPATH={path}", python]
    reach = subprocess.run([*as_nobody, "-c", "import cladist.sandbox.bubblewrap"],
                           capture_output=True, text=True, timeout=60, cwd="/", check=False)
    if reach.returncode != 0:
        pytest.skip(f"nobody cannot import this environment: {reach.stderr[-200:]}")
    done = subprocess.run([*as_nobody, str(script)], capture_output=True, text=True,
                          timeout=120, cwd="/", check=False)
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout.splitlines()[-1])
    assert facts["uid"] == 65534 and facts["inside"][0] == "65534"
    assert facts["inside"][1] == str(2 << 30 >> 10)  # the memory rlimit, in KiB
    assert facts["shared"] is True  # one fork server for every sandbox of these limits
    assert facts["other"] == "from-b\n" and facts["timed_out"] is True
    assert facts["mounts"] == []  # no right to mount: no tmpfs of their own
    # ... but no file grows past the disk limit (RLIMIT_FSIZE; ulimit -f counts 512 bytes)
    assert facts["big"] == [153, True, str(32 << 20), str(32 << 20 >> 9), False]
    assert facts["left"] == []  # both sandbox dirs removed at close
