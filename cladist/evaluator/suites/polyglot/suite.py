"""Aider's polyglot benchmark as a suite: the user clones it and passes its path.

Layout: ``<root>/<lang>/exercises/practice/<name>/`` with ``.docs/instructions.md`` (plus
optional ``introduction.md`` and ``instructions.append.md``) and ``.meta/config.json``
listing ``files.solution``, ``files.test``, ``files.example`` (the reference solution) and,
for some exercises, ``files.editor`` (files the tests read, such as Go's ``cases_test.go``)
and ``files.invalidator`` (``go.mod``). Task ids are ``<lang>/<name>``. The agent gets the
exercise without ``.meta``, ``.docs`` and the test files; the test files are the hidden
tests; editor and invalidator files stay in the workspace for the agent to read, and like
the test files they are protected (restored before grading, left out of the patch); the
example files, moved to the solution paths, are the reference solution. Grading runs the
exercise's tests with the trusted runner of its language (pytest, ``go test -json``,
cargo, Catch2's JUnit report) and passes only when every test named in the test files is
reported passed (:mod:`cladist.evaluator.suites.polyglot.test_names`).

JavaScript runs with jest and Babel baked into the node image; Java with javac and the
JUnit console launcher from Debian in place of Gradle. Tests the exercises switch off for
students (jest's ``xtest``/``xit``/``xdescribe``, JUnit's ``@Disabled``) are switched on
in the hidden copy, as Rust's ignored tests are run and C++'s are all enabled: every test
counts. An exercise whose build names a library that must be downloaded (three Rust crates,
Java's RxJava and org.json) cannot be built offline even for its stub, and one whose tests
the student writes (go/counter) has none to grade: each is listed with the reason in
:attr:`PolyglotSuite.unsupported`, not run.
"""

from __future__ import annotations

import atexit
import json
import re
import shutil
from pathlib import Path
from typing import Any

from cladist import scratch
from cladist.errors import ConfigError, NotFoundError, UsageError
from cladist.evaluator.contracts import Task
from cladist.evaluator.patches import harness_patterns
from cladist.evaluator.suites.polyglot.test_names import expected_tests

LANGUAGES = {
    # language: (image, runner, extra test files the agent may not change)
    "python": ("python", "pytest", ()),
    "go": ("go", "go", ("go.mod",)),
    "rust": ("rust", "cargo", ("Cargo.toml",)),
    "cpp": ("cpp", "catch2", ("CMakeLists.txt", "test/*")),
    "javascript": ("node", "jest", ("package.json", "babel.config.js", ".npmrc", ".eslintrc")),
    "java": ("java", "junit", ("build.gradle", "settings.gradle", "src/test/*")),
}
NEEDS: dict[str, dict[str, Any]] = {"cpp/bank-account": {"pids": 1200}}
"""What an exercise's tests need beyond the default sandbox limits (bank-account's test
runs 1000 threads at once)."""
NAMED_TESTS = ("cpp", "go", "java", "python", "rust")
"""Languages whose test names are always read (for JavaScript, no names can mean names
that could not be read: then every reported test must pass)."""
JAVA_PROVIDED = ("org.junit", "org.assertj")
"""Maven artifacts the java image has (Debian's org.json is Android's, whose exceptions are
checked: rest-api's reference does not compile against it)."""
_SWITCHED_OFF = {
    "javascript": [(re.compile(r"\b(x)(test|it|describe)(\s*\()"), r"\2\3")],
    "java": [(re.compile(r"^[ \t]*@Disabled(\([^)]*\))?[ \t]*\n", re.M), "")],
}
DOC_FILES = ("introduction.md", "instructions.md", "instructions.append.md")


