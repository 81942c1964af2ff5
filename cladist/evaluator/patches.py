"""Unified diffs as the agent's only output: splitting them per file, dropping test files.

The workspace inside a sandbox is a git repository whose first commit is the task as given;
the agent's patch is ``git diff --binary`` of everything it changed against that commit.
"""

from __future__ import annotations

import fnmatch
import re

BASELINE_SCRIPT = (
    "git init -q . && git config user.email agent@cladist && git config user.name agent "
    "&& git config core.fileMode true && git add -A && git commit -q --allow-empty "
    "-m baseline && git tag cladist-baseline")
"""Shell run in a fresh workspace: record the task as given as the baseline commit."""

DIFF_SCRIPT = "git add -A && git diff --cached --binary --full-index cladist-baseline"
"""Shell that prints the agent's patch against the baseline (new files included)."""

_HEADER = re.compile(r"^diff --git a/(.+?) b/(.+?)$", re.M)


HARNESS_FILES: dict[str, tuple[str, ...]] = {
    "python": ("conftest.py", "*/conftest.py", "pytest.ini", ".pytest.ini", "tox.ini",
               "setup.cfg", "pyproject.toml", "sitecustomize.py", "usercustomize.py", "*.pth",
               "pytest.py", "pytest/*", "_pytest/*", "pluggy.py", "pluggy/*", "iniconfig.py",
               "iniconfig/*", "py.py", "*.dist-info/*", "*.egg-info/*", "*.egg-link",
               "*__pycache__*", "*.pyc"),
    "go": ("go.mod", "go.sum", "go.work", "go.work.sum"),
    "rust": ("Cargo.toml", "Cargo.lock", "build.rs", ".cargo/*", "rust-toolchain",
             "rust-toolchain.toml"),
    "cpp": ("CMakeLists.txt", "*.cmake", "cmake/*"),
    "javascript": ("package.json", "package-lock.json", "jest.config.*", "babel.config.*",
                   ".babelrc", ".npmrc", "node_modules/*", ".node-version", ".nvmrc"),
    "java": ("build.gradle", "settings.gradle", "*.gradle.kts", "gradlew", "gradle/*"),
}
"""Per language, files that decide how the tests run (a ``conftest.py`` that exits 0, a
``package.json`` whose test script is ``true``): exercise suites treat them as test files,
so an agent's change to them is dropped before grading, like a change to the tests."""


def harness_patterns(language: str, test_files: tuple[str, ...] | list[str]
                     ) -> tuple[str, ...]:
    """``test_files`` plus the :data:`HARNESS_FILES` of ``language`` (no duplicates)."""
    return tuple(dict.fromkeys((*test_files, *HARNESS_FILES.get(language, ()))))


def split_files(patch: str) -> list[tuple[str, str]]:
    """The patch cut into (path, text of that file's diff) pairs, in order."""
    starts = [m for m in _HEADER.finditer(patch)]
    pieces = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(patch)
        pieces.append((match.group(2), patch[match.start():end]))
    return pieces


def is_test_path(path: str, patterns: tuple[str, ...] | list[str]) -> bool:
    """Whether ``path`` matches one of the task's test-file glob patterns."""
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path, p.rstrip("/") + "/*")
               for p in patterns)


def drop_test_changes(patch: str, patterns: tuple[str, ...] | list[str]) -> tuple[str, list[str]]:
    """The patch without hunks touching test files, and the paths that were dropped."""
    kept, dropped = [], []
    for path, text in split_files(patch):
        old_path = _HEADER.match(text)
        touched = {path, old_path.group(1) if old_path else path}
        if any(is_test_path(p, patterns) for p in touched):
            dropped.append(path)
        else:
            kept.append(text)
    return "".join(kept), dropped
