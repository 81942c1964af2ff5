"""JUnit 5 for Polyglot's Java exercises without Gradle: javac and the JUnit platform
console launcher from Debian's packages (the java image), the launcher's XML report as the
report. Equivalent to the exercises' ``gradle test`` (``useJUnitPlatform()``, with JUnit
Jupiter and AssertJ on the test class path)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from cladist.evaluator.runners.base import HARNESS_DIR, REPORT, junit_report
from cladist.evaluator.testreport import TestReport

if TYPE_CHECKING:
    from cladist.evaluator.contracts import Task
    from cladist.sandbox.contract import ExecResult

JARS = "/usr/share/java"
LIBRARIES = ("junit-jupiter-api", "junit-jupiter-engine", "junit-jupiter-params",
             "junit-platform-commons", "junit-platform-engine", "opentest4j",
             "apiguardian-api", "assertj-core")
"""What the exercises compile and run against."""
BUILD = f"{HARNESS_DIR}/java"


class JUnitRunner:
    """Compile every ``.java`` file under ``src/main/java`` and ``src/test/java`` (no
    resources, so no service files or ``junit-platform.properties`` of the agent's) into
    cladist's build dir, then run every test class found there with the console launcher.
    Test ids are ``Class.method``; the report is complete when the launcher wrote its XML
    (at the end of the run)."""

    name = "junit"
    needs_docker: str | None = (
        "Polyglot Java is graded with the JUnit of the java image")
    probe = f"javac -version && test -f {JARS}/junit-platform-console-standalone.jar"

    def command(self, task: Task) -> str:
        """javac, then the launcher with its XML reports, copied to the report path."""
        classpath = ":".join(f"{JARS}/{jar}.jar" for jar in LIBRARIES)
        return (f"rm -rf {BUILD} && mkdir -p {BUILD}/classes && "
                f"find src/main/java src/test/java -type f -name '*.java' > {BUILD}/sources; "
                f"javac -encoding UTF-8 -nowarn -d {BUILD}/classes -cp {classpath} "
                f"@{BUILD}/sources && "
                f"java -Xss16m -jar {JARS}/junit-platform-console-standalone.jar "
                f"--class-path {BUILD}/classes:{classpath} --scan-class-path {BUILD}/classes "
                f"--reports-dir {BUILD}/reports --disable-banner --details=tree; "
                f"cp {BUILD}/reports/TEST-junit-jupiter.xml {REPORT}")

    def env(self) -> Mapping[str, str]:
        """No JVM options or class path from the environment."""
        return {"JAVA_TOOL_OPTIONS": "", "JDK_JAVA_OPTIONS": "", "_JAVA_OPTIONS": "",
                "CLASSPATH": ""}

    def stdin(self, key: str) -> None:
        """The tests read nothing."""
        return None

    def parse(self, report: bytes | None, result: ExecResult, key: str) -> TestReport:
        """``<testcase classname name>`` entries: failed with a failure or error, skipped
        with skipped, else passed."""
        return junit_report(report, result,
                            lambda classname, name: [f"{classname}.{name.removesuffix('()')}"])
