"""The bundled suite: small tasks written for cladist, shipped as package data.

Each task is a folder ``bundled/<task-id>/`` beside this module holding:

- ``task.yaml``: id, language, tier, image, runner (and its test_args), test_timeout_s,
  test_files and an optional summary (validated by :class:`TaskSpec`; unknown keys are
  errors);
- ``problem.md``: the problem statement the agent sees;
- ``workspace/``: the files given to the agent;
- ``hidden/``: hidden tests, copied over the workspace at grading (same relative paths);
- ``solution/``: the reference solution, overlaid on the workspace (tests only);
- ``expected_tests.txt``: the ids of the tests the reference solution passes, one per line
  (recorded by ``python -m cladist.evaluator.expected``): grading passes the task only
  when the runner reports every one of them passed.

Image names are logical (``python``, ``go``, ``rust``, ``cpp``, ``node``); the evaluator
resolves them to built image tags.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cladist.errors import ConfigError, NotFoundError, UsageError
from cladist.evaluator.contracts import Task
from cladist.evaluator.patches import harness_patterns

BUNDLED_ROOT = Path(__file__).resolve().parent / "bundled"
"""Where the bundled task folders live."""

TIERS = ("easy", "medium", "hard")
REQUIRED_PARTS = ("task.yaml", "problem.md", "workspace", "hidden", "solution")
EXPECTED_FILE = "expected_tests.txt"
_IMAGE_OF = {"python": "python", "go": "go", "rust": "rust", "cpp": "cpp",
             "javascript": "node"}
_RUNNER_OF = {"python": "pytest", "go": "go", "rust": "cargo", "cpp": "cmake",
              "javascript": "node"}


class TaskSpec(BaseModel):
    """The schema of one ``task.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    language: Literal["python", "go", "rust", "cpp", "javascript"]
    tier: Literal["easy", "medium", "hard"]
    image: Literal["python", "go", "rust", "cpp", "node"]
    runner: Literal["pytest", "go", "cargo", "cmake", "node"]
    test_args: list[str] = Field(default_factory=list)
    test_timeout_s: int = Field(default=120, gt=0, le=3600)
    test_files: list[str] = Field(min_length=1)
    summary: str = ""

    @field_validator("test_files")
    @classmethod
    def _relative_patterns(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            if not pattern or pattern.startswith("/") or ".." in pattern.split("/"):
                raise ValueError(f"test_files pattern {pattern!r} must be a relative path")
        return patterns


def _one_line(error: ValidationError) -> str:
    """A pydantic error as ``field: message; field: message``."""
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def load_task(folder: Path, require_expected: bool = True) -> Task:
    """The task in ``folder``. Raises ConfigError (one line naming the file) if malformed,
    or if its expected tests are not recorded (unless ``require_expected`` is False: the
    task then has no expected set, for recording it)."""
    parts = (*REQUIRED_PARTS, EXPECTED_FILE) if require_expected else REQUIRED_PARTS
    missing = [part for part in parts if not (folder / part).exists()]
    if missing:
        raise ConfigError([f"bundled task {folder}: missing {', '.join(missing)}"])
    path = folder / "task.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise ConfigError([f"{path}: not valid YAML ({detail})"]) from None
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: expected a mapping of keys, got {type(data).__name__}"])
    try:
        spec = TaskSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([f"{path}: {_one_line(exc)}"]) from None
    if spec.id != folder.name:
        raise ConfigError([f"{path}: id {spec.id!r} differs from its folder {folder.name!r}"])
    if _IMAGE_OF[spec.language] != spec.image:
        raise ConfigError([f"{path}: language {spec.language} runs in image "
                           f"{_IMAGE_OF[spec.language]!r}, not {spec.image!r}"])
    if _RUNNER_OF[spec.language] != spec.runner:
        raise ConfigError([f"{path}: language {spec.language} is graded by runner "
                           f"{_RUNNER_OF[spec.language]!r}, not {spec.runner!r}"])
    expected = (read_expected(folder / EXPECTED_FILE) if (folder / EXPECTED_FILE).exists()
                else None)
    return Task(
        id=spec.id, suite="bundled", language=spec.language,
        problem=(folder / "problem.md").read_text(encoding="utf-8"),
        image=spec.image, runner=spec.runner, test_args=tuple(spec.test_args),
        expected_tests=expected,
        workspace=folder / "workspace", hidden_tests=folder / "hidden",
        solution=folder / "solution", workdir="/workspace",
        test_files=harness_patterns(spec.language, spec.test_files),
        test_timeout_s=spec.test_timeout_s,
        tier=spec.tier,
        metadata={"summary": spec.summary} if spec.summary else {},
    )


def read_expected(path: Path) -> frozenset[str]:
    """The test ids listed in ``path`` (one per line, blank lines ignored). Raises
    ConfigError when the file lists none."""
    ids = frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                    if line.strip())
    if not ids:
        raise ConfigError([f"{path}: lists no expected test (record them with "
                           "python -m cladist.evaluator.expected)"])
    return ids


class BundledSuite:
    """The tasks shipped with cladist (implements :class:`cladist.evaluator.contracts.Suite`).

    ``root`` defaults to the package data folder; tests point it at a copy. Tasks are loaded
    and validated on first use, then cached.
    """

    name = "bundled"

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else BUNDLED_ROOT
        self._tasks: dict[str, Task] | None = None

    def _load(self) -> dict[str, Task]:
        if self._tasks is None:
            if not self.root.is_dir():
                raise NotFoundError(f"bundled suite folder {self.root} does not exist")
            folders = sorted(p for p in self.root.iterdir()
                             if p.is_dir() and not p.name.startswith((".", "_")))
            tasks: dict[str, Task] = {}
            for folder in folders:
                task = load_task(folder)
                tasks[task.id] = task
            self._tasks = tasks
        return self._tasks

    def ids(self) -> list[str]:
        """Every task id, sorted."""
        return sorted(self._load())

    def tasks(self, ids: list[str] | None = None, tier: str = "all") -> list[Task]:
        """The tasks named in ``ids`` (all when None), restricted to ``tier`` unless "all".

        Raises UsageError for an unknown tier and NotFoundError for unknown ids. Order:
        ``ids`` order when given, else sorted by id.
        """
        if tier != "all" and tier not in TIERS:
            raise UsageError(f"unknown tier {tier!r} (choose one of: all, {', '.join(TIERS)})")
        known = self._load()
        if ids is None:
            chosen = [known[i] for i in sorted(known)]
        else:
            unknown = [i for i in ids if i not in known]
            if unknown:
                sample = ", ".join(sorted(known)[:5])
                raise NotFoundError(
                    f"unknown bundled task {', '.join(unknown)} "
                    f"({len(known)} known, e.g. {sample}, ...)")
            chosen = [known[i] for i in dict.fromkeys(ids)]
        return [t for t in chosen if tier == "all" or t.tier == tier]
