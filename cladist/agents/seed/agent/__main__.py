"""Entry point: python -m agent --problem FILE --workdir DIR [--out DIR]."""

import argparse
import json
import pathlib


def main(argv=None):
    parser = argparse.ArgumentParser(prog="agent")
    parser.add_argument("--problem", required=True, type=pathlib.Path)
    parser.add_argument("--workdir", required=True, type=pathlib.Path)
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("."))
    args = parser.parse_args(argv)
    problem = args.problem.read_text()
    args.out.mkdir(parents=True, exist_ok=True)
    trajectory = {"problem_chars": len(problem), "steps": []}
    (args.out / "trajectory.json").write_text(json.dumps(trajectory))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