class PolyglotSuite:
    """The polyglot benchmark at ``root``. Raises NotFoundError when ``root`` holds no
    exercise, ConfigError for an exercise whose .meta/config.json is unusable."""

    name = "polyglot"

    def __init__(self, root: Path, staging: Path | None = None):
        self.root = Path(root)
        if not self.root.is_dir():
            raise NotFoundError(f"{self.root}: no polyglot benchmark here (clone "
                                "Aider-AI/polyglot-benchmark and pass its path)")
        if staging is None:  # tasks point into it: it goes when this process ends
            staging = scratch.make("polyglot")
            atexit.register(shutil.rmtree, staging, ignore_errors=True)
        self.staging = Path(staging)
        self.unsupported: dict[str, str] = {}
        self._tasks: dict[str, Task] | None = None

    def _load(self) -> dict[str, Task]:
        if self._tasks is None:
            found: dict[str, Task] = {}
            for lang_dir in sorted(p for p in self.root.iterdir() if p.is_dir()):
                practice = lang_dir / "exercises" / "practice"
                for exercise in sorted(p for p in practice.glob("*") if p.is_dir()):
                    task_id = f"{lang_dir.name}/{exercise.name}"
                    if lang_dir.name not in LANGUAGES:
                        continue
                    blocker = offline_blocker(lang_dir.name, exercise)
                    if blocker:
                        self.unsupported[task_id] = blocker
                        continue
                    task = self._task(lang_dir.name, exercise)
                    if task.expected_tests is None and task.language in NAMED_TESTS:
                        self.unsupported[task_id] = ("its test files hold no test (the "
                                                     "exercise asks for tests to be written)")
                    else:
                        found[task_id] = task
            if not found and not self.unsupported:
                raise NotFoundError(f"{self.root}: no <lang>/exercises/practice/<name>/ "
                                    "folders (is this a polyglot-benchmark clone?)")
            self._tasks = found
        return self._tasks

    def _task(self, language: str, exercise: Path) -> Task:
        config_file = exercise / ".meta" / "config.json"
        try:
            files = json.loads(config_file.read_text())["files"]
            solution, tests = _names(files, "solution"), _names(files, "test")
            example = _names(files, "example")
            read_by_tests = _names(files, "editor") + _names(files, "invalidator")
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            raise ConfigError([f"{config_file}: unusable exercise config "
                               f"({type(err).__name__}: {err})"]) from None
        task_id = f"{language}/{exercise.name}"
        stage = self.staging / language / exercise.name
        if stage.exists():
            shutil.rmtree(stage)
        skip = {".meta", ".docs", *tests}
        shutil.copytree(exercise, stage / "workspace", ignore=lambda folder, names: [
            n for n in names if (Path(folder) / n).relative_to(exercise).as_posix() in skip])
        for rel in tests:
            _copy(exercise / rel, stage / "hidden" / rel)
            _switch_on(language, stage / "hidden" / rel)
        for src, dest in _pair_examples(example, solution):
            _copy(exercise / src, stage / "solution" / dest)
        image, runner, extra = LANGUAGES[language]
        args = {"python": tuple(tests), "rust": ("--include-ignored",),
                "cpp": (exercise.name,), "javascript": tuple(tests)}.get(language, ())
        docs = [exercise / ".docs" / name for name in DOC_FILES]
        problem = "\n\n".join(p.read_text() for p in docs if p.is_file())
        problem += ("\n\n## Files\n\nUse the above instructions to modify the supplied files: "
                    f"{', '.join(solution)}. Keep the existing function and class names; "
                    "only use standard libraries.")
        return Task(id=task_id, suite=self.name, language=language,  # type: ignore[arg-type]
                    problem=problem, image=image, runner=runner, test_args=args,
                    expected_tests=expected_tests(language, exercise, tests),
                    workspace=stage / "workspace", hidden_tests=stage / "hidden",
                    solution=stage / "solution" if example else None,
                    test_files=harness_patterns(language, (*tests, *read_by_tests, *extra)),
                    test_timeout_s=180, tier="medium", **NEEDS.get(task_id, {}),
                    metadata={"exercise": str(exercise),
                              **_reference_needs(language, exercise)})

    def tasks(self, ids: list[str] | None = None, tier: str = "all") -> list[Task]:
        """The exercises named in ``ids`` (``lang/name``; all when None). Polyglot has no
        tiers: ``tier`` must be all (or medium, which every exercise is). Raises
        NotFoundError for unknown or unsupported ids, UsageError for another tier."""
        if tier not in ("all", "medium"):
            raise UsageError(f"tier {tier!r}: polyglot exercises have no tiers (use all)")
        known = self._load()
        if ids is None:
            return [known[i] for i in sorted(known)]
        for task_id in ids:
            if task_id in self.unsupported:
                raise NotFoundError(f"polyglot task {task_id}: not graded "
                                    f"({self.unsupported[task_id]})")
            if task_id not in known:
                sample = ", ".join(sorted(known)[:4])
                raise NotFoundError(f"polyglot task {task_id!r}: unknown (ids look like "
                                    f"{sample})")
        return [known[i] for i in dict.fromkeys(ids)]


