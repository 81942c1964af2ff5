"""The pieces Polyglot grading is made of, on hand-made inputs: the static reading of jest
and Rust test names, the jest, JUnit, cargo and Catch2 report parsers, and the canaries
they get. (Graded for real in Docker by test_polyglot.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from cladist.evaluator.runners.canary import add_canaries
from cladist.evaluator.runners.cpp import Catch2Runner
from cladist.evaluator.runners.jest import JestRunner, jest_config
from cladist.evaluator.runners.junit import JUnitRunner
from cladist.evaluator.runners.rust import CargoRunner
from cladist.evaluator.suites.polyglot.js_names import jest_test_names
from cladist.evaluator.suites.polyglot.rust_names import rust_test_names
from cladist.evaluator.suites.polyglot.test_names import expected_tests
from cladist.evaluator.testreport import judge
from cladist.sandbox.contract import ExecResult

NESTED = r"""
import { f } from './f';
// test('commented out', () => {});
/* describe('block comment', () => { test('no', () => {}); }); */
describe('outer', () => {
  const re = /test\('not a test'\)/g;
  const s = "it('not a test either')";
  test('plain', () => { expect(f(`${1} test('x')`)).toMatch(/a/); });
  describe("inner \"quoted\"", () => {
    xit('it\'s switched off', () => {});
    test.skip('skipped', () => {});
  });
  xtest('after the inner one', () => {});
});
it('top level', () => {});
"""


def test_jest_names_follow_nesting_and_skip_what_is_not_code() -> None:
    assert jest_test_names(NESTED) == {
        "outer > plain", 'outer > inner "quoted" > it\'s switched off',
        "outer > after the inner one", "top level"}


@pytest.mark.parametrize("source", [
    "test.each([[1], [2]])('n %i', (n) => {});",
    "const name = 'x';\ntest(name, () => {});",
    "test(`computed ${1}`, () => {});",
    "describe.only('x', () => { test('y', () => {}); });",
    "test('unterminated, () => {});",
])
def test_jest_files_whose_tests_cannot_all_be_named_give_none(source: str) -> None:
    assert jest_test_names(source) is None


def result(out: str = "") -> ExecResult:
    return ExecResult(returncode=1, stdout=out.encode(), stderr=b"")


def test_the_jest_report_names_tests_and_counts_a_file_that_could_not_run() -> None:
    lines = [
        '{"type":"test","name":"outer > a","status":"passed"}',
        '{"type":"test","name":"outer > b","status":"failed"}',
        '{"type":"test","name":"outer > c","status":"pending"}',
        '{"type":"file-error","file":"/workspace/x.spec.js"}',
        "not json",
        '{"type":"cladist:end"}',
        '{"type":"test","name":"after the end","status":"passed"}',
    ]
    report = JestRunner().parse("\n".join(lines).encode(), result(), "")
    assert report.complete
    assert report.outcomes == {"outer > a": "passed", "outer > b": "failed",
                               "outer > c": "skipped",
                               "/workspace/x.spec.js (could not run)": "failed"}
    cut = JestRunner().parse("\n".join(lines[:2]).encode(), result(), "")
    assert not cut.complete
    assert JestRunner().parse(None, result(), "").problem


def test_jest_is_configured_by_cladist_alone() -> None:
    config = jest_config()
    transform = next(iter(config["transform"].values()))
    assert transform[0].startswith("/opt/cladist-js/") and transform[1]["babelrc"] is False
    assert transform[1]["configFile"] is False
    assert config["testRunner"].startswith("/opt/cladist-js/")
    assert config["testEnvironment"].startswith("/opt/cladist-js/")
    command = JestRunner().command(type("T", (), {"test_args": ("a.spec.js",)})())
    assert command.startswith("rm -rf node_modules && ") and "--config" in command


JUNIT_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="JUnit Jupiter" tests="4">
  <testcase name="testA()" classname="LeapTest"/>
  <testcase name="testB()" classname="LeapTest"><failure message="no"/></testcase>
  <testcase name="testC()" classname="LeapTest"><error message="boom"/></testcase>
  <testcase name="testD()" classname="LeapTest"><skipped/></testcase>
</testsuite>"""


def test_the_junit_report_gives_class_dot_method() -> None:
    report = JUnitRunner().parse(JUNIT_XML, result(), "")
    assert report.complete
    assert report.outcomes == {"LeapTest.testA": "passed", "LeapTest.testB": "failed",
                               "LeapTest.testC": "failed", "LeapTest.testD": "skipped"}
    assert JUnitRunner().parse(b"<testsuite", result(), "").problem
    assert JUnitRunner().parse(None, result(), "").problem


