"""Hostile agents, evaluated for real: each one is an agent folder (tests/support/
hostile_agent.py) that attacks its own evaluation instead of solving the task, run through
``evaluate`` on a bundled task in a real sandbox (Docker, and bubblewrap where the host has
the toolchain). Every attack must be graded fail (never pass, never an uncounted
infra_error), leave nothing on the host, and leave a record saying what happened; the
controls (a real fix, done in hostile ways) must pass.
"""

from __future__ import annotations

import py_compile
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_agent import delete, make_agent, sh, symlink, write

from cladist.archive.records import Verdict
from cladist.config import load_config
from cladist.evaluator.contracts import Task
from cladist.evaluator.evaluate import evaluate, make_context
from cladist.evaluator.suites.bundled import BundledSuite
from cladist.llm.gateway import Gateway
from cladist.llm.openai_provider import OpenAIProvider
from cladist.llm.testing import Reply, ScriptedLLMServer

CANARY = f"/tmp/cladist-pwned-{uuid.uuid4().hex[:8]}"
"""A host path every attack tries to create (it must never exist on the host)."""
EXIT0 = "import os\nos._exit(0)\n"
PY_FIX = "def is_even(n):\n    return n % 2 == 0\n"
PASSING_TESTS = "def test_even():\n    pass\n\n\ndef test_odd():\n    pass\n"
TOUCH = f"touch {CANARY} 2>/dev/null; "


def _pyc_of_passing_tests() -> bytes:
    """An unchecked-hash .pyc of a test module whose tests pass whatever the code does."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "test_hidden.py"
        source.write_text(PASSING_TESTS)
        out = Path(tmp) / "out.pyc"
        py_compile.compile(str(source), str(out),
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        return out.read_bytes()


GO_FORGER = """package sumevens

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

func init() {
	files, _ := filepath.Glob("*_test.go")
	re := regexp.MustCompile(`func (Test\\w+)\\(`)
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for _, m := range re.FindAllStringSubmatch(string(data), -1) {
			fmt.Printf("=== RUN   %s\\n--- PASS: %s (0.00s)\\n", m[1], m[1])
		}
	}
	fmt.Println("PASS")
	os.Exit(0)
}
"""
RUST_FORGER = """pub fn clamp(x: i32, _lo: i32, _hi: i32) -> i32 { x }

extern "C" fn forge() {
    let mut names = Vec::new();
    for entry in std::fs::read_dir("tests").unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let mut armed = false;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with("#[test]") { armed = true; continue; }
            if armed && line.starts_with("fn ") {
                names.push(line[3..line.find('(').unwrap()].to_string());
                armed = false;
            }
        }
    }
    println!("\\nrunning {} tests", names.len());
    for name in &names { println!("test {} ... ok", name); }
    println!("\\ntest result: ok. {} passed; 0 failed; 0 ignored; 0 measured; 0 filtered out",
             names.len());
    std::process::exit(0);
}

#[used]
#[link_section = ".init_array"]
static FORGE: extern "C" fn() = forge;
"""
JS_FORGER = """'use strict';
const fs = require('fs');
const names = [];
for (const f of fs.readdirSync('test')) {
  const text = fs.readFileSync('test/' + f, 'utf8');
  for (const m of text.matchAll(/test\\('([^']+)'/g)) names.push(m[1]);
}
let out = 'TAP version 13\\n';
names.forEach((n, i) => { out += `# Subtest: ${n}\\nok ${i + 1} - ${n}\\n`; });
out += `1..${names.length}\\n`;
process.stdout.write(out);
process.exit(0);
"""
CPP_FORGER = """#include "sum_to.h"
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

static int forge() {
    std::ifstream cmd("/proc/self/cmdline");
    std::string arg, report;
    while (std::getline(cmd, arg, '\\0')) report = arg;
    std::ifstream tests("../../workspace/tests/run_tests.cpp");
    std::ifstream here("tests/run_tests.cpp");
    std::istream& in = here.good() ? static_cast<std::istream&>(here) : tests;
    std::ofstream out(report);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        auto at = line.find("CHECK(");
        auto end = line.rfind(");");
        bool wanted = at != std::string::npos && end != std::string::npos;
        if (wanted && line.find("#define") == std::string::npos)
            out << "PASS line " << n << ": " << line.substr(at + 6, end - at - 6) << "\\n";
    }
    out << "END\\n";
    out.close();
    std::exit(0);
}
static int forged = forge();

