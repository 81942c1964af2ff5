"""The tests an Exercism exercise expects to pass, read from its test files: the ids the
trusted runner of its language reports (pytest node ids, Go test names, libtest names,
Catch2 test case names, jest's describe > test titles, JUnit's ``Class.method``).
Parsing is static and conservative; an exercise whose tests cannot be read gets no
expected set (then every reported test must pass, and one must run).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from cladist.evaluator.suites.polyglot.js_names import jest_test_names
from cladist.evaluator.suites.polyglot.rust_names import rust_test_names

_GO_TEST = re.compile(r"^func (Test\w+)\(\s*\w+\s+\*testing\.T\s*\)", re.M)
_CATCH = re.compile(r'\bTEST_CASE\s*\(\s*"((?:[^"\\]|\\.)*)"')
_BENCHMARK_ONLY = re.compile(r"^#if(?:def\s+| defined\()EXERCISM_INCLUDE_BENCHMARK.*?^#endif",
                            re.M | re.S)
_JUNIT = re.compile(r"@Test\b(?:\s*@\w+(?:\([^)]*\))?)*\s*(?:(?:public|protected|private|static|"
                    r"final)\s+)*void\s+(\w+)\s*\(")


def expected_tests(language: str, exercise: Path, test_files: list[str]) -> frozenset[str] | None:
    """The expected test ids of ``exercise`` in ``language``, or None when none are found."""
    found: set[str] = set()
    for rel in test_files:
        path = exercise / rel
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if language == "python":
            found |= _python(rel, text)
        elif language == "go":
            found |= set(_GO_TEST.findall(text))
        elif language == "rust":
            found |= rust_test_names(text)
        elif language == "cpp":
            text = _BENCHMARK_ONLY.sub("", text)  # built only with EXERCISM_INCLUDE_BENCHMARK
            found |= {bytes(n, "utf-8").decode("unicode_escape") for n in _CATCH.findall(text)}
        elif language == "javascript":
            names = jest_test_names(text)
            if names is None:  # a partial set would let the unnamed tests fail unseen
                return None
            found |= names
        elif language == "java":
            found |= {f"{path.stem}.{name}" for name in _JUNIT.findall(text)}
    return frozenset(found) or None


def _python(rel: str, text: str) -> set[str]:
    """pytest node ids of the test functions and TestCase methods of one module."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return set()
    ids = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and \
                node.name.startswith("test"):
            ids.add(f"{rel}::{node.name}")
        elif isinstance(node, ast.ClassDef):
            ids |= {f"{rel}::{node.name}::{item.name}" for item in node.body
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                    and item.name.startswith("test")}
    return ids
