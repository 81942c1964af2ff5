"""Which paths of a task are protected: its test files plus, per language, the files that
decide how the tests run (:data:`HARNESS_FILES`). After an agent's patch is applied they
are made the trusted ones again (:func:`cladist.evaluator.worktree.protect`); an agent's
change to them never reaches the tests.

The agent's own sandbox also gets a git baseline of the task (:data:`BASELINE_SCRIPT`) for
its convenience (``git diff`` while it works); cladist never reads that repository.
"""

from __future__ import annotations

import fnmatch
import re

BASELINE_SCRIPT = (
    "git init -q . && git config user.email agent@cladist && git config user.name agent "
    "&& git config core.fileMode true && git add -A && git commit -q --allow-empty "
    "-m baseline && git tag cladist-baseline")
"""Shell run in the agent's fresh workspace: the task as given, as the agent's own
baseline commit (the agent's to use or break; cladist's patch never comes from it)."""

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
so an agent's change to them is undone before grading, like a change to the tests."""


def harness_patterns(language: str, test_files: tuple[str, ...] | list[str]
                     ) -> tuple[str, ...]:
    """``test_files`` plus the :data:`HARNESS_FILES` of ``language`` (no duplicates)."""
    return tuple(dict.fromkeys((*test_files, *HARNESS_FILES.get(language, ()))))


def split_files(patch: str) -> list[tuple[str, str]]:
    """A trusted patch (a dataset's test patch) cut into (path, text of that file's diff)
    pairs, in order. Never used on an agent's patch: git's quoted paths defeat it."""
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
