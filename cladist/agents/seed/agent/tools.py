"""The agent's tools: a persistent bash session, view, create and replace.

Every tool returns a string observation for the model; a mistake (missing file, ambiguous
replacement, a command that times out) is reported in that string, never raised, so the
loop can show it to the model and go on. Paths are relative to the work directory.
"""

import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
import warnings
from pathlib import Path

from agent.matching import closest_lines, forgiving_match

MAX_OUTPUT = 10_000  # characters of one observation shown to the model


def truncate(text, limit=MAX_OUTPUT):
    """Keep the head and tail of long output, marking what was cut."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - limit} characters cut ...]\n{text[-half:]}"


class BashSession:
    """One bash process kept alive across commands, so cd and exported variables persist.

    ``run`` returns the combined output and exit code; a command running past its timeout
    kills the whole process group and starts a fresh session.
    """

    def __init__(self, workdir, timeout=60.0, env=None):
        self.workdir = str(workdir)
        self.timeout = timeout
        self.env = env
        self.proc = None

    def _start(self):
        self.proc = subprocess.Popen(
            ["bash", "--noprofile", "--norc"], cwd=self.workdir, env=self.env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True)

    def run(self, command, timeout=None):
        """Run ``command``; returns (output, exit code or None when it timed out)."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        marker = f"__CLADIST_DONE_{uuid.uuid4().hex}"
        script = f"{{\n{command}\n}} < /dev/null 2>&1\necho \"{marker} $?\"\n"
        self.proc.stdin.write(script.encode())
        self.proc.stdin.flush()
        deadline = time.monotonic() + (timeout or self.timeout)
        output = bytearray()
        selector = selectors.DefaultSelector()
        selector.register(self.proc.stdout, selectors.EVENT_READ)
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    self.close()
                    text = output.decode(errors="replace")
                    return f"{text}\n[command timed out after {timeout or self.timeout:.0f}s]", None
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    self.proc = None
                    return output.decode(errors="replace") + "\n[bash exited]", None
                output += chunk
                if len(output) > 4 * MAX_OUTPUT * 10:  # keep memory bounded
                    del output[MAX_OUTPUT * 2: len(output) - MAX_OUTPUT * 2]
                found = output.rfind(marker.encode())
                if found != -1 and output.endswith(b"\n"):
                    code = output[found + len(marker):].strip()
                    return output[:found].decode(errors="replace"), int(code or 0)
        finally:
            selector.close()

    def close(self):
        """Kill the session's whole process group."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()
            for pipe in (self.proc.stdin, self.proc.stdout):
                if pipe is not None:
                    pipe.close()
            self.proc = None


class Tools:
    """The tool set bound to one work directory."""

    def __init__(self, workdir, command_timeout=60.0):
        self.workdir = Path(workdir).resolve()
        self._shims = _python_shim()
        env = None
        if self._shims is not None:
            env = dict(os.environ, PATH=f"{self._shims}{os.pathsep}{os.environ.get('PATH', '')}")
        self.bash_session = BashSession(self.workdir, command_timeout, env)

    def _path(self, path):
        full = (self.workdir / path).resolve()
        if full != self.workdir and self.workdir not in full.parents:
            raise ValueError(f"{path} is outside the work directory")
        return full

    def bash(self, command):
        """Run a shell command in the persistent session."""
        output, code = self.bash_session.run(command)
        status = "timed out" if code is None else f"exit code {code}"
        return f"{truncate(output)}\n[{status}]"

    def view(self, path, start=None, end=None):
        """Show a file with line numbers (optionally lines start..end) or list a folder."""
        try:
            full = self._path(path)
            if full.is_dir():
                names = sorted(p.name + ("/" if p.is_dir() else "") for p in full.iterdir())
                return "\n".join(names) or "(empty folder)"
            lines = full.read_text(errors="replace").splitlines()
        except (OSError, ValueError) as err:
            return f"error: {err}"
        first = max(int(start or 1), 1)
        last = min(int(end or len(lines)), len(lines))
        shown = [f"{n:5d}\t{lines[n - 1]}" for n in range(first, last + 1)]
        return truncate("\n".join(shown)) or "(empty file)"

    def create(self, path, content):
        """Write a whole file (creating folders), replacing any existing one; refused when
        it would turn a valid (or new) Python file into invalid Python."""
        try:
            full = self._path(path)
            before = full.read_bytes() if full.is_file() else None
            if before == content.encode():
                return f"error: {path} already has exactly this content: nothing changed"
            broken = _breaks_python(path, (before or b"").decode(errors="replace"), content)
            if broken:
                return broken
            full.parent.mkdir(parents=True, exist_ok=True)
            full.write_text(content)
        except (OSError, ValueError) as err:
            return f"error: {err}"
        return f"wrote {path} ({len(content.splitlines())} lines)"

    def replace(self, path, old, new):
        """Replace the one exact occurrence of ``old`` in a file by ``new``."""
        try:
            full = self._path(path)
            text = full.read_text()
        except (OSError, ValueError) as err:
            return f"error: {err}"
        if not old:
            return "error: the text to replace is empty: copy the lines to change from the file"
        count = text.count(old)
        if count == 0:  # line numbers, other indentation, trailing spaces: forgive
            old, new = forgiving_match(text, old, new)
            count = text.count(old) if old else 0
        if count > 1:
            return f"error: the text to replace was found {count} times in {path}; add context"
        if count == 0:
            closest = closest_lines(text, old)
            shown = (f"\nThe lines of {path} most like it (copy the text, without the line "
                     f"numbers):\n{closest}") if closest else f" ({path} is empty)"
            return f"error: the text to replace was not found in {path}.{shown}"
        if old == new:
            return ("error: the new text is the same as the old: nothing changed. Write "
                    "the lines as they should be after the fix.")
        edited = text.replace(old, new, 1)
        broken = _breaks_python(path, text, edited)
        if broken:
            return broken
        full.write_text(edited)
        return f"replaced 1 occurrence in {path}"

    def call(self, name, args):
        """Dispatch a tool call by name with a dict of arguments."""
        try:
            if name == "bash":
                return self.bash(args["command"])
            if name == "view":
                return self.view(args["path"], args.get("start"), args.get("end"))
            if name == "create":
                return self.create(args["path"], args["content"])
            if name == "replace":
                return self.replace(args["path"], args["old"], args["new"])
        except KeyError as err:
            return f"error: tool {name} needs the argument {err}"
        except (TypeError, ValueError) as err:
            return f"error: bad arguments for {name}: {err}"
        return f"error: unknown tool {name!r} (tools: bash, view, create, replace, submit)"

    def close(self):
        """Stop the bash session."""
        self.bash_session.close()
        if self._shims is not None:
            shutil.rmtree(self._shims, ignore_errors=True)


def _syntax_error(path, text):
    """Why ``text`` is not valid Python source (a short reason), or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, str(path), "exec", dont_inherit=True)
    except SyntaxError as err:
        return f"{err.msg} at line {err.lineno}"
    except ValueError as err:  # null bytes
        return str(err)
    return None


