"""``cladist view RUN --static OUT.html``: the viewer as ONE self-contained HTML file.

The page's CSS and JS are inlined, and so is the data as JSON: the tree, the overview,
every node's page (with its diff against its parent), the blobs those pages open (test
output, patches, trajectories; each cut at ``blob_cap`` bytes, all of them at
``blobs_total`` bytes) and the SVG plots. It opens from a file:// URL with no server and
no network. The comparison of two nodes shows their per-task differences; the diff
between two arbitrary nodes needs the live viewer.
"""

from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path
from typing import Any

from cladist.archive.blobs import write_atomic
from cladist.view.web.app import STATIC
from cladist.view.web.data import RunData
from cladist.view.web.overview import overview

_SCRIPT = re.compile(r'<script src="static/([\w.-]+)"></script>')
_STYLE = re.compile(r'<link rel="stylesheet" href="static/([\w.-]+)">')


def static_data(data: RunData, blob_cap: int = 200_000,
                blobs_total: int = 50_000_000) -> dict[str, Any]:
    """Everything the page shows, as one JSON-ready dict (see the module docstring)."""
    tree = data.tree()
    nodes: dict[str, Any] = {}
    refs: list[str] = []
    for page in data.pages():
        nodes[str(page["node"]["id"])] = page
        for r in page["results"]:
            refs.extend(ref for ref in r["refs"].values() if ref)
        for key in ("self_edit_trajectory_ref", "rejected_patch_ref"):
            if page["origin"] and page["origin"].get(key):
                refs.append(page["origin"][key])
    blobs: dict[str, Any] = {}
    budget = blobs_total
    for ref in dict.fromkeys(refs):
        if budget <= 0 or not data.run.blobs.exists(ref):
            continue
        raw = data.run.blobs.get(ref)
        cut = raw[:min(blob_cap, budget)]
        budget -= len(cut)
        blobs[ref] = {"ref": ref, "text": cut.decode("utf-8", errors="replace"),
                      "truncated": len(cut) < len(raw), "size": len(raw)}
    view = overview(data)
    for plot in view["plots"]:
        svg = (data.path / plot["url"]).read_bytes()
        plot["url"] = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    return {"tree": tree, "overview": view, "nodes": nodes, "blobs": blobs,
            "exported_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def render_static(payload: dict[str, Any]) -> str:
    """The page with its CSS, JS and ``payload`` inlined."""
    page = (STATIC / "index.html").read_text()
    page = _STYLE.sub(lambda m: "<style>\n" + (STATIC / m.group(1)).read_text() + "\n</style>",
                      page)
    page = _SCRIPT.sub(lambda m: "<script>\n" + (STATIC / m.group(1)).read_text()
                       .replace("</script", "<\\/script") + "\n</script>", page)
    # No "<", ">" or "&" in the data block: text such as "</script>" or "<!--" in a summary
    # must not end it or change how the HTML parser reads it; JSON decodes the escapes.
    blob = (json.dumps(payload, separators=(",", ":")).replace("<", "\\u003c")
            .replace(">", "\\u003e").replace("&", "\\u0026"))
    data_tag = f'<script id="cladist-data" type="application/json">{blob}</script>'
    return page.replace("<!--cladist-data-->", data_tag)


def write_static(run_path: Path, out: Path) -> Path:
    """Write the self-contained viewer of the run at ``run_path`` to ``out``.

    Raises NotFoundError when the folder holds no run, ArchiveError when it is unusable.
    """
    data = RunData(run_path)
    try:
        html = render_static(static_data(data))
    finally:
        data.close()
    write_atomic(Path(out), html)
    return Path(out)
