"""The web viewer on a big tree: a random run of N nodes (default 5,000) with 3 results each.

Prints, measured in this one run: the time and size of the tree JSON (``/api/tree``), of one
node page, of the overview and of the change fingerprint the page polls, through the real
server; the time of ``cladist view --static`` (and the file's size); and, when
``/usr/bin/chromium`` and playwright are there, the time headless Chromium takes to draw
the whole tree and to zoom it ten times.

Usage: python bench/viewer_scale.py [--nodes N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from cladist.archive.records import NewResult, NodeStatus, Verdict
from cladist.archive.run import Run
from cladist.config import load_config

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def build(folder: Path, nodes: int, rng: random.Random) -> Path:
    """A run with ``nodes`` nodes (bushy and deep parts) and three results per node."""
    cfg = load_config([f"run.runs_dir={folder}", "archive.sqlite_synchronous=NORMAL",
                       "run.name=viewer-bench"])
    with Run.create(cfg) as run:
        sha = run.node_commit(0)
        specs = []
        for i in range(1, nodes):
            parent = max(0, i - 1 - rng.randint(0, 200)) if rng.random() < 0.7 else (
                rng.randint(0, i - 1))
            status = NodeStatus.INVALID if rng.random() < 0.25 else NodeStatus.VALID
            specs.append((parent, sha, status, None, f"node {i}"))
        run.store.add_nodes(specs)
        run.store.record_results(
            NewResult(rng.randrange(nodes), f"task-{k % 50}",
                      Verdict.PASS if rng.random() < 0.4 else Verdict.FAIL, attempt=k // 50 + 1)
            for k in range(3 * nodes))
        return run.path


def timed_get(url: str) -> tuple[float, int]:
    """Seconds for one GET of ``url`` and its status."""
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as answer:
        size = len(answer.read())
    return time.perf_counter() - t0, size


def main() -> None:
    """Measure and print the figures (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--keep", type=Path, help="build the run here and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="cladist-viewer-bench-"))
    t0 = time.perf_counter()
    path = build(folder, args.nodes, random.Random(0))
    print(f"built {args.nodes} nodes in {time.perf_counter() - t0:.1f}s: {path}")

    import uvicorn

    from cladist.view.web.app import bind, create_app
    from cladist.view.web.static_html import write_static

    sock = bind("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    server = uvicorn.Server(uvicorn.Config(create_app(path), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    timed_get(url + "api/tree")  # warm up (imports, best-belief)
    for name in ("api/tree", f"api/node/{args.nodes - 1}", "api/overview", "api/version"):
        seconds, size = timed_get(url + name)
        print(f"{name:24} {seconds * 1000:8.0f} ms  {size / 1e6:6.2f} MB")
    t0 = time.perf_counter()
    out = write_static(path, folder / "static.html")
    print(f"static export            {time.perf_counter() - t0:8.1f} s   "
          f"{out.stat().st_size / 1e6:6.2f} MB")
    if CHROMIUM.exists():
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            t0 = time.perf_counter()
            page.goto(url)
            page.wait_for_selector('#main[data-ready="1"]', timeout=600_000)
            surface = page.locator("#tree-svg, #tree-canvas")
            print(f"browser: tree of {surface.get_attribute('data-nodes')} nodes drawn in "
                  f"{time.perf_counter() - t0:.2f} s ({surface.get_attribute('data-layout')} "
                  f"layout, {surface.evaluate('e => e.tagName').lower()})")
            page.mouse.move(640, 450)
            t0 = time.perf_counter()
            for _ in range(10):
                page.mouse.wheel(0, -200)
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
            print(f"browser: 10 zoom steps in {time.perf_counter() - t0:.2f} s")
            browser.close()
    else:
        print(f"browser: skipped ({CHROMIUM} is missing)", file=sys.stderr)
    server.should_exit = True
    thread.join(10)


if __name__ == "__main__":
    main()
