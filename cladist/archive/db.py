"""Opening an archive database: SQLite pragmas (WAL) and Alembic schema migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DatabaseError
from sqlalchemy.pool import QueuePool

from cladist.errors import ArchiveError

WRITE_OPTION = "cladist_write"
"""Execution option marking a connection whose transactions write (BEGIN IMMEDIATE)."""

MIGRATIONS = Path(__file__).with_name("migrations")


def _engine(path: Path, synchronous: str) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # transactions are begun by the hook below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # Writers take the write lock up front (BEGIN IMMEDIATE), so two writers never
        # both read "the next id" before either inserts; readers stay deferred.
        write = conn.get_execution_options().get(WRITE_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _migrate(engine: Engine, path: Path) -> None:
    """Bring the schema to the newest revision; refuse a schema newer than this code."""
    from alembic import command
    from alembic.config import Config as AlembicConfig
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(cfg)
    with engine.begin() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        if current == scripts.get_current_head():
            return
        known = {rev.revision for rev in scripts.walk_revisions()}
        if current is not None and current not in known:
            raise ArchiveError(
                f"{path}: archive schema {current!r} is newer than this cladist knows "
                f"(latest {scripts.get_current_head()!r}); upgrade cladist to open it")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def connect_read_only(path: Path) -> Engine:
    """A read-only engine on ``path`` that never migrates or writes, safe to use while a
    run writes the same file (WAL readers see each committed transaction whole).

    A folder where SQLite cannot create its ``-shm`` file (a read-only medium) is opened
    as immutable instead. Raises ArchiveError for a file that is not SQLite or whose
    schema is not the one this code knows.
    """
    import sqlite3
    from urllib.parse import quote

    from cladist.archive.schema import SCHEMA_REVISION

    uri = f"file:{quote(str(Path(path).resolve()))}?mode=ro"

    def _connect() -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        except sqlite3.OperationalError:  # cannot create -shm here: a frozen copy
            conn = sqlite3.connect(uri + "&immutable=1", uri=True, timeout=30,
                                   check_same_thread=False)
        conn.isolation_level = None
        conn.execute("PRAGMA query_only=ON")
        return conn

    # A queue of connections shared by threads (a web server's worker threads), not the
    # one-connection-per-thread pool SQLAlchemy picks for a bare "sqlite://" URL.
    engine = create_engine("sqlite://", creator=_connect, poolclass=QueuePool, pool_size=4,
                           max_overflow=16)

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")  # deferred: a consistent snapshot per transaction

    try:
        with engine.connect() as c:
            revision = c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except DatabaseError as err:
        engine.dispose()
        raise ArchiveError(f"{path}: not a usable SQLite archive ({err.orig})") from None
    if revision != SCHEMA_REVISION:
        engine.dispose()
        raise ArchiveError(f"{path}: archive schema {revision!r} is not {SCHEMA_REVISION!r}; "
                           "open it once with a cladist of the same version (e.g. `cladist "
                           "tree RUN`, which migrates it)")
    return engine


def connect_and_migrate(path: Path, synchronous: str) -> Engine:
    """An engine on ``path`` with the schema at the newest revision.

    Raises ArchiveError for a file that is not SQLite or holds a newer schema.
    """
    engine = _engine(path, synchronous)
    try:
        _migrate(engine, path)
    except DatabaseError as err:
        engine.dispose()
        raise ArchiveError(f"{path}: not a usable SQLite archive ({err.orig})") from None
    except ArchiveError:
        engine.dispose()
        raise
    return engine