def _breaks_python(path, before, after):
    """An error message when an edit would make a ``.py`` file that compiled (or did not
    exist) invalid Python; None otherwise. The edit is then not applied."""
    if not str(path).endswith(".py") or _syntax_error(path, before):
        return None
    why = _syntax_error(path, after)
    if why is None:
        return None
    return (f"error: not applied: the edit would make {path} invalid Python ({why}). "
            "Nothing was changed; write an edit that keeps the code valid.")


def _python_shim():
    """A folder with ``python`` running ``python3``, when the image has no ``python``
    (models often type python); None when not needed."""
    python3 = shutil.which("python3")
    if shutil.which("python") or not python3:
        return None
    folder = tempfile.mkdtemp(prefix="agent-shims-")
    os.symlink(python3, os.path.join(folder, "python"))
    return folder


def _param(kind, description):
    return {"type": kind, "description": description}


TOOL_SPECS = [
    {"type": "function", "function": {
        "name": "bash", "description": "Run a shell command in the work directory "
        "(state persists between calls).",
        "parameters": {"type": "object", "required": ["command"], "properties": {
            "command": _param("string", "The command.")}}}},
    {"type": "function", "function": {
        "name": "view", "description": "Show a file with line numbers, or list a folder.",
        "parameters": {"type": "object", "required": ["path"], "properties": {
            "path": _param("string", "Path relative to the work directory."),
            "start": _param("integer", "First line (optional)."),
            "end": _param("integer", "Last line (optional).")}}}},
    {"type": "function", "function": {
        "name": "create", "description": "Write a whole file.",
        "parameters": {"type": "object", "required": ["path", "content"], "properties": {
            "path": _param("string", "Path relative to the work directory."),
            "content": _param("string", "The full new content.")}}}},
    {"type": "function", "function": {
        "name": "replace", "description": "Replace one exact, unique piece of text in a file.",
        "parameters": {"type": "object", "required": ["path", "old", "new"], "properties": {
            "path": _param("string", "Path relative to the work directory."),
            "old": _param("string", "The exact text to replace (must occur once)."),
            "new": _param("string", "The replacement text.")}}}},
    {"type": "function", "function": {
        "name": "submit", "description": "Finish: the changes in the work directory are "
        "the answer.", "parameters": {"type": "object", "properties": {}}}},
]
