"""What the agent shows the model before its first step: the files of the work directory,
the source files the problem is most likely about, and how the visible tests fare.

Small models do best when the first prompt already holds the code and the failing test
output: then one edit and one check are often enough.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

SKIP_DIRS = {".git", "__pycache__", ".pytest_cache", "node_modules", "target", "build",
             ".mypy_cache", ".venv", "venv"}
SOURCE_SUFFIXES = {".py", ".go", ".rs", ".js", ".mjs", ".ts", ".c", ".cc", ".cpp", ".h",
                   ".hpp", ".java", ".md", ".toml", ".json", ".txt", ".cfg", ".yaml"}
MAX_LISTED = 60
MAX_SHOWN_CHARS = 6000


def files(workdir):
    """Relative paths of the files in ``workdir`` (caches and build folders left out)."""
    found = []
    for root, dirs, names in os.walk(workdir):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(names):
            found.append(os.path.relpath(os.path.join(root, name), workdir))
    return found


def _is_test(path):
    name = os.path.basename(path)
    parts = path.split(os.sep)
    return (name.startswith("test") or "_test." in name or ".test." in name
            or "tests" in parts or "test" in parts)


def relevant_sources(workdir, problem, listed):
    """The source files to show first: those the problem names, then the other small
    non-test files, while they fit in :data:`MAX_SHOWN_CHARS`. A named file too long to
    show is given as its outline (see :func:`outline`) and the definitions the problem
    names (see :func:`named_definitions`); returns (label, text) pairs."""
    named = [p for p in listed if os.path.basename(p) in problem or p in problem]
    others = [p for p in listed if p not in named and not _is_test(p)]
    chosen, used = [], 0
    for path in named + others:
        if Path(path).suffix not in SOURCE_SUFFIXES or os.path.basename(path) == "README.md":
            continue
        try:
            text = (Path(workdir) / path).read_text()
        except (OSError, UnicodeDecodeError):
            continue
        if used + len(text) > MAX_SHOWN_CHARS:
            if path in named and (short := outline(text)):
                chosen.append((f"{path} (long: its outline; view the lines you need)", short))
                used += len(short)
                for first, last, block in named_definitions(text, problem):
                    if used + len(block) <= MAX_SHOWN_CHARS:
                        chosen.append((f"{path}, lines {first}-{last}", block))
                        used += len(block)
            continue
        chosen.append((path, text))
        used += len(text)
    return chosen


_DEFINITION = re.compile(r"^\s*(async def|def|class|func|fn|pub fn|function|impl|struct)\b"
                         r"|^[A-Z_][A-Z0-9_]* =")


_NAMED = re.compile(r"^(\s*)(?:async def|def|class|func|fn|pub fn|function)\s+([A-Za-z_]\w*)")


def named_definitions(text, problem, most=3):
    """(first line, last line, text) of at most ``most`` definitions (functions, classes)
    in ``text`` whose names the problem mentions as words; a definition ends where the
    indentation returns to its own level (a lone closing brace is kept)."""
    lines = text.split("\n")
    found = []
    for index, line in enumerate(lines):
        match = _NAMED.match(line)
        if not match or not re.search(rf"\b{re.escape(match.group(2))}\b", problem):
            continue
        indent = len(match.group(1))
        end = index + 1
        while end < len(lines) and (not lines[end].strip()
                                    or len(lines[end]) - len(lines[end].lstrip()) > indent):
            end += 1
        if end < len(lines) and lines[end].strip() in ("}", "};"):
            end += 1
        while end > index + 1 and not lines[end - 1].strip():
            end -= 1
        found.append((index + 1, end, "\n".join(lines[index:end])))
        if len(found) == most:
            break
    return found


def outline(text, most=40):
    """The lines of ``text`` that define something (functions, classes, constants), with
    their line numbers as ``view`` shows them; at most ``most`` lines."""
    found = [f"{n:5d}\t{line}" for n, line in enumerate(text.split("\n"), 1)
             if _DEFINITION.match(line)]
    return "\n".join(found[:most])


def test_command(workdir, listed):
    """A shell command running the visible tests of the work directory, or None."""
    has = set(listed)
    tests = [p for p in listed if _is_test(p)]
    if not tests:
        return None
    if any(p.endswith(".py") for p in tests):
        if _works(["python3", "-c", "import pytest"]):
            return "python3 -m pytest -q -x -p no:cacheprovider 2>&1 | tail -n 25"
        folder = "tests" if any(p.startswith("tests" + os.sep) for p in tests) else "."
        top = " -t ." if os.path.join(folder, "__init__.py") in has or folder == "." else ""
        return f"python3 -m unittest discover -s {folder}{top} 2>&1 | tail -n 25"
    if "go.mod" in has and any(p.endswith("_test.go") for p in tests):
        return "go test ./... 2>&1 | tail -n 25"
    if "Cargo.toml" in has:
        return "cargo test --offline 2>&1 | tail -n 25"
    if any(p.endswith(".js") for p in tests) and shutil.which("node"):
        folder = "test" if any(p.startswith("test" + os.sep) for p in tests) else "."
        return f"node --test {folder} 2>&1 | tail -n 25"
    return None


def _works(argv):
    try:
        return subprocess.run(argv, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def overview(workdir, problem, tools):
    """The text shown with the problem: file list, likely sources, visible test results.
    Returns (text, test command or None)."""
    listed = files(workdir)
    parts = ["Files in the work directory:\n" + "\n".join(listed[:MAX_LISTED])
             + ("\n..." if len(listed) > MAX_LISTED else "")]
    for path, text in relevant_sources(workdir, problem, listed):
        parts.append(f"Content of {path}:\n```\n{text.rstrip()}\n```")
    command = test_command(workdir, listed) if len(listed) <= MAX_LISTED * 5 else None
    if command:
        parts.append(f"The visible tests (`{command.split(' 2>&1')[0]}`) say:\n"
                     + tools.bash(command)[-2500:])
    return "\n\n".join(parts), command
