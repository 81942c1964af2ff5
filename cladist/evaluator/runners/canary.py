"""Canary tests: at grading, a test that always fails is added to each hidden test file
whose results come back through the process that runs the code under test (Go, Rust, C++,
JavaScript, Java; pytest's report is signed instead). Where the framework has its own
assertions (jest's ``expect``, JUnit's ``Assertions``) the canary fails through them, so
code that disarms the assertions passes the canary too and is caught. Code that makes the
runner's report say "passed" for every test it can find (printing ``--- PASS`` lines,
writing the report file, then exiting) claims the canary too, and code that leaves it out
of a complete report drops a test that ran: either way
:func:`~cladist.evaluator.testreport.judge` fails it.
Names are random per grading, so no agent can learn them from earlier test output.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

_GO_PACKAGE = re.compile(r"^package\s+\w+", re.M)


def _go(text: str, name: str) -> tuple[str, str] | None:
    if not _GO_PACKAGE.search(text) or '"testing"' not in text:
        return None
    test = f"Test{name.capitalize()}"
    return (f'\n\nfunc {test}(t *testing.T) {{\n\tif len("{name}") > 0 {{\n'
            f'\t\tt.Fatal("cladist canary")\n\t}}\n}}\n', test)


def _rust(text: str, name: str) -> tuple[str, str] | None:
    return (f'\n\n#[test]\nfn {name}() {{\n    assert_eq!("{name}".len(), 0, '
            '"cladist canary");\n}\n', name)


def _node(text: str, name: str) -> tuple[str, str] | None:
    if "require(" not in text:  # an ES module: no canary rather than a broken file
        return None
    return (f"\n;require('node:test')('{name}', () => {{\n"
            f"  if ('{name}'.length > 0) throw new Error('cladist canary');\n}});\n", name)


def _check_harness(text: str, name: str) -> tuple[str, str] | None:
    if "static void record(bool ok, int line, const char* text)" not in text:
        return None
    return (f'\n\nstatic const bool {name} = (record(sizeof("{name}") == 0, 0, "{name}"), '
            "true);\n", f"line 0: {name}")


def _catch2(text: str, name: str) -> tuple[str, str] | None:
    if "TEST_CASE" not in text:
        return None
    return (f'\n\nTEST_CASE("{name}") {{\n    REQUIRE(sizeof("{name}") == 0);\n}}\n', name)


def _jest(text: str, name: str) -> tuple[str, str] | None:
    if not re.search(r"\b(describe|x?test|x?it)\s*\(", text):
        return None
    return (f"\n;test('{name}', () => {{\n  expect('{name}'.length).toBe(0);\n}});\n", name)


def _junit(text: str, name: str, stem: str) -> tuple[str, str] | None:
    """Inserted before the last ``}`` of a file declaring class ``stem`` with tests."""
    end = text.rfind("}")
    if "@Test" not in text or not re.search(rf"\bclass\s+{re.escape(stem)}\b", text) \
            or end < 0:
        return None
    method = (f"\n    @org.junit.jupiter.api.Test\n    public void {name}() {{\n"
              f'        org.junit.jupiter.api.Assertions.assertEquals(0, "{name}".length());\n'
              "    }\n")
    return text[:end] + method + text[end:], f"{stem}.{name}"


Writer = Callable[[str, str, str], "tuple[str, str] | None"]
"""(file text, canary name, file stem) -> (new file text, canary test id), or None when
the file is not one the canary fits in."""


def _appending(make: Callable[[str, str], tuple[str, str] | None]) -> Writer:
    def write(text: str, name: str, stem: str) -> tuple[str, str] | None:
        made = make(text, name)
        return None if made is None else (text + made[0], made[1])
    return write


_WRITERS: dict[str, tuple[Writer, tuple[str, ...]]] = {
    "go": (_appending(_go), ("_test.go",)),
    "cargo": (_appending(_rust), (".rs",)),
    "node": (_appending(_node), (".js", ".cjs")),
    "cmake": (_appending(_check_harness), (".cpp", ".cc")),
    "catch2": (_appending(_catch2), ("_test.cpp", "_test.cc")),
    "jest": (_appending(_jest), (".js", ".mjs", ".cjs")),
    "junit": (_junit, ("Test.java",)),
}


def add_canaries(runner: str, tree: Path, hidden: Iterable[str]) -> frozenset[str]:
    """Add a canary to every file of ``hidden`` (paths relative to ``tree``) that the
    runner compiles or loads as tests; returns the canaries' test ids (empty for runners
    that need none)."""
    if runner not in _WRITERS:
        return frozenset()
    write, suffixes = _WRITERS[runner]
    ids = set()
    for rel in sorted(hidden):
        path = Path(tree) / rel
        if not rel.endswith(suffixes) or path.is_symlink() or not path.is_file():
            continue
        if runner == "cargo" and not rel.startswith("tests/"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        made = write(text, f"k{secrets.token_hex(6)}", Path(rel).stem)
        if made is not None:
            path.write_text(made[0], encoding="utf-8")
            ids.add(made[1])
    return frozenset(ids)
