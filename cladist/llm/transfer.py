"""Moving a worker's LLM recordings into the run: a gateway on a remote worker records into a
plain folder (:class:`~cladist.llm.recording.FolderSink`); :func:`export_folder` packs that
folder as plain data, and :func:`import_into_run` writes it on the driver exactly as a
run-recording gateway would have (recording blobs first, then ``llm_call`` rows, then
events) and charges the driver's budget ledger, so the archive and the dollar budget do not
depend on where the work ran.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cladist.archive.run import Run


@dataclass
class LlmExport:
    """A worker's recordings: ``recordings`` maps refs (``llm/<session>/<step>.json``) to
    their bytes; ``calls`` and ``events`` are the lines of calls.jsonl and events.jsonl."""

    recordings: dict[str, bytes] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def export_folder(root: Path) -> LlmExport:
    """Everything a folder-recording gateway wrote under ``root`` (flush it first).
    Raises OSError when the folder cannot be read."""
    root = Path(root)
    recordings = {p.relative_to(root).as_posix(): p.read_bytes()
                  for p in sorted((root / "llm").rglob("*.json"))} if (root / "llm").is_dir() \
        else {}
    return LlmExport(recordings, _lines(root / "calls.jsonl"), _lines(root / "events.jsonl"))


def import_into_run(run: Run, gateway: Any, export: LlmExport) -> int:
    """Write ``export`` into ``run`` and charge ``gateway.ledger`` (run, node and session
    scopes) with its calls; returns the number of calls imported. Raises ArchiveError or
    OSError when the archive cannot be written."""
    from cladist.archive.records import NewLlmCall
    from cladist.llm.contracts import Usage
    from cladist.llm.identity import SessionIdentity

    names = {f.name for f in fields(NewLlmCall)}
    calls = [NewLlmCall(**{k: v for k, v in c.items() if k in names}) for c in export.calls]
    for call in calls:  # start each node's ledger from the archive before adding to it
        if gateway is not None and call.node_id is not None:
            gateway.seed_node(SessionIdentity(run.id, call.node_id, "evaluation"))
    for ref, data in export.recordings.items():
        run.blobs.put(ref, data)
    for call in calls:
        run.store.record_llm_call(call)
        if gateway is not None:
            identity = SessionIdentity(run.id, call.node_id, "evaluation", call.task_id,
                                       call.session)
            gateway.ledger.charge(identity.ledger_keys(),
                                  Usage(call.tokens_in, call.tokens_out, call.tokens_cached),
                                  call.cost_usd)
    for record in export.events:
        fields_ = {k: v for k, v in record.items() if k not in ("ts", "kind", "node")}
        run.event(str(record.get("kind")), record.get("node"), **fields_)
    return len(calls)
