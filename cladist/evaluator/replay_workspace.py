"""What ``cladist replay --keep`` leaves in its folder: the replay's and the stored patch,
test output and trajectory, the report, and the agent's work directory copied out of its
sandbox before it closes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cladist.archive.records import ResultRecord
    from cladist.archive.run import Run
    from cladist.evaluator.contracts import TaskResult


def write_workspace(work: Path, report: dict[str, Any], result: TaskResult, run: Run,
                    stored: ResultRecord) -> None:
    """Write the replay's patch, test output, trajectory and ``report`` (``replay.json``),
    and the stored patch and test output, into the kept folder ``work``."""
    from cladist.archive.blobs import write_atomic  # text an agent made: never raises

    write_atomic(work / "patch.diff", result.patch)
    write_atomic(work / "test_output.txt", result.test_output)
    write_atomic(work / "trajectory.json", result.trajectory)
    write_atomic(work / "stored" / "patch.diff", run.blobs.get_text(stored.patch_ref)
                 if stored.patch_ref else "")
    ref = stored.test_output_ref
    write_atomic(work / "stored" / "test_output.txt", run.blobs.get_text(ref) if ref else "")
    write_atomic(work / "replay.json", json.dumps(report, indent=1) + "\n")
    gateway = work / "gateway"
    if gateway.is_dir() and not any(gateway.iterdir()):
        gateway.rmdir()  # a recorded replay that followed its recording writes nothing


class KeepWorkdir:
    """An agent's sandbox that copies its work directory to ``dest`` before it closes:
    regular files and folders only, without the ``.git`` the agent could configure (see
    :meth:`cladist.sandbox.common.BaseSandbox.copy_out`); a refusal is written beside it
    as ``workdir.error.txt``."""

    def __init__(self, sandbox: Any, dest: Path):
        self._inner = sandbox
        self._dest = dest
        self.spec = sandbox.spec

    def __enter__(self) -> KeepWorkdir:  # noqa: D105
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:  # noqa: D105
        try:
            if exc[0] is None:
                self._inner.copy_out(self.spec.workdir, self._dest)
        except Exception as err:  # the workspace is a courtesy: never fail the replay
            from cladist.archive.blobs import write_atomic

            self._dest.mkdir(parents=True, exist_ok=True)
            write_atomic(self._dest.parent / "workdir.error.txt",
                         f"{type(err).__name__}: {err}\n")
        finally:
            self._inner.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
