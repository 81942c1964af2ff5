"""The FastAPI app of ``cladist view`` and the server that runs it.

Routes: ``/`` (the page), ``/static/*`` (its JS and CSS, from the package),
``/api/version`` (a fingerprint the page polls, with the run's status), ``/api/tree``,
``/api/overview``, ``/api/node/{id}``, ``/api/compare?a=&b=``, ``/api/blob?ref=`` and
``/plots/NAME.svg|png`` (from ``<run>/plots/``). Every API call reads the archive
afresh, so the page follows a run that is still going.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cladist.errors import ArchiveError, NotFoundError, UsageError

if TYPE_CHECKING:
    from fastapi import FastAPI

STATIC = Path(str(files("cladist.view.web") / "static"))
"""The page's files inside the package."""
PLOT_FILES = frozenset(f"{name}.{ext}" for name in ("progress", "tree", "costs")
                       for ext in ("svg", "png"))


def require_web() -> None:
    """Raise UsageError (one line, what to install) when FastAPI or uvicorn is missing."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as err:
        raise UsageError(f"the web viewer needs {err.name}: pip install 'cladist[view]' "
                         "(or scripts/setup --view)") from None


def create_app(run_path: Path) -> FastAPI:
    """The viewer's app on the run folder ``run_path`` (opened read-only).

    Raises NotFoundError when the folder holds no run, ArchiveError when it is unusable.
    """
    from fastapi import FastAPI, Request
    from fastapi.responses import FileResponse, JSONResponse
    from fastapi.staticfiles import StaticFiles

    from cladist.view.web.data import RunData
    from cladist.view.web.overview import overview

    data = RunData(run_path)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            data.close()

    app = FastAPI(title=f"cladist · {data.run.id}", docs_url=None, redoc_url=None,
                  openapi_url=None, lifespan=lifespan)
    app.state.data = data
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(NotFoundError)
    async def _not_found(_request: Request, err: NotFoundError) -> JSONResponse:
        return JSONResponse({"error": str(err)}, status_code=404)

    @app.exception_handler(UsageError)
    async def _bad(_request: Request, err: UsageError) -> JSONResponse:
        return JSONResponse({"error": str(err)}, status_code=400)

    @app.exception_handler(ArchiveError)
    async def _archive(_request: Request, err: ArchiveError) -> JSONResponse:
        return JSONResponse({"error": str(err)}, status_code=500)

    def api(payload: Any) -> JSONResponse:
        return JSONResponse(payload, headers={"Cache-Control": "no-store"})

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    @app.get("/api/version")
    def version() -> JSONResponse:
        return api(data.state())

    @app.get("/api/tree")
    def tree() -> JSONResponse:
        return api(data.tree())

    @app.get("/api/overview")
    def run_overview() -> JSONResponse:
        return api(overview(data))

    @app.get("/api/node/{node_id}")
    def node(node_id: int) -> JSONResponse:
        return api(data.node(node_id))

    @app.get("/api/compare")
    def compare(a: int, b: int) -> JSONResponse:
        return api(data.compare(a, b))

    @app.get("/api/blob")
    def blob(ref: str) -> JSONResponse:
        return api(data.blob(ref))

    @app.get("/plots/{name}")
    def plot(name: str) -> FileResponse:
        path = data.path / "plots" / name
        if name not in PLOT_FILES or not path.is_file():
            raise NotFoundError(f"plot {name}: not in {data.path / 'plots'} "
                                f"(run `cladist plot {data.run.id}`)")
        return FileResponse(path, headers={"Cache-Control": "no-store"})

    return app


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free port).

    Raises UsageError with one line when the port is in use or the host cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} on {host} is in use: pick another with --port "
                             "(--port 0 picks a free one)") from None
        raise UsageError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    sock.set_inheritable(True)
    return sock


def serve(app: FastAPI, sock: socket.socket, log_level: str = "warning") -> None:
    """Serve ``app`` on the bound ``sock`` until interrupted (blocking)."""
    import uvicorn

    config = uvicorn.Config(app, log_level=log_level, access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
