"""Hostile agents as small agent folders: each is a real ``agent`` package that cladist runs
like any other (``python3 -m agent --problem ... --workdir ... --out ...`` in the task's
sandbox), but instead of asking a model it carries out a fixed plan of attacks on its
work tree: files to write (text or bytes, any mode), symlinks, deletions, shell commands,
and the trajectory to leave behind.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

_MAIN = r'''
import argparse, base64, json, os, subprocess, sys
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--problem"); parser.add_argument("--workdir")
parser.add_argument("--out"); parser.add_argument("--max-steps")
parser.add_argument("--tools")
args = parser.parse_args()
plan = json.loads((Path(__file__).parent / "plan.json").read_text())
work = Path(args.workdir)
os.chdir(work)
for step in plan["steps"]:
    kind = step["kind"]
    path = work / step.get("path", ".")
    if kind == "write":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(step["data"]))
        os.chmod(path, step.get("mode", 0o644))
    elif kind == "symlink":
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.exists():
            subprocess.run(["rm", "-rf", str(path)])
        os.symlink(step["target"], path)
    elif kind == "delete":
        subprocess.run(["rm", "-rf", str(path)])
    elif kind == "sh":
        subprocess.run(["sh", "-c", step["cmd"]], timeout=step.get("timeout", 60))
out = Path(args.out); out.mkdir(parents=True, exist_ok=True)
(out / "trajectory.json").write_bytes(base64.b64decode(plan["trajectory"]))
sys.exit(plan.get("exit", 0))
'''


def write(path: str, data: str | bytes, mode: int = 0o644) -> dict[str, Any]:
    """A step writing ``data`` at ``path`` (relative to the work tree)."""
    raw = data.encode() if isinstance(data, str) else data
    return {"kind": "write", "path": path, "data": base64.b64encode(raw).decode(),
            "mode": mode}


def symlink(path: str, target: str) -> dict[str, Any]:
    """A step making ``path`` a symlink to ``target`` (replacing what was there)."""
    return {"kind": "symlink", "path": path, "target": target}


def delete(path: str) -> dict[str, Any]:
    """A step removing ``path`` (recursively)."""
    return {"kind": "delete", "path": path}


def sh(cmd: str, timeout: int = 60) -> dict[str, Any]:
    """A step running a shell command in the work tree."""
    return {"kind": "sh", "cmd": cmd, "timeout": timeout}


def make_agent(dest: Path, steps: list[dict[str, Any]], trajectory: bytes | None = None,
               exit_code: int = 0) -> Path:
    """Write a hostile agent folder at ``dest`` (made traversable by other uids) that runs
    ``steps`` and leaves ``trajectory`` (default: a valid one) as its trajectory."""
    package = Path(dest) / "agent"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(_MAIN)
    if trajectory is None:
        trajectory = json.dumps({"exit_reason": "submitted", "steps": []}).encode()
    (package / "plan.json").write_text(json.dumps({
        "steps": steps, "trajectory": base64.b64encode(trajectory).decode(),
        "exit": exit_code}))
    for path in (Path(dest), package, *package.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return Path(dest)
