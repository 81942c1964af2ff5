import json
import pathlib
import tempfile
import unittest

from agent.__main__ import main


class TestAgent(unittest.TestCase):
    def test_writes_trajectory(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = pathlib.Path(tmp)
            (tmp / "problem.md").write_text("fix it")
            self.assertEqual(main(["--problem", str(tmp / "problem.md"),
                                   "--workdir", str(tmp), "--out", str(tmp / "out")]), 0)
            data = json.loads((tmp / "out" / "trajectory.json").read_text())
            self.assertEqual(data["problem_chars"], 6)


if __name__ == "__main__":
    unittest.main()
