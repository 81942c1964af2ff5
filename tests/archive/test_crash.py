"""A process killed with SIGKILL while recording leaves a sound archive holding every
committed result."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
from pathlib import Path

from cladist.archive.lineage import check_clade_counts
from cladist.archive.store import ArchiveStore

HELPER = Path(__file__).with_name("_record_forever.py")


def test_sigkill_while_recording_loses_nothing_committed(tmp_path: Path) -> None:
    rng = random.Random(1234)
    committed: set[int] = set()
    nodes: set[int] = set()
    for round_no in range(5):
        proc = subprocess.Popen([sys.executable, str(HELPER), str(tmp_path), str(round_no)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        wanted = rng.randint(5, 60)
        seen = 0
        for line in proc.stdout:
            kind, *ids = line.split()
            (committed if kind == "committed" else nodes).update(map(int, ids))
            seen += 1
            if seen >= wanted:
                proc.send_signal(signal.SIGKILL)  # mid-stream: the child is still writing
                break
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL

        store = ArchiveStore(tmp_path / "archive.db")
        try:
            assert store.integrity_check() == "ok"
            stored = {r.id: r for r in store.results()}
            missing = committed - set(stored)
            assert not missing, f"round {round_no}: committed results lost: {sorted(missing)[:5]}"
            assert nodes <= {n.id for n in store.nodes()}
            assert check_clade_counts(store) == []
            for r in stored.values():  # every referenced blob is whole
                text = (tmp_path / r.log_ref).read_text()
                assert text.endswith("x" * 5000) and len(text.split(":")) == 3
        finally:
            store.close()
    assert len(committed) > 50
