import tempfile
import unittest
from pathlib import Path

from agent.tools import Tools, truncate


class ToolsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        self.tools = Tools(self.dir, command_timeout=5)

    def tearDown(self):
        self.tools.close()
        self.tmp.cleanup()

    def test_bash_session_keeps_state_and_reports_exit_codes(self):
        self.tools.bash("mkdir sub && cd sub && export GREETING=hello")
        out = self.tools.bash("pwd; echo $GREETING; false")
        self.assertIn("/sub", out)
        self.assertIn("hello", out)
        self.assertIn("[exit code 1]", out)

    def test_bash_timeout_kills_and_recovers(self):
        out = self.tools.bash_session.run("sleep 30 & sleep 30", timeout=0.5)
        self.assertIsNone(out[1])
        self.assertIn("timed out", out[0])
        self.assertIn("[exit code 0]", self.tools.bash("echo back"))

    def test_bash_does_not_wait_for_stdin(self):
        self.assertIn("[exit code 0]", self.tools.bash("cat"))

    def test_long_output_is_truncated(self):
        out = self.tools.bash("python3 -c \"print('x' * 50000)\"")
        self.assertIn("characters cut", out)
        self.assertLess(len(out), 11000)
        self.assertEqual(truncate("short"), "short")

    def test_view_create_replace(self):
        self.assertIn("wrote a/b.py", self.tools.create("a/b.py", "one\ntwo\nthree\n"))
        self.assertIn("    2\ttwo", self.tools.view("a/b.py", 2, 2))
        self.assertNotIn("one", self.tools.view("a/b.py", 2, 3))
        self.assertIn("b.py", self.tools.view("a"))
        self.assertIn("replaced 1", self.tools.replace("a/b.py", "two", "2"))
        self.assertEqual((self.dir / "a/b.py").read_text(), "one\n2\nthree\n")

    def test_replace_forgives_line_numbers_and_trailing_spaces(self):
        self.tools.create("m.py", "def f():\n    return 1   \n\n\ndef g():\n    pass\n")
        view = self.tools.view("m.py", 1, 2)
        self.assertIn("replaced 1", self.tools.replace("m.py", view, "    1\tdef f():\n"
                                                       "    2\t    return 2"))
        self.assertEqual((self.dir / "m.py").read_text().splitlines()[:2],
                         ["def f():", "    return 2"])
        missed = self.tools.replace("m.py", "    return 3", "x")
        self.assertIn("not found", missed)
        self.assertIn("    2\t    return 2", missed)  # the file's real text, to copy
        self.assertIn("empty", self.tools.replace("m.py", "", "x"))
        before = (self.dir / "m.py").stat().st_mtime_ns
        same = self.tools.replace("m.py", "    1\tdef f():", "    2\tdef f():")
        self.assertIn("nothing changed", same)  # the line numbers differed, not the text
        self.assertEqual((self.dir / "m.py").stat().st_mtime_ns, before)
        self.assertIn("nothing changed", self.tools.create("m.py", (self.dir / "m.py").read_text()))
        self.assertEqual((self.dir / "m.py").stat().st_mtime_ns, before)

    def test_an_edit_that_breaks_python_is_not_applied(self):
        self.tools.create("m.py", "def system(native):\n    return 1\n")
        refused = self.tools.replace("m.py", "system(native)", "system(native) + 'x'")
        self.assertIn("not applied", refused)
        self.assertIn("invalid Python", refused)
        self.assertEqual((self.dir / "m.py").read_text(), "def system(native):\n    return 1\n")
        self.assertIn("not applied", self.tools.create("new.py", "def f(:\n"))
        self.assertFalse((self.dir / "new.py").exists())
        self.assertIn("replaced 1", self.tools.replace("m.py", "return 1", "return 2"))
        # not Python, or already broken: edits are the agent's business
        self.assertIn("wrote", self.tools.create("notes.txt", "def f(:\n"))
        (self.dir / "bad.py").write_text("def f(:\n    return 1\n")
        self.assertIn("replaced 1", self.tools.replace("bad.py", "return 1", "return 2"))

    def test_python_means_python3_in_the_shell(self):
        out = self.tools.bash("python -c 'import sys; print(sys.version_info[0])'")
        self.assertIn("3\n", out)

    def test_mistakes_are_reported_not_raised(self):
        self.tools.create("f.txt", "x\nx\n")
        self.assertIn("found 2 times", self.tools.replace("f.txt", "x", "y"))
        self.assertIn("not found", self.tools.replace("f.txt", "zzz", "y"))
        self.assertIn("error", self.tools.view("missing.txt"))
        self.assertIn("outside the work directory", self.tools.create("../escape", "x"))
        self.assertIn("needs the argument", self.tools.call("bash", {}))
        self.assertIn("unknown tool", self.tools.call("rm_rf", {}))


if __name__ == "__main__":
    unittest.main()
