"""Initial schema: run, node, expansion, task_result, llm_call, event.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ZERO = sa.text("0")


def upgrade() -> None:
    op.create_table(
        "run",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("stop_reason", sa.Text),
        sa.Column("config_yaml", sa.Text, nullable=False),
        sa.Column("cladist_version", sa.String, nullable=False),
    )
    op.create_table(
        "node",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("node.id")),
        sa.Column("commit_sha", sa.String(40), nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("summary", sa.Text),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("path", sa.String, nullable=False),
        sa.Column("n_pass", sa.Integer, nullable=False, server_default=ZERO),
        sa.Column("n_fail", sa.Integer, nullable=False, server_default=ZERO),
        sa.Column("n_infra", sa.Integer, nullable=False, server_default=ZERO),
        sa.Column("clade_pass", sa.Integer, nullable=False, server_default=ZERO),
        sa.Column("clade_fail", sa.Integer, nullable=False, server_default=ZERO),
        sa.CheckConstraint("status IN ('pending','valid','invalid','evaluating')",
                           name="node_status"),
    )
    op.create_index("ix_node_parent", "node", ["parent_id"])
    op.create_index("ix_node_path", "node", ["path"])
    op.create_table(
        "expansion",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("node.id"), nullable=False),
        sa.Column("child_id", sa.Integer, sa.ForeignKey("node.id")),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float),
        sa.Column("target", sa.Text),
        sa.Column("problem_statement", sa.Text),
        sa.Column("diagnosis_ref", sa.String),
        sa.Column("outcome", sa.String, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("tokens_in", sa.Integer, nullable=False, server_default=ZERO),
        sa.Column("tokens_out", sa.Integer, nullable=False, server_default=ZERO),
        sa.Column("cost_usd", sa.Float, nullable=False, server_default=ZERO),
        sa.CheckConstraint("outcome IN ('running','valid','invalid','error','abandoned')",
                           name="expansion_outcome"),
    )
    op.create_index("ix_expansion_parent", "expansion", ["parent_id"])
    op.create_table(
        "task_result",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("node_id", sa.Integer, sa.ForeignKey("node.id"), nullable=False),
        sa.Column("task_id", sa.String, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("verdict", sa.String, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("patch_ref", sa.String),
        sa.Column("test_output_ref", sa.String),
        sa.Column("trajectory_ref", sa.String),
        sa.Column("log_ref", sa.String),
        sa.Column("agent_seconds", sa.Float),
        sa.Column("grade_seconds", sa.Float),
        sa.Column("tokens_in", sa.Integer, nullable=False, server_default=ZERO),
        sa.Column("tokens_out", sa.Integer, nullable=False, server_default=ZERO),
        sa.Column("cost_usd", sa.Float, nullable=False, server_default=ZERO),
        sa.Column("detail", sa.Text),
        sa.CheckConstraint("verdict IN ('pass','fail','infra_error')", name="result_verdict"),
        sa.CheckConstraint("attempt >= 1", name="result_attempt"),
    )
    op.create_index("ix_result_node", "task_result", ["node_id"])
    op.create_index("ux_result_scored", "task_result", ["node_id", "task_id", "attempt"],
                    unique=True, sqlite_where=sa.text("verdict != 'infra_error'"))
    op.create_table(
        "llm_call",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("session", sa.String, nullable=False),
        sa.Column("purpose", sa.String, nullable=False),
        sa.Column("node_id", sa.Integer),
        sa.Column("task_id", sa.String),
        sa.Column("provider", sa.String, nullable=False),
        sa.Column("model", sa.String, nullable=False),
        sa.Column("tokens_in", sa.Integer, nullable=False, server_default=ZERO),
        sa.Column("tokens_out", sa.Integer, nullable=False, server_default=ZERO),
        sa.Column("tokens_cached", sa.Integer, nullable=False, server_default=ZERO),
        sa.Column("cost_usd", sa.Float, nullable=False, server_default=ZERO),
        sa.Column("latency_s", sa.Float),
        sa.Column("error", sa.Text),
        sa.Column("recording_ref", sa.String),
    )
    op.create_index("ix_llm_call_session", "llm_call", ["session"])
    op.create_index("ix_llm_call_node", "llm_call", ["node_id"])
    op.create_table(
        "event",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("node_id", sa.Integer),
        sa.Column("data", sa.Text),
    )
    op.create_index("ix_event_kind", "event", ["kind"])


def downgrade() -> None:
    for table in ("event", "llm_call", "task_result", "expansion", "node", "run"):
        op.drop_table(table)