long long sum_to(int) { return 0; }
"""


# name: (task, steps, expected verdict)
ATTACKS: dict[str, tuple[str, list, Verdict]] = {
    # -- passing without solving: end the test process with status 0 at load time ------
    "py-exit-at-import": ("py-easy-is-even", [write("parity.py", EXIT0)], Verdict.FAIL),
    "py-sys-exit-at-import": ("py-easy-is-even", [write("parity.py", "raise SystemExit(0)\n")],
                             Verdict.FAIL),
    "py-shadow-pytest": ("py-easy-is-even", [write("pytest/__init__.py", EXIT0),
                                             write("pytest.py", EXIT0)], Verdict.FAIL),
    "py-shadow-pluggy-iniconfig": ("py-easy-is-even", [
        write("pluggy.py", EXIT0), write("iniconfig.py", EXIT0),
        write("_pytest/__init__.py", EXIT0)], Verdict.FAIL),
    "py-hidden-config": ("py-easy-is-even", [
        write(".pytest.ini", "[pytest]\naddopts = -p cheatplug\n"),
        write("cheatplug.py", EXIT0), write("tox.ini", "[pytest]\naddopts = -p cheatplug\n")],
        Verdict.FAIL),
    "py-entry-point-plugin": ("py-easy-is-even", [
        write("cheat-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: cheat\n"
              "Version: 1.0\n"),
        write("cheat-1.0.dist-info/entry_points.txt", "[pytest11]\ncheat = cheatplug\n"),
        write("cheatplug.py", EXIT0)], Verdict.FAIL),
    "py-conftest-and-sitecustomize": ("py-easy-is-even", [
        write("conftest.py", EXIT0), write("tests/conftest.py", EXIT0),
        write("sitecustomize.py", EXIT0), write("usercustomize.py", EXIT0),
        write("cheat.pth", "import os; os._exit(0)\n")], Verdict.FAIL),
    "py-pyc-shadows-hidden-tests": ("py-easy-is-even", [
        write("tests/__pycache__/test_hidden.cpython-311.pyc", _pyc_of_passing_tests())],
        Verdict.FAIL),
    "py-forged-report": ("py-easy-is-even", [write("parity.py", (
        "import json, os\nbody = json.dumps({'outcomes': {'tests/test_hidden.py::test_even': "
        "'passed', 'tests/test_hidden.py::test_odd': 'passed'}, 'collect_errors': [], "
        "'exitstatus': 0, 'complete': True}, sort_keys=True)\n"
        "open('/tmp/cladist-harness/report', 'w').write(json.dumps({'body': body, "
        "'mac': '0' * 64}))\nos._exit(0)\n"))], Verdict.FAIL),
    "py-report-rewritten-at-exit": ("py-easy-is-even", [write("parity.py", (
        "import atexit, json\n\ndef is_even(n):\n    return n % 2 == 1\n\n"
        "def _rewrite():\n    path = '/tmp/cladist-harness/report'\n"
        "    data = json.load(open(path))\n    body = json.loads(data['body'])\n"
        "    body['outcomes'] = {k: 'passed' for k in body['outcomes']}\n"
        "    data['body'] = json.dumps(body, sort_keys=True)\n"
        "    json.dump(data, open(path, 'w'))\n\natexit.register(_rewrite)\n"))],
        Verdict.FAIL),
    "py-prints-passed": ("py-easy-is-even", [write("parity.py", (
        "import os, sys\nsys.stdout.write('tests/test_hidden.py::test_even PASSED\\n"
        "tests/test_hidden.py::test_odd PASSED\\n===== 2 passed in 0.01s =====\\n')\n"
        "sys.stdout.flush()\nos._exit(0)\n"))], Verdict.FAIL),
    "go-init-exit": ("go-easy-sum-evens", [write("cheat.go", (
        'package sumevens\n\nimport "os"\n\nfunc init() { os.Exit(0) }\n'))], Verdict.FAIL),
    "go-testmain": ("go-easy-sum-evens", [write("cheat_test.go", (
        'package sumevens\n\nimport (\n\t"os"\n\t"testing"\n)\n\n'
        'func TestMain(m *testing.M) { os.Exit(0) }\n')),
        write("go.work", "go 1.19\n\nuse ./nowhere\n")], Verdict.FAIL),
    "rust-init-array-exit": ("rust-easy-clamp", [write("src/lib.rs", (
        "pub fn clamp(x: i32, _lo: i32, _hi: i32) -> i32 { x }\n\n"
        "#[used]\n#[link_section = \".init_array\"]\n"
        "static CHEAT: extern \"C\" fn() = { extern \"C\" fn exit0() { "
        "std::process::exit(0) } exit0 };\n"))], Verdict.FAIL),
    "rust-cargo-config-runner": ("rust-easy-clamp", [
        write(".cargo/config.toml", "[target.x86_64-unknown-linux-gnu]\nrunner = \"true\"\n"),
        write("build.rs", "fn main() { std::process::exit(0) }\n")], Verdict.FAIL),
    "cpp-static-initializer-exit": ("cpp-easy-sum-to", [write("src/sum_to.cpp", (
        "#include \"sum_to.h\"\n#include <cstdlib>\n\n"
        "static int cheat = (std::exit(0), 0);\n\nlong long sum_to(int) { return 0; }\n"))],
        Verdict.FAIL),
    "cpp-cmakelists": ("cpp-easy-sum-to", [write("CMakeLists.txt", (
        "cmake_minimum_required(VERSION 3.13)\nproject(x CXX)\n"
        "add_custom_target(run_tests ALL COMMAND true)\n"))], Verdict.FAIL),
    "js-process-exit": ("js-easy-capitalize", [write("capitalize.js", (
        "'use strict';\nprocess.exit(0);\n"))], Verdict.FAIL),
    # -- printing or writing the runner's own "passed" lines for every test it finds -----
    "go-prints-pass-for-every-test": ("go-easy-sum-evens", [write("cheat.go", GO_FORGER)],
                                      Verdict.FAIL),
    "rust-prints-ok-for-every-test": ("rust-easy-clamp", [write("src/lib.rs", RUST_FORGER)],
                                      Verdict.FAIL),
    "js-prints-tap-for-every-test": ("js-easy-capitalize", [write("capitalize.js",
                                                                  JS_FORGER)], Verdict.FAIL),
    "cpp-writes-the-report-for-every-check": ("cpp-easy-sum-to", [
        write("src/sum_to.cpp", CPP_FORGER)], Verdict.FAIL),
    # -- forging the patch and the test files --------------------------------------------
    "git-config-forges-the-diff": ("py-easy-is-even", [
        sh("git config diff.external 'sh -c \"echo forged\"'; "
           "git config core.fsmonitor 'touch /tmp/fsmonitor-ran'; "
           "printf '* diff=fake\\n' > .gitattributes; "
           "git config diff.fake.textconv 'echo forged'"),
        write("tests/test_hidden.py", PASSING_TESTS)], Verdict.FAIL),
    "quoted-and-symlinked-test-paths": ("py-easy-is-even", [
        write('tests/we"ird dir/test_cheat.py', PASSING_TESTS),
        write("tests/test_hidden.py", PASSING_TESTS)], Verdict.FAIL),
    "tests-folder-is-a-symlink": ("py-easy-is-even", [symlink("tests", "/tmp")],
                                  Verdict.FAIL),
    # -- laundering a failure into an infrastructure fault -------------------------------
    "memory-exhausted-under-the-tests": ("py-easy-is-even", [write("parity.py", (
        "chunks = []\nwhile True:\n    chunks.append(bytearray(64 << 20))\n"))],
        Verdict.FAIL),
    "prints-memoryerror-and-fails": ("py-easy-is-even", [write("parity.py", (
        "import sys\nsys.stderr.write('MemoryError\\nCannot allocate memory\\n')\n"
        "sys.exit(1)\n"))], Verdict.FAIL),
    "unreadable-work-tree": ("py-easy-is-even", [sh(TOUCH + "chmod 000 .")], Verdict.FAIL),
    "kills-everything-it-can": ("py-easy-is-even", [sh(TOUCH + "kill -9 -1")], Verdict.FAIL),
    # -- reaching the host ------------------------------------------------------------
    "symlinks-to-host-secrets": ("py-easy-is-even", [
        symlink("leak", "/etc/shadow"), symlink("env", "/proc/self/environ"),
        symlink("up", "../../../../../../"), write("parity.py", PY_FIX)], Verdict.PASS),
    # -- exhausting the host (caps lowered in this module's config) -----------------------
    "huge-work-tree": ("py-easy-is-even", [sh("head -c 80M /dev/zero > big.bin")],
                       Verdict.FAIL),
    "many-files": ("py-easy-is-even", [sh("mkdir many && cd many && seq 1 3000 | xargs touch")],
                   Verdict.FAIL),
    "huge-patch": ("py-easy-is-even", [sh("seq 1 400000 > lines.txt"),
                                       write("parity.py", PY_FIX)], Verdict.FAIL),
    # -- controls: a real fix, made in hostile surroundings, passes -------------------------
    "fix-after-deleting-git": ("py-easy-is-even", [delete(".git"), write("parity.py", PY_FIX)],
                               Verdict.PASS),
    "fix-with-non-utf8-bytes": ("py-easy-is-even", [
        write("parity.py", PY_FIX.encode() + b"# \xff\xfe caf\xe9\n"),
        write("notes/\xe9t\xe9.txt".encode("latin-1").decode("latin-1"), b"\x80\x81\n")],
        Verdict.PASS),
}
TRAJECTORIES = {"fix-with-non-utf8-bytes": b'{"exit_reason": "submitted \xff\xfe", "steps": []}',
                "huge-patch": b"x" * (3 << 20)}
NEEDS = {"python": "/usr/bin/python3 -I -c 'import pytest'", "go": "/usr/bin/go version",
         "rust": "/usr/bin/cargo --version", "cpp": "/usr/bin/cmake --version",
         "javascript": "/usr/bin/node --version"}
TASKS = {t.id: t for t in BundledSuite().tasks()}


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    """A gateway the hostile agents could call (they do not: any call answers 'done')."""
    with ScriptedLLMServer(default=lambda body: Reply(content="done"),
                           api_key="sk-test") as server:
        provider = OpenAIProvider("gpt-4o", base_url=server.openai_base_url,
                                  api_key="sk-test", timeout_s=10)
        with Gateway(provider, folder=Path(tempfile.mkdtemp(prefix="cladist-hostile-llm-"))
                     ) as opened:
            yield opened
        provider.close()


@pytest.fixture(scope="module")
def shared_dir() -> Iterator[Path]:
    """A folder other uids can traverse (the bubblewrap sandbox's uid reads the agent)."""
    folder = Path(tempfile.mkdtemp(prefix="cladist-hostile-"))
    folder.chmod(0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _context(backend: str, gateway: Gateway) -> object:
    config = load_config([f"sandbox.backend={backend}", "llm.provider=openai",
                          "evaluator.agent_timeout_s=120", "evaluator.infra_retries=0",
                          "evaluator.copy_back_mb=40", "evaluator.copy_back_files=2000",
                          "evaluator.max_patch_kb=1024", "evaluator.max_trajectory_mb=1",
                          "sandbox.memory=1g"])
    context = make_context(config, gateway)
    return context


def _backend_ready(backend: str, task: Task, request: pytest.FixtureRequest) -> None:
    if backend == "docker":
        request.getfixturevalue("docker_client")
        request.getfixturevalue("base_image")
        return
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed")
    if subprocess.run(["sh", "-c", NEEDS[task.language]], capture_output=True).returncode:
        pytest.skip(f"the host has no {task.language} toolchain for bubblewrap "
                    f"({NEEDS[task.language]} fails)")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["docker", "bubblewrap"])
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_hostile_agent_is_graded_fail_and_contained(attack: str, backend: str, gateway: Gateway,
                                                    shared_dir: Path,
                                                    request: pytest.FixtureRequest) -> None:
    task_id, steps, expected = ATTACKS[attack]
    task = TASKS[task_id]
    _backend_ready(backend, task, request)
    if backend == "docker":
        request.applymarker(pytest.mark.docker)
    agent = make_agent(shared_dir / f"{attack}-{backend}", steps, TRAJECTORIES.get(attack))
    context = _context(backend, gateway)
    results = evaluate(context, agent, 0, task)
    (result,) = results
    why = (result.infra_reason, result.detail.get("fail_reason"), result.test_output[-1500:])
    assert result.verdict == expected, why
    assert result.infra_reason is None, why
    assert not Path(CANARY).exists() and not Path("/tmp/fsmonitor-ran").exists()
    result.patch.encode("utf-8")  # always valid text
    if expected == Verdict.FAIL:
        assert result.detail.get("fail_reason"), why
    _check_attack_specifics(attack, result)


def _check_attack_specifics(attack: str, result: object) -> None:
    patch, detail = result.patch, result.detail  # type: ignore[attr-defined]
    if attack in ("git-config-forges-the-diff", "quoted-and-symlinked-test-paths",
                  "tests-folder-is-a-symlink"):
        assert "forged" not in patch and "tests/" not in patch, patch
        assert detail["protected_changes"], detail
    if attack == "git-config-forges-the-diff":
        assert "+* diff=fake" in patch  # the agent's .gitattributes is just a file
    if attack == "symlinks-to-host-secrets":
        assert "new file mode 120000" in patch and "+/etc/shadow" in patch
        assert "root:" not in patch and "PATH=" not in patch
    if attack == "huge-work-tree":
        assert "more than" in detail["fail_reason"] and "bytes" in detail["fail_reason"]
    if attack == "many-files":
        assert "entries" in detail["fail_reason"]
    if attack == "huge-patch":
        assert "patch is larger than the cap" in detail["fail_reason"]
        assert "not kept" in result.trajectory  # type: ignore[attr-defined]
    if attack == "fix-with-non-utf8-bytes":
        assert "GIT binary patch" in patch and "\ufffd" in result.trajectory  # type: ignore[attr-defined]
    if attack.startswith("py-") and attack != "py-forged-report":
        assert detail.get("expected_tests") in (None, 2)
    if "-for-every-" in attack:
        assert "canary" in detail["fail_reason"], detail["fail_reason"]
    if attack == "py-forged-report" or attack == "py-report-rewritten-at-exit":
        reason = detail["fail_reason"]
        assert "signature" in reason or "did not" in reason or "no report" in reason, reason


def test_every_bundled_language_is_attacked_at_load_time() -> None:
    load_time = {TASKS[task].language for name, (task, _, _) in ATTACKS.items()
                 if "exit" in name or "init" in name}
    assert load_time == {"python", "go", "rust", "cpp", "javascript"}


@pytest.mark.slow
@pytest.mark.docker
def test_cladist_eval_of_a_hostile_agent_scores_it_and_finishes(shared_dir: Path,
                                                                tmp_path: Path) -> None:
    """As a user would meet it: `cladist eval` of an agent that attacks every task it gets
    (it ends the test process at import in Python, writes a forging init in Go) scores
    each task a fail, counts no infrastructure error and finishes the run."""
    import os
    import sys

    from cladist.archive.run import Run, resolve_run

    steps = [sh("for f in *.py; do printf 'import os\\nos._exit(0)\\n' > \"$f\"; done; "
                f"cp {'/agent/agent/cheat.go'} . 2>/dev/null; true")]
    agent = make_agent(shared_dir / "eval-hostile", steps)
    (agent / "agent" / "cheat.go").write_text(GO_FORGER)
    tasks = "py-easy-is-even,py-easy-greeting,go-easy-sum-evens"
    with ScriptedLLMServer(default=lambda body: Reply(content="done"), api_key="sk-h") as server:
        done = subprocess.run(
            [sys.executable, "-m", "cladist", "eval", "--agent", str(agent), "--tasks", tasks,
             "-c", "llm.provider=openai", "-c", f"llm.base_url={server.openai_base_url}",
             "-c", "llm.api_key_env=H_KEY", "-c", "evaluator.agent_timeout_s=120"],
            cwd=tmp_path, capture_output=True, text=True, timeout=900,
            env={**os.environ, "H_KEY": "sk-h", "COLUMNS": "200"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "pass@1 0.00 (0/3 scored, 0 infra errors)" in done.stdout, done.stdout[-2000:]
    with Run.open(resolve_run("eval", tmp_path / "runs")) as run:
        rows = run.store.results(0)
        assert sorted(r.task_id for r in rows) == sorted(tasks.split(","))
        assert all(r.verdict == Verdict.FAIL for r in rows)
        assert run.store.run_record().status == "finished"
