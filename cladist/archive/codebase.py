"""Agent codebases as commits in one bare git repository per run.

The root commit is the seed agent; a child's commit has its parent's commit as its only
parent, so ``git log`` of a node is its lineage. Each node has a ref ``refs/nodes/<id>``
that keeps its commit alive. Nothing here needs a work tree: trees are written through a
temporary index, and read back with ``git archive``.

Every git command runs through :mod:`cladist.safegit` (no system, global or agent config,
no hooks, no external diff or textconv), and a codebase holds only regular files and
folders (:mod:`cladist.archive.safetree`): a tree with a symbolic link or a special file is
never committed, and an archived tree is unpacked only after every member was checked.
"""

from __future__ import annotations

from pathlib import Path

from cladist import safegit, scratch
from cladist.archive.safetree import (
    UnsafeTreeError,
    apply_patch,
    check_patch,
    check_tree,
    extract_tree,
)
from cladist.errors import ArchiveError, NotFoundError

_EXCLUDES = "__pycache__/\n*.pyc\n.pytest_cache/\n"
_STORED_MODES = frozenset({"100644", "100755"})
DIFF_OPTIONS = ("--no-ext-diff", "--no-textconv", "--no-color", "--full-index")
"""Options of every diff read from agents.git: git's own engine, full blob ids."""


