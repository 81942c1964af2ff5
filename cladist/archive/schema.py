"""The archive's tables (SQLAlchemy Core). Alembic migrations create and evolve them.

Changing a table here requires a new migration in ``migrations/versions`` and a bump of
``SCHEMA_REVISION``; ``tests/archive/test_migrations.py`` checks that both agree.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)

from cladist.archive.safetext import clean

SCHEMA_REVISION = "0001"
"""Alembic revision of the newest schema this code knows."""

NODE_STATUSES = ("pending", "valid", "invalid", "evaluating")
VERDICTS = ("pass", "fail", "infra_error")
EXPANSION_OUTCOMES = ("running", "valid", "invalid", "error", "abandoned")



class SafeText(TypeDecorator[str]):
    """TEXT whose bound values are made encodable first: a lone surrogate in an agent's
    output (a test output in a reason, an escaped surrogate in JSON) becomes U+FFFD
    instead of failing the write. Same column type as TEXT in the database."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: object) -> str | None:
        """The text with what SQLite cannot store replaced."""
        return clean(value) if isinstance(value, str) else value


metadata = MetaData()

run = Table(
    "run", metadata,
    Column("id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("status", String, nullable=False),
    Column("stop_reason", SafeText),
    Column("config_yaml", SafeText, nullable=False),
    Column("cladist_version", String, nullable=False),
)

node = Table(
    "node", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("parent_id", Integer, ForeignKey("node.id")),
    Column("commit_sha", String(40), nullable=False),
    Column("status", String, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("reason", SafeText),
    Column("summary", SafeText),
    Column("depth", Integer, nullable=False),
    Column("path", String, nullable=False),
    Column("n_pass", Integer, nullable=False, server_default=text("0")),
    Column("n_fail", Integer, nullable=False, server_default=text("0")),
    Column("n_infra", Integer, nullable=False, server_default=text("0")),
    Column("clade_pass", Integer, nullable=False, server_default=text("0")),
    Column("clade_fail", Integer, nullable=False, server_default=text("0")),
    CheckConstraint("status IN ('pending','valid','invalid','evaluating')", name="node_status"),
    Index("ix_node_parent", "parent_id"),
    Index("ix_node_path", "path"),
)

expansion = Table(
    "expansion", metadata,
    Column("id", Integer, primary_key=True),
    Column("parent_id", Integer, ForeignKey("node.id"), nullable=False),
    Column("child_id", Integer, ForeignKey("node.id")),
    Column("started_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("target", SafeText),
    Column("problem_statement", SafeText),
    Column("diagnosis_ref", String),
    Column("outcome", String, nullable=False),
    Column("reason", SafeText),
    Column("tokens_in", Integer, nullable=False, server_default=text("0")),
    Column("tokens_out", Integer, nullable=False, server_default=text("0")),
    Column("cost_usd", Float, nullable=False, server_default=text("0")),
    CheckConstraint("outcome IN ('running','valid','invalid','error','abandoned')",
                    name="expansion_outcome"),
    Index("ix_expansion_parent", "parent_id"),
)

task_result = Table(
    "task_result", metadata,
    Column("id", Integer, primary_key=True),
    Column("node_id", Integer, ForeignKey("node.id"), nullable=False),
    Column("task_id", String, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("verdict", String, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("patch_ref", String),
    Column("test_output_ref", String),
    Column("trajectory_ref", String),
    Column("log_ref", String),
    Column("agent_seconds", Float),
    Column("grade_seconds", Float),
    Column("tokens_in", Integer, nullable=False, server_default=text("0")),
    Column("tokens_out", Integer, nullable=False, server_default=text("0")),
    Column("cost_usd", Float, nullable=False, server_default=text("0")),
    Column("detail", SafeText),
    CheckConstraint("verdict IN ('pass','fail','infra_error')", name="result_verdict"),
    CheckConstraint("attempt >= 1", name="result_attempt"),
    Index("ix_result_node", "node_id"),
    Index("ux_result_scored", "node_id", "task_id", "attempt", unique=True,
          sqlite_where=text("verdict != 'infra_error'")),
)

llm_call = Table(
    "llm_call", metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", Float, nullable=False),
    Column("session", String, nullable=False),
    Column("purpose", String, nullable=False),
    Column("node_id", Integer),
    Column("task_id", String),
    Column("provider", String, nullable=False),
    Column("model", String, nullable=False),
    Column("tokens_in", Integer, nullable=False, server_default=text("0")),
    Column("tokens_out", Integer, nullable=False, server_default=text("0")),
    Column("tokens_cached", Integer, nullable=False, server_default=text("0")),
    Column("cost_usd", Float, nullable=False, server_default=text("0")),
    Column("latency_s", Float),
    Column("error", SafeText),
    Column("recording_ref", String),
    Index("ix_llm_call_session", "session"),
    Index("ix_llm_call_node", "node_id"),
)

event = Table(
    "event", metadata,
    Column("id", Integer, primary_key=True),
    Column("ts", Float, nullable=False),
    Column("kind", String, nullable=False),
    Column("node_id", Integer),
    Column("data", SafeText),
    Index("ix_event_kind", "kind"),
)
