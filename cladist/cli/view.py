"""The commands that show a run: ``cladist view`` (the web viewer, live while the run goes
on, or one self-contained HTML file with ``--static``) and ``cladist plot`` (PNG and SVG
figures). Registered on the app of :mod:`cladist.cli.app`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cladist.cli.app import RunArg, RunsDirOpt, app, make_console, open_run


@app.command("view")
def view_cmd(run: RunArg,
             port: Annotated[int, typer.Option(help="TCP port (0: any free one).")] = 8765,
             host: Annotated[str, typer.Option(
                 help="Address to listen on; 0.0.0.0 exposes the viewer to the network.")]
             = "127.0.0.1",
             static: Annotated[Path | None, typer.Option(
                 "--static", help="Write one self-contained HTML file here instead of "
                 "serving (opens from a file:// URL).")] = None,
             runs_dir: RunsDirOpt = Path("runs")) -> None:
    """Browse a run in the browser: lineage tree, nodes, overview, comparisons."""
    from cladist.archive.run import resolve_run
    from cladist.view.web.app import require_web

    path = resolve_run(run, runs_dir)
    if static is not None:
        from cladist.view.web.static_html import write_static

        written = write_static(path, static)
        size = written.stat().st_size
        make_console().print(f"wrote {written} ({size / 1e6:.1f} MB): open it in a browser "
                             f"(file://{written.resolve()})", soft_wrap=True)
        return
    require_web()
    from cladist.view.web.app import bind, create_app, serve

    sock = bind(host, port)
    try:
        app_ = create_app(path)
    except BaseException:
        sock.close()
        raise
    shown = f"[{host}]" if ":" in host else host
    make_console().print(f"viewing run [bold]{path.name}[/] at http://{shown}:"
                         f"{sock.getsockname()[1]}/ (Ctrl-C stops)", soft_wrap=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        make_console(stderr=True).print(f"note: the viewer has no login; anyone who "
                                        f"reaches {host} can read this run", soft_wrap=True)
    try:
        serve(app_, sock)
    finally:
        sock.close()


@app.command()
def plot(run: RunArg, out: Annotated[Path | None, typer.Option(
             help="Folder for the files (default: the run's plots/ folder).")] = None,
         fmt: Annotated[list[str] | None, typer.Option(
             "--format", help="png or svg; repeatable (default both).")] = None,
         runs_dir: RunsDirOpt = Path("runs")) -> None:
    """Draw the run's progress curve, lineage tree and spending (PNG and SVG)."""
    from cladist.view.plots import FORMATS, write_plots

    with open_run(run, runs_dir) as opened:
        written = write_plots(opened, out, tuple(fmt or FORMATS))
    for path in written:
        make_console().print(f"wrote {path}", soft_wrap=True)
