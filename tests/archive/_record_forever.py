"""Child process for the crash test: records results forever, reporting each commit.

Usage: python _record_forever.py RUN_DIR SEED. Prints ``committed <result ids>`` after each
transaction returns, so everything it printed must survive a SIGKILL.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from cladist.archive.blobs import BlobStore
from cladist.archive.records import NewResult, NodeStatus, Verdict
from cladist.archive.store import ArchiveStore


def main() -> None:
    run_dir, seed = Path(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    store = ArchiveStore(run_dir / "archive.db", synchronous="NORMAL", create=True)
    blobs = BlobStore(run_dir)
    if not store.nodes():
        store.add_node(None, "0" * 40, status=NodeStatus.VALID)
    step = 0
    while True:
        step += 1
        ids = [n.id for n in store.nodes()]
        if rng.random() < 0.3:
            parent = rng.choice(ids)
            new = store.add_node(parent, "0" * 40, status=NodeStatus.VALID)
            print(f"node {new}", flush=True)
            continue
        batch = []
        for i in range(rng.randint(1, 20)):
            node = rng.choice(ids)
            ref = blobs.put(f"nodes/{node}/{seed}-{step}-{i}.txt", f"{step}:{i}:" + "x" * 5000)
            verdict = rng.choice([Verdict.PASS, Verdict.FAIL, Verdict.INFRA_ERROR])
            batch.append(NewResult(node, f"s{seed}-t{step}-{i}", verdict, log_ref=ref))
        rids = store.record_results(batch)
        print("committed " + " ".join(map(str, rids)), flush=True)


if __name__ == "__main__":
    main()
