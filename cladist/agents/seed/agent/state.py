"""What the agent loop remembers between steps (see loop.py): the files as they were at
the start (to tell whether anything changed, by content), the originals of edited files
(to show the agent its changes so far), its replies (to notice a repeat) and the last
failed action."""

import difflib
import hashlib
import os
from pathlib import Path

from agent import context


class State:
    """What the loop remembers between steps: the files as they were at the start, the
    visible tests' command, the replies so far and the refused submits."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.start = fingerprint(workdir)
        self.unchanged = frozenset(self.start)
        self.digests = {path: digest(workdir, path) for path, _, _ in self.start}
        self.test_command = None
        self.replies = []
        self.refused_unchanged = False
        self.failed = None  # ((tool, args), output) of the last action run, if it failed
        self.blocked = False  # the last action repeated one that had just failed
        self.retry_base = None  # (index, content) of the message retry notes are added to
        self.tested_version = None
        self.originals = {}

    def changed(self):
        """Whether any file differs from the start in content (a file rewritten with the
        same bytes, as ``sed -i`` that matched nothing, has not changed)."""
        now = fingerprint(self.workdir)
        if now == self.start:
            return False
        if [path for path, _, _ in now] != list(self.digests):
            return True
        return any(stat not in self.unchanged and digest(self.workdir, stat[0])
                   != self.digests[stat[0]] for stat in now)

    def remember(self, path):
        """Keep a file's content as it was before the agent's first edit of it."""
        if path and path not in self.originals:
            try:
                self.originals[path] = (Path(self.workdir) / path).read_text()
            except (OSError, UnicodeDecodeError):
                self.originals[path] = ""

    def diff(self, path):
        """The agent's changes to ``path`` so far (a few lines of unified diff), or ""."""
        if path not in self.originals:
            return ""
        try:
            now = (Path(self.workdir) / path).read_text()
        except (OSError, UnicodeDecodeError):
            return ""
        lines = list(difflib.unified_diff(self.originals[path].splitlines(),
                                          now.splitlines(), lineterm="", n=1))[2:]
        return "\n".join(lines[:30])

    def repeated(self):
        """True when the model's last two replies were the same."""
        return len(self.replies) >= 2 and self.replies[-1] == self.replies[-2]

    def stuck(self):
        """True when the model repeated its last reply, or an action that had just failed:
        its next reply is sampled with some temperature and a fresh seed."""
        return self.repeated() or self.blocked



def digest(workdir, path, limit=1 << 20):
    """A file's content hash (its size and time when larger than ``limit``)."""
    full = os.path.join(workdir, path)
    try:
        info = os.stat(full)
        if info.st_size > limit:
            return ("large", info.st_size, info.st_mtime_ns)
        with open(full, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def fingerprint(workdir):
    """Paths, sizes and modification times of the work directory's files."""
    found = []
    for path in context.files(workdir):
        try:
            info = os.stat(os.path.join(workdir, path))
        except OSError:
            continue
        found.append((path, info.st_size, info.st_mtime_ns))
    return tuple(found)
