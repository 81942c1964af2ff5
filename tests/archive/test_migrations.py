"""Schema management: migrations match the tables, a newer schema is refused clearly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cladist.archive.schema import SCHEMA_REVISION, metadata
from cladist.archive.store import ArchiveStore
from cladist.errors import ArchiveError


def test_migrated_schema_matches_table_definitions(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    store = ArchiveStore(tmp_path / "a.db", create=True)
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn)
        assert ctx.get_current_revision() == SCHEMA_REVISION
        assert compare_metadata(ctx, metadata) == []
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.close()


def test_newer_schema_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    ArchiveStore(db, create=True).close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(ArchiveError, match="newer than this cladist knows.*upgrade cladist"):
        ArchiveStore(db)


def test_garbage_file_is_not_an_archive(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ArchiveError, match="not a usable SQLite archive"):
        ArchiveStore(db)