class AgentRepo:
    """The run's ``agents.git``: commit, diff, materialize and export agent codebases.

    Raises NotFoundError for an unknown commit or node ref, ArchiveError for a directory
    that is not a git repository or a git command that fails, UnsafeTreeError for a tree
    holding anything but regular files and folders.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        if not ((self.path / "HEAD").is_file() and (self.path / "objects").is_dir()):
            raise ArchiveError(f"{self.path}: not a git repository of agents")

    @classmethod
    def init(cls, path: Path) -> AgentRepo:
        """Create an empty bare repository at ``path``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        try:
            safegit.run(["init", "--quiet", "--bare"], git_dir=path, cwd=path)
        except safegit.GitFailed as err:
            raise ArchiveError(f"{path}: {err}") from None
        (path / "info").mkdir(exist_ok=True)
        (path / "info" / "exclude").write_text(_EXCLUDES)
        return cls(path)

    def _git_bytes(self, *args: str, work_tree: Path | None = None,
                   index: Path | None = None) -> bytes:
        try:
            return safegit.run(args, git_dir=self.path, cwd=work_tree or self.path,
                               work_tree=work_tree, index=index)
        except safegit.GitFailed as err:
            raise ArchiveError(str(err)) from None

    def _git(self, *args: str, work_tree: Path | None = None, index: Path | None = None
             ) -> str:
        """Run a hardened git command on agents.git; its stdout as text (bytes that are
        not UTF-8, as an agent's file may hold, become U+FFFD)."""
        out = self._git_bytes(*args, work_tree=work_tree, index=index)
        return out.decode("utf-8", errors="replace")

    def commit_dir(self, directory: Path, parent_sha: str | None, message: str) -> str:
        """Commit the contents of ``directory`` as a child of ``parent_sha``; returns the sha.

        Files matched by the codebase's own .gitignore and by cladist's excludes (caches)
        are left out; a ``.git`` directly in ``directory`` is never stored. Raises
        UnsafeTreeError (nothing committed) when the directory holds a symbolic link, a
        special file or a nested repository.
        """
        directory = Path(directory).resolve()
        check_tree(directory)
        with scratch.temporary("index") as tmp:
            index = Path(tmp) / "index"
            self._git("add", "-A", "--", ".", work_tree=directory, index=index)
            staged = self._git("ls-files", "--stage", "-z", work_tree=directory, index=index)
            for entry in filter(None, staged.split("\0")):
                meta, path = entry.split("\t", 1)
                if meta.split()[0] not in _STORED_MODES:
                    raise UnsafeTreeError(f"{path}: git would store it with mode "
                                          f"{meta.split()[0]} (only regular files allowed)")
            tree = self._git("write-tree", work_tree=directory, index=index).strip()
        args = ["commit-tree", tree, "-m", message]
        if parent_sha:
            args += ["-p", self.resolve(parent_sha)]
        return self._git(*args).strip()

    def commit_patch(self, parent_sha: str, patch: str, message: str) -> str:
        """Apply a unified diff to the parent's tree and commit the result as its child.

        Raises PatchRejected (with git's reason) when the patch does not apply,
        UnsafeTreeError when it would add a symbolic link, a submodule or a special file.
        """
        check_patch(patch)
        with scratch.temporary("apply") as tmp:
            work = Path(tmp) / "tree"
            self.materialize(parent_sha, work)
            apply_patch(work, patch)
            return self.commit_dir(work, parent_sha, message)

    def set_node_ref(self, node_id: int, sha: str) -> None:
        """Point ``refs/nodes/<node_id>`` at ``sha``."""
        self._git("update-ref", f"refs/nodes/{node_id}", sha)

    def resolve(self, rev: str) -> str:
        """Full sha of a commit; raises NotFoundError if it is not in the repository."""
        try:
            return self._git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").strip()
        except ArchiveError:
            raise NotFoundError(f"{rev}: no such agent commit") from None

    def diff(self, old: str, new: str, *, binary: bool = True) -> str:
        """Unified diff from ``old`` to ``new`` (applyable with ``git apply`` when
        ``binary`` and every changed text file is UTF-8; other bytes read as U+FFFD)."""
        args = ["diff", *DIFF_OPTIONS] + (["--binary"] if binary else [])
        return self._git(*args, self.resolve(old), self.resolve(new))

    def parent_diffs(self, shas: list[str]) -> dict[str, tuple[str | None, str]]:
        """{commit: (its first parent or None, text diff against it)} of many commits, read
        with one ``git log`` per thousand commits (the diff of a root commit is empty).

        Raises ArchiveError when a commit is not in the repository.
        """
        found: dict[str, tuple[str | None, str]] = {}
        wanted = list(dict.fromkeys(shas))
        for i in range(0, len(wanted), 1000):
            out = self._git("log", "--no-walk=unsorted", "-p", *DIFF_OPTIONS,
                            "--format=%x00%H %P", *wanted[i:i + 1000])
            for block in out.split("\0")[1:]:
                head, _, patch = block.partition("\n")
                sha, *parents = head.split()
                found[sha] = (parents[0] if parents else None,
                              patch.lstrip("\n") if parents else "")
        return found

    def files(self, sha: str) -> dict[str, tuple[str, str]]:
        """{path: (mode, blob sha)} of every file in the commit's tree."""
        out = self._git("ls-tree", "-r", "-z", "--full-tree", self.resolve(sha))
        listing: dict[str, tuple[str, str]] = {}
        for entry in filter(None, out.split("\0")):
            meta, path = entry.split("\t", 1)
            mode, _kind, blob = meta.split()
            listing[path] = (mode, blob)
        return listing

    def archive_bytes(self, sha: str, fmt: str = "tar", prefix: str = "") -> bytes:
        """The commit's tree as a tar (``tar``) or gzipped tar (``tar.gz``) archive."""
        args = ["archive", f"--format={fmt}"] + ([f"--prefix={prefix}"] if prefix else [])
        return self._git_bytes(*args, self.resolve(sha))

    def materialize(self, sha: str, dest: Path) -> Path:
        """Write the commit's tree into ``dest`` (created; must be empty if it exists).
        Raises UnsafeTreeError (nothing written) for a tree holding a link (an archive
        made before links were refused)."""
        return extract_tree(self.archive_bytes(sha), dest)

    def format_patches(self, sha: str, out_dir: Path) -> list[Path]:
        """Write the lineage of ``sha`` from the root as a numbered patch series."""
        out_dir.mkdir(parents=True, exist_ok=True)
        listing = self._git("format-patch", "--root", "--binary", *DIFF_OPTIONS,
                            "-o", str(out_dir.resolve()), self.resolve(sha))
        return [Path(line) for line in listing.splitlines() if line.strip()]

    def bundle(self, node_id: int, out: Path) -> Path:
        """Write a git bundle with branch ``node-<id>`` holding the node's whole lineage;
        ``git clone -b node-<id> BUNDLE DIR`` checks it out."""
        branch = f"refs/heads/node-{node_id}"
        self._git("update-ref", branch, self.resolve(f"refs/nodes/{node_id}"))
        self._git("bundle", "create", str(Path(out).resolve()), branch)
        return Path(out)


def blob_sha(data: bytes) -> str:
    """Git's blob id of ``data`` (sha1 of the blob header and content)."""
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def directory_listing(directory: Path) -> dict[str, tuple[str, str]]:
    """{path: (git mode, blob sha)} of every file under ``directory``, as git would store it:
    a symbolic link is listed by its target (mode 120000), never followed; special files
    are left out."""
    import os
    import stat

    listing: dict[str, tuple[str, str]] = {}
    root = Path(directory)
    for folder, dirs, files in os.walk(root):  # symbolic links to folders are not entered
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                listing[rel] = ("120000", blob_sha(os.fsencode(os.readlink(path))))
            elif stat.S_ISREG(st.st_mode):
                mode = "100755" if st.st_mode & 0o100 else "100644"
                listing[rel] = (mode, blob_sha(path.read_bytes()))
    return dict(sorted(listing.items()))
