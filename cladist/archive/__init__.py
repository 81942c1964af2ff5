"""The archive of agents: SQLite tree (SQLAlchemy + Alembic), git codebases, lineage, export."""
