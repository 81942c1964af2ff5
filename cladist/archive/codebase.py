"""Agent codebases as commits in one bare git repository per run (GitPython).

The root commit is the seed agent; a child's commit has its parent's commit as its only
parent, so ``git log`` of a node is its lineage. Each node has a ref ``refs/nodes/<id>``
that keeps its commit alive. Nothing here needs a work tree: trees are written through a
temporary index, and read back with ``git archive``.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

from cladist import scratch
from cladist.errors import ArchiveError, NotFoundError

_IDENTITY = {
    "GIT_AUTHOR_NAME": "cladist", "GIT_AUTHOR_EMAIL": "cladist@localhost",
    "GIT_COMMITTER_NAME": "cladist", "GIT_COMMITTER_EMAIL": "cladist@localhost",
}
_EXCLUDES = "__pycache__/\n*.pyc\n.pytest_cache/\n"


class AgentRepo:
    """The run's ``agents.git``: commit, diff, materialize and export agent codebases.

    Raises NotFoundError for an unknown commit or node ref, ArchiveError for a directory
    that is not a git repository.
    """

    def __init__(self, path: Path):
        import git

        self.path = Path(path)
        try:
            self.repo = git.Repo(self.path)
        except (git.NoSuchPathError, git.InvalidGitRepositoryError):
            raise ArchiveError(f"{self.path}: not a git repository of agents") from None

    @classmethod
    def init(cls, path: Path) -> AgentRepo:
        """Create an empty bare repository at ``path``."""
        import git

        git.Repo.init(path, bare=True)
        (Path(path) / "info").mkdir(exist_ok=True)
        (Path(path) / "info" / "exclude").write_text(_EXCLUDES)
        return cls(path)

    def _git(self, *args: str, work_tree: Path | None = None, index: Path | None = None,
             env: dict[str, str] | None = None, stdout_as_string: bool = True) -> str | bytes:
        import git

        full_env = dict(_IDENTITY)
        full_env["GIT_DIR"] = str(self.path)
        if work_tree is not None:
            full_env["GIT_WORK_TREE"] = str(work_tree)
        if index is not None:
            full_env["GIT_INDEX_FILE"] = str(index)
        full_env.update(env or {})
        runner = git.Git(str(work_tree) if work_tree else str(self.path))
        try:
            out = runner.execute(["git", *args], env=full_env,
                                 stdout_as_string=stdout_as_string, strip_newline_in_stdout=False)
        except git.GitCommandError as err:
            raise ArchiveError(f"git {args[0]} failed: {str(err.stderr).strip()}") from None
        return out if out is not None else ""

    def commit_dir(self, directory: Path, parent_sha: str | None, message: str) -> str:
        """Commit the contents of ``directory`` as a child of ``parent_sha``; returns the sha.

        Files matched by the codebase's own .gitignore and by cladist's excludes (caches)
        are left out.
        """
        directory = Path(directory).resolve()
        with scratch.temporary("index") as tmp:
            index = Path(tmp) / "index"
            self._git("add", "-A", "--", ".", work_tree=directory, index=index)
            tree = str(self._git("write-tree", work_tree=directory, index=index)).strip()
        args = ["commit-tree", tree, "-m", message]
        if parent_sha:
            args += ["-p", self.resolve(parent_sha)]
        return str(self._git(*args)).strip()

    def commit_patch(self, parent_sha: str, patch: str, message: str) -> str:
        """Apply a unified diff to the parent's tree and commit the result as its child.

        Raises ArchiveError (with git's reason) when the patch does not apply.
        """
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
            return str(self._git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")).strip()
        except ArchiveError:
            raise NotFoundError(f"{rev}: no such agent commit") from None

    def diff(self, old: str, new: str, *, binary: bool = True) -> str:
        """Unified diff from ``old`` to ``new`` (applyable with ``git apply``)."""
        args = ["diff", "--no-color", "--full-index"] + (["--binary"] if binary else [])
        return str(self._git(*args, self.resolve(old), self.resolve(new)))

    def parent_diffs(self, shas: list[str]) -> dict[str, tuple[str | None, str]]:
        """{commit: (its first parent or None, text diff against it)} of many commits, read
        with one ``git log`` per thousand commits (the diff of a root commit is empty).

        Raises ArchiveError when a commit is not in the repository.
        """
        found: dict[str, tuple[str | None, str]] = {}
        wanted = list(dict.fromkeys(shas))
        for i in range(0, len(wanted), 1000):
            out = str(self._git("log", "--no-walk=unsorted", "-p", "--no-color", "--full-index",
                                "--format=%x00%H %P", *wanted[i:i + 1000]))
            for block in out.split("\0")[1:]:
                head, _, patch = block.partition("\n")
                sha, *parents = head.split()
                found[sha] = (parents[0] if parents else None,
                              patch.lstrip("\n") if parents else "")
        return found

    def files(self, sha: str) -> dict[str, tuple[str, str]]:
        """{path: (mode, blob sha)} of every file in the commit's tree."""
        out = str(self._git("ls-tree", "-r", "-z", "--full-tree", self.resolve(sha)))
        listing: dict[str, tuple[str, str]] = {}
        for entry in filter(None, out.split("\0")):
            meta, path = entry.split("\t", 1)
            mode, _kind, blob = meta.split()
            listing[path] = (mode, blob)
        return listing

    def archive_bytes(self, sha: str, fmt: str = "tar", prefix: str = "") -> bytes:
        """The commit's tree as a tar (``tar``) or gzipped tar (``tar.gz``) archive."""
        args = ["archive", f"--format={fmt}"] + ([f"--prefix={prefix}"] if prefix else [])
        data = self._git(*args, self.resolve(sha), stdout_as_string=False)
        assert isinstance(data, bytes)
        return data

    def materialize(self, sha: str, dest: Path) -> Path:
        """Write the commit's tree into ``dest`` (created; must be empty if it exists)."""
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        if any(dest.iterdir()):
            raise ArchiveError(f"{dest}: destination is not empty")
        return extract_tree(self.archive_bytes(sha), dest)

    def format_patches(self, sha: str, out_dir: Path) -> list[Path]:
        """Write the lineage of ``sha`` from the root as a numbered patch series."""
        out_dir.mkdir(parents=True, exist_ok=True)
        listing = str(self._git("format-patch", "--root", "--binary", "--full-index",
                                "-o", str(out_dir.resolve()), self.resolve(sha)))
        return [Path(line) for line in listing.splitlines() if line.strip()]

    def bundle(self, node_id: int, out: Path) -> Path:
        """Write a git bundle with branch ``node-<id>`` holding the node's whole lineage;
        ``git clone -b node-<id> BUNDLE DIR`` checks it out."""
        branch = f"refs/heads/node-{node_id}"
        self._git("update-ref", branch, self.resolve(f"refs/nodes/{node_id}"))
        self._git("bundle", "create", str(Path(out).resolve()), branch)
        return Path(out)


def extract_tree(data: bytes, dest: Path) -> Path:
    """Write a tree packed by :meth:`AgentRepo.archive_bytes` (plain tar) into ``dest``
    (created; must be empty if it exists). Raises ArchiveError for a non-empty ``dest``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise ArchiveError(f"{dest}: destination is not empty")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        tar.extractall(dest, filter="tar")
    return dest


def apply_patch(work: Path, patch: str) -> None:
    """Apply a unified diff to the files under ``work`` with ``git apply`` (no repository
    needed). Raises ArchiveError with git's reason when it does not apply."""
    import subprocess

    with scratch.temporary("patch") as tmp:
        patch_file = Path(tmp) / "change.patch"
        patch_file.write_text(patch)
        done = subprocess.run(["git", "apply", "--whitespace=nowarn", str(patch_file)],
                              cwd=work, capture_output=True, text=True,
                              env={**os.environ, "GIT_DIR": str(Path(tmp) / "none")})
    if done.returncode != 0:
        raise ArchiveError(f"patch does not apply: {done.stderr.strip()[:500]}")


def blob_sha(data: bytes) -> str:
    """Git's blob id of ``data`` (sha1 of the blob header and content)."""
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def directory_listing(directory: Path) -> dict[str, tuple[str, str]]:
    """{path: (git mode, blob sha)} of every file under ``directory``, as git would store it."""
    listing: dict[str, tuple[str, str]] = {}
    root = Path(directory)
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            listing[rel] = ("120000", blob_sha(os.readlink(path).encode()))
        elif path.is_file():
            mode = "100755" if os.access(path, os.X_OK) else "100644"
            listing[rel] = (mode, blob_sha(path.read_bytes()))
    return listing