def offline_blocker(language: str, exercise: Path) -> str | None:
    """Why ``exercise`` cannot be built without the network (a library its protected build
    file names that no image has), or None."""
    if language == "rust" and (crates := _crates(exercise / "Cargo.toml")):
        return f"its Cargo.toml needs crates.io ({', '.join(crates)})"
    if language == "java" and (exercise / "build.gradle").is_file():
        wanted = re.findall(r"""^\s*(?:implementation|testImplementation)\s*\(?\s*["']"""
                            r"""([^"':]+:[^"':]+)""",
                            (exercise / "build.gradle").read_text(errors="replace"), re.M)
        missing = [w for w in wanted if not w.startswith(JAVA_PROVIDED)]
        if missing:
            return f"its build.gradle needs Maven Central ({', '.join(missing)})"
    return None


def _reference_needs(language: str, exercise: Path) -> dict[str, str]:
    """``{"reference_needs": why}`` when the reference solution (not the task) needs a
    download: a Rust example whose ``.meta/Cargo-example.toml`` names crates."""
    if language == "rust" and (crates := _crates(exercise / ".meta" / "Cargo-example.toml")):
        return {"reference_needs": f"crates.io ({', '.join(crates)})"}
    return {}


def _crates(cargo_toml: Path) -> list[str]:
    """The crates a Cargo.toml's ``[dependencies]`` names (none when it is missing)."""
    if not cargo_toml.is_file():
        return []
    section = re.search(r"^\[dependencies\]\s*\n(.*?)(?=^\[|\Z)",
                        cargo_toml.read_text(errors="replace"), re.M | re.S)
    return re.findall(r"^\s*([\w-]+)\s*=", section.group(1), re.M) if section else []


def _switch_on(language: str, path: Path) -> None:
    """Turn on the tests ``path`` switches off for students (xtest, @Disabled)."""
    rules = _SWITCHED_OFF.get(language)
    if rules and path.is_file():
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern, replacement in rules:
            text = pattern.sub(replacement, text)
        path.write_text(text, encoding="utf-8")


def _pair_examples(example: list[str], solution: list[str]) -> list[tuple[str, str]]:
    """Where each example file goes in the solution: the solution file of the same name
    (Java's ``.meta/src/reference/java/Bowling.java`` -> ``src/main/java/Bowling.java``),
    else the one solution file with its extension when it is the only example with it
    (``.meta/example.h`` -> ``two_fer.h``), else the solution file at its position when
    there are as many of each, else beside the first solution file under its own name
    (a helper class of a Java reference)."""
    pairs = []
    for i, src in enumerate(example):
        suffix, name = Path(src).suffix, Path(src).name
        same_name = [s for s in solution if Path(s).name == name]
        same_suffix = [s for s in solution if Path(s).suffix == suffix]
        alone = sum(Path(e).suffix == suffix for e in example) == 1
        if same_name:
            pairs.append((src, same_name[0]))
        elif len(same_suffix) == 1 and alone:
            pairs.append((src, same_suffix[0]))
        elif len(example) == len(solution):
            pairs.append((src, solution[i]))
        elif solution:
            pairs.append((src, (Path(solution[0]).parent / name).as_posix()))
    return pairs


def _names(files: dict, key: str) -> list[str]:
    """The relative paths ``files[key]`` lists (none when absent). Raises KeyError for a
    missing solution or test list, TypeError when the entry is not a list of strings."""
    names = files[key] if key in ("solution", "test") else files.get(key, [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise TypeError(f"files.{key} must be a list of paths")
    return names


def _copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dest)
