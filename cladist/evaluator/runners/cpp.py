"""C++ test binaries built with CMake outside the workspace: cladist's bundled CHECK
harness (a line per check, then ``END``) and Catch2's JUnit reporter (Polyglot)."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING

from cladist.evaluator.runners.base import HARNESS_DIR, REPORT, junit_report, missing_report
from cladist.evaluator.testreport import Outcome, TestReport

if TYPE_CHECKING:
    from cladist.evaluator.contracts import Task
    from cladist.sandbox.contract import ExecResult

BUILD = f"{HARNESS_DIR}/build"
_ENV = {"CXXFLAGS": "", "CFLAGS": "", "LDFLAGS": "", "CPATH": "", "LIBRARY_PATH": "",
        "CPLUS_INCLUDE_PATH": "", "LD_PRELOAD": "", "CMAKE_BUILD_PARALLEL_LEVEL": "2"}


def _build(source: str, *defines: str) -> str:
    flags = " ".join(shlex.quote(f"-D{d}") for d in defines)
    return (f"cmake -S {source} -B {BUILD} -DCMAKE_BUILD_TYPE=Release {flags} >/dev/null && "
            f"cmake --build {BUILD}")


class CMakeRunner:
    """The bundled C++ tasks: build with CMake in cladist's build dir, run the test binary
    (``test_args[0]``, default ``run_tests``) with the report path. Each check is a test;
    the report is complete once the binary wrote ``END`` after its checks."""

    name = "cmake"
    needs_docker: str | None = None
    probe = "cmake --version && c++ --version"

    def command(self, task: Task) -> str:
        """Build, then run the test binary with the report path."""
        binary = shlex.quote(f"{BUILD}/{(task.test_args or ('run_tests',))[0]}")
        return f"{_build('.')} && {binary} {REPORT}"

    def env(self) -> Mapping[str, str]:
        """No compiler or linker settings from the environment."""
        return dict(_ENV)

    def stdin(self, key: str) -> None:
        """The test binary reads nothing."""
        return None

    def parse(self, report: bytes | None, result: ExecResult, key: str) -> TestReport:
        """``PASS id`` / ``FAIL id`` lines, complete at ``END``."""
        if report is None:
            return missing_report(result)
        pairs: list[tuple[str, Outcome]] = []
        complete = False
        for line in report.decode("utf-8", "replace").splitlines():
            word, _, name = line.partition(" ")
            if word in ("PASS", "FAIL") and name and not complete:
                pairs.append((name, "passed" if word == "PASS" else "failed"))
            elif line == "END":
                complete = True
        return TestReport(TestReport.merge(pairs), complete, None,
                          (result.out + result.err)[-64_000:])


class Catch2Runner:
    """Exercism C++ exercises (Catch2 v2): build with ``EXERCISM_RUN_ALL_TESTS`` in
    cladist's build dir, then run the exercise binary with Catch2's JUnit reporter writing
    the report. Test ids are test case names. The exercises' CMakeLists take the exercise
    name from their folder's name, so the build reads the workspace through a link named
    after the exercise (``test_args[0]``), which is also the binary's name."""

    name = "catch2"
    needs_docker: str | None = None
    probe = "cmake --version && c++ --version"

    def command(self, task: Task) -> str:
        """Build, then run the binary with ``-r junit -o REPORT``."""
        name = task.test_args[0]
        source = shlex.quote(f"{HARNESS_DIR}/src/{name}")
        binary = shlex.quote(f"{BUILD}/{name}")
        return (f"mkdir -p {HARNESS_DIR}/src && ln -sfn \"$PWD\" {source} && "
                f"{{ {_build(source, 'EXERCISM_RUN_ALL_TESTS=1')} ; }} ; "
                f"{binary} --reporter junit --out {REPORT}")

    def env(self) -> Mapping[str, str]:
        """No compiler or linker settings from the environment."""
        return dict(_ENV)

    def stdin(self, key: str) -> None:
        """The test binary reads nothing."""
        return None

    def parse(self, report: bytes | None, result: ExecResult, key: str) -> TestReport:
        """JUnit test cases; complete when the XML is whole (Catch2 writes it at the end).
        Catch2 names a test case with sections ``case/section``: each such entry also
        counts for every ``/``-prefix of its name (the case's own id, as its TEST_CASE
        names it), keeping the worst outcome."""
        def prefixes(classname: str, name: str) -> list[str]:
            parts = name.split("/")
            return ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]

        return junit_report(report, result, prefixes)
