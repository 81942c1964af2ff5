"""Fixtures of the web viewer's tests: a copy of the shared evolved run, a real uvicorn
server on it, and one headless Chromium per session (playwright).

Browser tests skip without ``/usr/bin/chromium`` (``scripts/provision`` installs it) unless
``CLADIST_REQUIRE_DOCKER=1`` (CI), where they fail. Screenshots go to
``$CLADIST_TEST_ARTIFACTS`` (default ``<repo>/test-artifacts/``), under ``view/``.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for screenshots (kept after the run, git-ignored)."""
    root = Path(os.environ.get("CLADIST_TEST_ARTIFACTS") or REPO / "test-artifacts")
    folder = root / "view"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def copy_run(source: Path, dest_parent: Path) -> Path:
    """A copy of a run folder (the shared run stays untouched by tests that write)."""
    dest = dest_parent / source.name
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("tmp"))
    return dest


@pytest.fixture(scope="session")
def web_run(evolved_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shared evolved run for the viewer (read-only by convention)."""
    return copy_run(evolved_run, tmp_path_factory.mktemp("web-run"))


class Server:
    """``cladist view``'s app served by uvicorn in a thread on a free loopback port."""

    def __init__(self, run_path: Path):
        import uvicorn

        from cladist.view.web.app import bind, create_app

        self.sock = bind("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        self.server = uvicorn.Server(uvicorn.Config(create_app(run_path), log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the viewer's server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture(scope="session")
def start_server() -> Iterator[Callable[[Path], Server]]:
    """Start more servers (on other run folders); all stop at the session's end."""
    started: list[Server] = []

    def start(path: Path) -> Server:
        started.append(Server(path))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def server(web_run: Path, start_server: Callable[[Path], Server]) -> Server:
    """The viewer of :func:`web_run`."""
    return start_server(web_run)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (scripts/provision installs chromium)"
        if os.environ.get("CLADIST_REQUIRE_DOCKER") == "1":  # as in tests/conftest.py
            pytest.fail(f"{reason} (CLADIST_REQUIRE_DOCKER=1, so this is a failure)",
                        pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, artifacts: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page (1280x900); fails the test on any JavaScript error; a screenshot of
    the last state is saved as ``<test name>-final.png``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda err: errors.append(str(err)))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.set_default_timeout(15_000)
    try:
        yield tab
        assert not errors, f"JavaScript errors: {errors}"
    finally:
        try:
            tab.screenshot(path=str(artifacts / f"{request.node.name}-final.png"),
                           full_page=True)
        finally:
            context.close()


def wait_ready(tab: Any) -> None:
    """Wait until the page finished rendering its current view."""
    tab.wait_for_selector('#main[data-ready="1"]')
