"""Bytes an agent produced never crash the host: non-UTF-8 content in its code, trajectory,
patch and test output, lone surrogates and terminal escapes in the text stored about it
are stored, exported and shown (terminal views, the viewer's data) with U+FFFD or visible
escapes instead."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from cladist.archive.export import FORMATS, export_node
from cladist.archive.records import NewResult, NodeStatus, Verdict
from cladist.archive.run import Run
from cladist.archive.safetext import clean, printable, to_bytes
from cladist.view.text import node_report, rich_tree, tree_data
from cladist.view.web.data import RunData
from cladist.view.web.static_html import render_static, static_data

RAW = b"caf\xe9 \xff\xfe bytes \x1b[31mred\x1b[0m\n"
"""Latin-1, invalid UTF-8 and an ANSI escape: what an agent's file or output may hold."""
REASON = "tests fail: [/red] [bold]\x1b]0;pwned\x07 \udcff \ud800 end"
"""Rich markup, a terminal title escape and lone surrogates (a lenient decode, JSON)."""


def test_text_helpers_never_raise() -> None:
    assert clean("a\udcffb\ud800") == "a\ufffdb\ufffd"
    assert to_bytes("x\udcff") == b"x\xff"  # surrogateescape'd bytes come back as they were
    assert to_bytes("x\ud800") == "x\ufffd".encode()
    assert to_bytes("plain é") == "plain é".encode()
    assert printable("a\x1b[31mb\r\x07\tc\nd\x9b") == "a\\x1b[31mb\\x0d\\x07\tc\nd\\x9b"


def _hostile_node(run: Run, tmp_path: Path) -> int:
    work = run.agents.materialize(run.node_commit(0), tmp_path / "work")
    (work / "agent" / "latin.py").write_bytes(b"# " + RAW)
    sha = run.agents.commit_dir(work, run.node_commit(0), "bytes")
    node = run.store.add_node(0, sha, status=NodeStatus.INVALID, reason=REASON,
                              summary="summary \udcff \x1b[2J")
    run.agents.set_node_ref(node, sha)
    refs = {name: run.blobs.put(f"nodes/{node}/{name}", RAW)
            for name in ("trajectory.json", "patch.diff", "test_output.txt")}
    run.store.record_result(NewResult(node, "py-easy-is-even", Verdict.FAIL,
                                      patch_ref=refs["patch.diff"],
                                      test_output_ref=refs["test_output.txt"],
                                      trajectory_ref=refs["trajectory.json"]))
    expansion = run.store.start_expansion(0, target="task:\udcff")
    run.store.finish_expansion(expansion, "invalid", child_id=node, reason=REASON,
                               problem_statement="fix \ud800 it")
    return node


def test_stored_text_is_cleaned_and_blobs_keep_their_bytes(run: Run, tmp_path: Path) -> None:
    node = _hostile_node(run, tmp_path)
    stored = run.store.node(node)
    assert stored.reason == clean(REASON) and "\ufffd" in stored.reason
    assert stored.summary == "summary \ufffd \x1b[2J"
    (exp,) = run.store.expansions(0)
    assert exp.problem_statement == "fix \ufffd it" and exp.target == "task:\ufffd"
    (result,) = run.store.results(node)
    assert run.blobs.get(result.patch_ref) == RAW
    assert "caf\ufffd \ufffd\ufffd" in run.blobs.get_text(result.trajectory_ref)
    run.blobs.put("nodes/x.txt", "smuggled \udcff\udcfe")
    assert run.blobs.get("nodes/x.txt") == b"smuggled \xff\xfe"


def test_terminal_views_show_replacements_and_no_escapes(run: Run, tmp_path: Path) -> None:
    from rich.console import Console

    node = _hostile_node(run, tmp_path)
    report = node_report(run, node)
    assert "\ufffd" in report["diff"] and "\x1b" not in report["diff"]
    assert "+# caf\ufffd \ufffd\ufffd bytes \\x1b[31mred" in report["diff"]
    assert report["node"].reason == printable(clean(REASON))
    assert "\x1b" not in report["node"].reason and "\x07" not in report["node"].reason
    console = Console(record=True, width=200, color_system=None)
    console.print(rich_tree(run))
    console.print(f"reason: {report['node'].reason}", markup=False)
    shown = console.export_text()
    assert "\x1b" not in shown and "summary \ufffd \\x1b[2J" in shown
    assert "[/red] [bold]" in shown  # printed as text, not taken as markup
    assert json.loads(json.dumps(tree_data(run)))["nodes"][1]["reason"] == clean(REASON)


def test_viewer_data_returns_replacements(run: Run, tmp_path: Path) -> None:
    node = _hostile_node(run, tmp_path)
    data = RunData(run.path)
    try:
        page = data.node(node)
        assert "caf\ufffd" in page["diff"]["text"]
        assert page["node"]["reason"] == clean(REASON)
        assert page["origin"]["problem_statement"] == "fix \ufffd it"
        refs = page["results"][0]["refs"]
        for ref in (refs["patch"], refs["test_output"], refs["trajectory"]):
            blob = data.blob(ref)
            assert blob["text"].startswith("caf\ufffd \ufffd\ufffd") and blob["size"] == len(RAW)
        assert [p["node"]["id"] for p in data.pages()] == [0, node]
        assert "caf\ufffd" in data.compare(0, node)["diff"]["text"]
        payload = static_data(data)
        assert "caf\ufffd" in payload["blobs"][refs["patch"]]["text"]
        html = render_static(payload)
        assert "caf\\ufffd" in html  # JSON-escaped in the page
    finally:
        data.close()


def test_exports_keep_the_bytes(run: Run, tmp_path: Path) -> None:
    node = _hostile_node(run, tmp_path)
    for fmt in FORMATS:
        out = export_node(run, node, tmp_path / f"out-{fmt}", fmt)
        if fmt == "dir":
            assert (out / "agent" / "latin.py").read_bytes() == b"# " + RAW
        elif fmt == "tar":
            with tarfile.open(out, "r:gz") as tar:
                member = tar.extractfile(f"node-{node}/agent/latin.py")
                assert member is not None and member.read() == b"# " + RAW
        elif fmt == "patch":
            assert any(b"+# " + RAW in p.read_bytes() for p in out.glob("*.patch"))
        else:
            assert out.stat().st_size > 0


def test_names_and_patches_that_are_not_utf8(run: Run, tmp_path: Path) -> None:
    import os

    from cladist.archive.safetree import apply_patch
    from cladist.evolve.diagnosis import code_digest

    work = run.agents.materialize(run.node_commit(0), tmp_path / "work")
    (work / os.fsdecode(b"agent/bad\xff.py")).write_bytes(b"X = '\xff'\n")
    sha = run.agents.commit_dir(work, run.node_commit(0), "odd name")
    assert "agent/bad\ufffd.py" in run.agents.files(sha)
    back = run.agents.materialize(sha, tmp_path / "back")
    assert (back / os.fsdecode(b"agent/bad\xff.py")).read_bytes() == b"X = '\xff'\n"
    digest = code_digest(back, 100_000)
    assert "--- agent/bad\ufffd.py\nX = '\ufffd'\n" in digest
    digest.encode("utf-8")  # no lone surrogate left for the gateway to choke on
    apply_patch(back, "--- /dev/null\n+++ b/agent/new.py\n@@ -0,0 +1 @@\n+Y = '\ud800'\n")
    assert (back / "agent" / "new.py").read_text() == "Y = '\ufffd'\n"
