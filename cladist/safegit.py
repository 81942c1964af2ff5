"""Git on content an agent made, with a configuration the agent cannot reach.

Every git command cladist runs on an agent's files (its codebase, its workspace, its patch)
goes through :func:`run` or gets its environment from :func:`hardened_env`: no system or
global config, no attributes file, no hooks, no fsmonitor, no external diff or textconv,
no pager, no prompts, no replace objects. The caller always names a ``GIT_DIR`` of its own
(never a ``.git`` that came out of a sandbox): a repository's own config can name commands
(``core.fsmonitor``, ``diff.<driver>.textconv``, ``filter.<name>.clean``, aliases), so a
repository the agent wrote is never opened at all.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

HARDENED_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.hooksPath", "/dev/null"),
    ("core.fsmonitor", "false"),
    ("core.attributesFile", "/dev/null"),
    ("core.pager", "cat"),
    ("core.sshCommand", "false"),
    ("core.quotePath", "true"),
    ("core.symlinks", "true"),
    ("core.protectNTFS", "true"),
    ("core.protectHFS", "true"),
    ("core.autocrlf", "false"),
    ("core.safecrlf", "false"),
    ("diff.noprefix", "false"),
    ("diff.mnemonicPrefix", "false"),
    ("diff.relative", "false"),
    ("diff.renames", "false"),
    ("diff.suppressBlankEmpty", "false"),
    ("apply.whitespace", "nowarn"),
    ("commit.gpgSign", "false"),
    ("tag.gpgSign", "false"),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("protocol.allow", "never"),
    ("user.name", "cladist"),
    ("user.email", "cladist@localhost"),
)
"""Config every hardened command sees, at command-line precedence (above any file)."""

DIFF_FLAGS = ("--no-ext-diff", "--no-textconv", "--no-color", "--full-index", "--binary")
"""Flags of every diff cladist stores: git's own diff engine, applyable by ``git apply``."""


class GitFailed(RuntimeError):
    """A hardened git command exited non-zero; the message holds its stderr's tail."""


def hardened_env(*, git_dir: Path | str | None = None, work_tree: Path | str | None = None,
                 index: Path | str | None = None,
                 extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a hardened git command: only ``PATH`` and ``LANG`` of ours, no
    config files, :data:`HARDENED_CONFIG` injected, and the given repository locations."""
    env = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C", "LC_ALL": "C",
           "HOME": "/nonexistent", "XDG_CONFIG_HOME": "/nonexistent",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
           "GIT_CONFIG_SYSTEM": "/dev/null", "GIT_ATTR_NOSYSTEM": "1",
           "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0",
           "GIT_NO_REPLACE_OBJECTS": "1", "GIT_PAGER": "cat",
           "GIT_AUTHOR_NAME": "cladist", "GIT_AUTHOR_EMAIL": "cladist@localhost",
           "GIT_COMMITTER_NAME": "cladist", "GIT_COMMITTER_EMAIL": "cladist@localhost",
           "GIT_CONFIG_COUNT": str(len(HARDENED_CONFIG))}
    for i, (key, value) in enumerate(HARDENED_CONFIG):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    if git_dir is not None:
        env["GIT_DIR"] = str(git_dir)
        env["GIT_CEILING_DIRECTORIES"] = str(Path(git_dir).parent)
    if work_tree is not None:
        env["GIT_WORK_TREE"] = str(work_tree)
    if index is not None:
        env["GIT_INDEX_FILE"] = str(index)
    env.update(extra or {})
    return env


def run(args: Sequence[str], *, git_dir: Path | str | None, cwd: Path | str,
        work_tree: Path | str | None = None, index: Path | str | None = None,
        input: bytes | None = None, timeout: float = 600.0) -> bytes:
    """Run ``git ARGS`` hardened and return its stdout. ``git_dir`` None is only for
    commands that need no repository (``git apply`` outside one): git is then told that
    none exists above ``cwd``. Raises GitFailed when git exits non-zero or times out."""
    extra = {}
    if git_dir is None:
        extra["GIT_CEILING_DIRECTORIES"] = str(Path(cwd).resolve().parent)
        extra["GIT_DIR"] = str(Path(cwd).resolve() / ".cladist-no-repository")
    env = hardened_env(git_dir=git_dir, work_tree=work_tree, index=index, extra=extra)
    try:
        done = subprocess.run(["git", *args], cwd=cwd, env=env, input=input,
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise GitFailed(f"git {args[0]} timed out after {timeout:.0f}s") from None
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip()[-500:]
        raise GitFailed(f"git {args[0]} failed: {why or f'exit {done.returncode}'}")
    return done.stdout
