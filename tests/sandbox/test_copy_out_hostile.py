"""``copy_out`` of a folder an agent prepared, on every backend: its ``.git`` (config naming
an fsmonitor, hooks) never reaches the host, and a symbolic link, a hard link or a FIFO
makes the whole copy refused before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from cladist.sandbox import Sandbox
from cladist.sandbox.common import UnsafeSandboxContent

PREPARE = """set -e
mkdir -p /workspace/w/src /workspace/w/.git/hooks /workspace/w/vendor/.git
printf 'print(1)\\n' > /workspace/w/src/main.py
printf '[core]\\n\\tfsmonitor = touch /tmp/PWNED\\n' > /workspace/w/.git/config
printf '#!/bin/sh\\ntouch /tmp/PWNED\\n' > /workspace/w/.git/hooks/post-checkout
chmod +x /workspace/w/.git/hooks/post-checkout
printf 'gitdir: /etc\\n' > /workspace/w/vendor/.git/HEAD
"""


def test_copy_out_leaves_every_git_folder_behind(sandbox: Sandbox, tmp_path: Path) -> None:
    assert sandbox.exec(PREPARE).ok
    out = tmp_path / "out"
    sandbox.copy_out("/workspace/w", out)
    assert (out / "src" / "main.py").read_text() == "print(1)\n"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "src", "src/main.py", "vendor"]


@pytest.mark.parametrize("plant", [
    "ln -s /proc/self/environ /workspace/w/src/env.txt",
    "ln -s .. /workspace/w/src/up",
    "ln /workspace/w/src/main.py /workspace/w/src/same.py",
    "mkfifo /workspace/w/src/pipe",
])
def test_links_and_fifos_refuse_the_whole_copy(sandbox: Sandbox, tmp_path: Path,
                                               plant: str) -> None:
    assert sandbox.exec(PREPARE + plant).ok
    out = tmp_path / "out"
    with pytest.raises(UnsafeSandboxContent, match="refused to copy out"):
        sandbox.copy_out("/workspace/w", out)
    assert not (out / "src" / "main.py").exists()
