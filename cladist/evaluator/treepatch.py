"""Patches between host folders, made and applied by git with cladist's own configuration.

:func:`tree_patch` is how an agent's patch comes to be: the difference between the trusted
copy of the task's workspace and the agent's work tree (both host folders, see
:mod:`cladist.evaluator.worktree`), computed in a git directory cladist made, with
:mod:`cladist.safegit`'s configuration: nothing the agent wrote (a ``.git/config``, a
textconv, an external diff) takes part. The text is always valid UTF-8: a file whose
content is not is written as a git binary patch, and unusual path bytes are quoted by git.
:func:`apply` applies a patch to a folder (``git apply``, which refuses paths outside the
folder and writes beyond symlinks).
"""

from __future__ import annotations

from pathlib import Path

from cladist import safegit, scratch

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
"""Git's id of the empty tree (the base of a patch that creates every file)."""


class PatchFailed(Exception):
    """A patch could not be made from, or applied to, a tree; the message says why."""


def tree_patch(base: Path | None, new: Path) -> str:
    """The patch from folder ``base`` (None: empty) to folder ``new``: every file git
    would add there (``.gitignore`` files honoured, as ``git add -A`` does), binary files
    and modes included, renames as delete + add. Raises PatchFailed when git refuses a
    path of ``new`` (the message names it)."""
    with scratch.temporary("treepatch") as tmp:
        git_dir = Path(tmp) / "repo.git"
        try:
            safegit.run(["init", "-q", "--bare", str(git_dir)], git_dir=git_dir, cwd=tmp)
            old_tree = _write_tree(git_dir, base, Path(tmp) / "old.index") if base else EMPTY_TREE
            new_tree = _write_tree(git_dir, new, Path(tmp) / "new.index")
            if old_tree == new_tree:
                return ""
            raw = _diff(git_dir, tmp, old_tree, new_tree, attributes=None)
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                pass
            paths = _non_utf8_paths(git_dir, tmp, old_tree, new_tree)
            attributes = Path(tmp) / "attributes"
            attributes.write_bytes(b"".join(_attribute_line(p) for p in paths))
            raw = _diff(git_dir, tmp, old_tree, new_tree, attributes=attributes)
        except safegit.GitFailed as err:
            raise PatchFailed(str(err)) from None
        return raw.decode("utf-8", "replace")


def _write_tree(git_dir: Path, folder: Path, index: Path) -> str:
    safegit.run(["add", "-A", "--", "."], git_dir=git_dir, cwd=folder, work_tree=folder,
                index=index)
    return safegit.run(["write-tree"], git_dir=git_dir, cwd=folder, work_tree=folder,
                       index=index).decode().strip()


def _diff(git_dir: Path, cwd: str, old: str, new: str, attributes: Path | None) -> bytes:
    args = ["diff-tree", "-r", "-p", "--no-renames", *safegit.DIFF_FLAGS, old, new]
    if attributes is not None:
        args = ["-c", f"core.attributesFile={attributes}", *args]
    return safegit.run(args, git_dir=git_dir, cwd=cwd)


def _non_utf8_paths(git_dir: Path, cwd: str, old: str, new: str) -> list[bytes]:
    """Changed paths whose old or new content is not valid UTF-8."""
    listing = safegit.run(["diff-tree", "-r", "-z", "--no-renames", "--raw", old, new],
                          git_dir=git_dir, cwd=cwd)
    fields = listing.split(b"\0")
    found = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        parts = meta.split()
        if len(parts) < 4:
            continue
        for blob in (parts[2], parts[3]):
            if set(blob) == {ord("0")}:
                continue
            content = safegit.run(["cat-file", "blob", blob.decode()], git_dir=git_dir, cwd=cwd)
            try:
                content.decode("utf-8")
            except UnicodeDecodeError:
                found.append(path)
                break
    return found


def _attribute_line(path: bytes) -> bytes:
    """A gitattributes line marking exactly ``path`` binary (glob characters escaped,
    the pattern C-quoted when it holds spaces, quotes or non-ASCII bytes)."""
    escaped = bytearray()
    for byte in path:
        char = bytes([byte])
        if char in b"\\*?[":
            escaped += b"\\" + char
        else:
            escaped += char
    text = bytes(escaped)
    if any(b < 0x21 or b > 0x7E or b == ord('"') for b in text):
        quoted = bytearray(b'"')
        for byte in text:
            if byte in (ord('"'), ord("\\")):
                quoted += b"\\" + bytes([byte])
            elif byte < 0x20 or byte > 0x7E:
                quoted += b"\\%03o" % byte
            else:
                quoted += bytes([byte])
        text = bytes(quoted + b'"')
    return b"/" + text + b" binary\n" if not text.startswith(b'"') else \
        b'"/' + text[1:] + b" binary\n"


def apply(tree: Path, patch: str) -> None:
    """Apply ``patch`` to the files under ``tree`` (no repository needed). Raises
    PatchFailed with git's reason when it does not apply."""
    if not patch.strip():
        return
    try:
        safegit.run(["apply", "--whitespace=nowarn", "-"], git_dir=None,
                    cwd=tree, input=patch.encode("utf-8", "surrogateescape"))
    except safegit.GitFailed as err:
        raise PatchFailed(str(err).replace("git apply failed: ", "")) from None
