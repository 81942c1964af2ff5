"""Entry point: python -m agent --problem FILE --workdir DIR [--out DIR] [limits].

Reads the problem statement, works on the repository in DIR through the LLM gateway and
writes ``trajectory.json`` into the out folder. Exit code 0 when the run ended normally
(whatever the model did), 2 for bad arguments.
"""

import argparse
import os
import sys
from pathlib import Path

from agent import llm_client
from agent.loop import Limits, Trajectory, solve


def main(argv=None, chat=None):
    """Solve the problem in --workdir; write the trajectory. Returns the exit code."""
    parser = argparse.ArgumentParser(prog="agent", description=__doc__.splitlines()[0])
    parser.add_argument("--problem", required=True, type=Path, help="Problem statement file.")
    parser.add_argument("--workdir", required=True, type=Path, help="Repository to edit.")
    parser.add_argument("--out", type=Path, default=Path("."), help="Where to write results.")
    parser.add_argument("--max-steps", type=int, default=int(os.environ.get(
        "AGENT_MAX_STEPS", 30)))
    parser.add_argument("--max-tokens", type=int, default=int(os.environ.get(
        "AGENT_MAX_TOKENS", 200_000)))
    parser.add_argument("--command-timeout", type=float, default=60.0)
    parser.add_argument("--tools", choices=["native", "text"], default=os.environ.get(
        "AGENT_TOOLS", "native"), help="Native tool calls, or the plain-text format.")
    args = parser.parse_args(argv)
    if not args.problem.is_file() or not args.workdir.is_dir():
        parser.error("--problem must be a file and --workdir a folder")
    args.out.mkdir(parents=True, exist_ok=True)
    trajectory = Trajectory(args.out / "trajectory.json")
    limits = Limits(args.max_steps, args.max_tokens, args.command_timeout)
    solve(args.problem.read_text(), args.workdir, chat or llm_client.chat, limits, trajectory,
          native_tools=args.tools == "native")
    print(f"agent finished: {trajectory.exit_reason} after {len(trajectory.steps)} steps",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