def test_java_and_jest_canaries_sit_where_their_runner_finds_them(tmp_path: Path) -> None:
    java = tmp_path / "src/test/java/LeapTest.java"
    java.parent.mkdir(parents=True)
    java.write_text("public class LeapTest {\n    @Test\n    public void a() {}\n}\n")
    helper = tmp_path / "src/test/java/LocaleExtension.java"
    helper.write_text("public class LocaleExtension {}\n")
    (ids,) = [add_canaries("junit", tmp_path, ["src/test/java/LeapTest.java",
                                                "src/test/java/LocaleExtension.java"])]
    (canary,) = ids
    assert canary.startswith("LeapTest.k")
    text = java.read_text()
    method = canary.split(".")[1]
    assert text.index(f"void {method}()") < text.rindex("}")  # inside the class
    assert "Assertions.assertEquals" in text
    assert helper.read_text() == "public class LocaleExtension {}\n"  # no tests: untouched
    spec = tmp_path / "leap.spec.js"
    spec.write_text("describe('x', () => { test('y', () => {}); });\n")
    (jest_canary,) = add_canaries("jest", tmp_path, ["leap.spec.js"])
    assert f"test('{jest_canary}'" in spec.read_text() and "expect(" in spec.read_text()
    # a report claiming the canary passed is forged
    forged = JUnitRunner().parse(
        f'<testsuite><testcase name="a()" classname="LeapTest"/><testcase name="{method}()"'
        ' classname="LeapTest"/></testsuite>'.encode(), result(), "")
    assert "canary" in (judge(forged, frozenset({"LeapTest.a"}), ids).reason or "")


RUST = r'''
#[cfg(feature = "io")]
use std::io::Read;

#[test]
fn top() { let s = "}"; let c = '}'; }

/* #[test] fn commented() {} */
#[test]
#[ignore]
fn ignored_counts_too<'a>() {}

mod outer {
    #[test]
    fn one() {}

    mod inner {
        #[test]
        fn two() { let r = r#"mod x { #[test] fn no() {} }"#; }
    }

    #[cfg(feature = "advanced")]
    mod gated {
        #[test]
        fn not_built() {}
    }
}

#[cfg(feature = "advanced")]
#[test]
fn also_not_built() {}

#[test]
fn after() {}
'''


def test_rust_names_carry_their_modules_and_leave_feature_gated_tests_out() -> None:
    assert rust_test_names(RUST) == {"top", "ignored_counts_too", "outer::one",
                                     "outer::inner::two", "after"}


def test_cargo_reads_doc_test_lines_with_spaces_in_their_names() -> None:
    text = ("     Running tests/react.rs (target/debug/deps/react-1)\n"
            "test a ... ok\n"
            "test result: ok. 1 passed; 0 failed; 0 ignored\n"
            "   Doc-tests react\n"
            "test src/lib.rs - ComputeCellId (line 10) - compile fail ... ok\n"
            "test result: ok. 1 passed; 0 failed; 0 ignored\n")
    report = CargoRunner().parse(text.encode(), result(), "")
    assert report.complete
    assert report.outcomes["src/lib.rs - ComputeCellId (line 10) - compile fail"] == "passed"


def test_catch2_sections_count_for_their_test_case() -> None:
    xml = (b'<testsuites><testsuite name="x">'
           b'<testcase classname="x.global" name="drinks_water/Drinks water"/>'
           b'<testcase classname="x.global" name="owns_zebra/Owns zebra">'
           b'<failure message="no"/></testcase>'
           b'<testcase classname="x.global" name="push/pop at the end"/>'
           b'</testsuite></testsuites>')
    outcomes = Catch2Runner().parse(xml, result(), "").outcomes
    assert outcomes["drinks_water"] == "passed" and outcomes["owns_zebra"] == "failed"
    assert outcomes["push/pop at the end"] == "passed"  # a name with a slash is whole too


def test_benchmark_only_catch2_tests_are_not_expected(tmp_path: Path) -> None:
    (tmp_path / "x_test.cpp").write_text(
        'TEST_CASE("real") {}\n#if defined(EXERCISM_INCLUDE_BENCHMARK)\n'
        'TEST_CASE("benchmark") {}\n#endif\nTEST_CASE("after") {}\n')
    assert expected_tests("cpp", tmp_path, ["x_test.cpp"]) == {"real", "after"}
