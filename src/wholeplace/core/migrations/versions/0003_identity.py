"""linkage runs, thresholds, identity changes, review pairs and link decisions

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_run",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("backend", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("comparisons", sa.Integer(), nullable=False),
        sa.Column("links", sa.Integer(), nullable=False),
        sa.Column("review_pairs", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("upper", sa.Float(), nullable=False),
        sa.Column("lower", sa.Float(), nullable=False),
        sa.Column("thresholds_from", sa.String(length=20), nullable=False),
        sa.Column("model_hash", sa.String(length=64), nullable=False),
        sa.Column("folder", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_run")),
        sa.UniqueConstraint("sequence", name=op.f("uq_link_run_sequence")),
    )
    op.create_table(
        "link_thresholds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("upper", sa.Float(), nullable=True),
        sa.Column("lower", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_thresholds")),
    )
    op.create_table(
        "identity_change",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("kept", sa.String(length=40), nullable=False),
        sa.Column("other", sa.String(length=40), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["link_run.id"], name=op.f("fk_identity_change_run_id_link_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_change")),
    )
    op.create_index("ix_identity_change_kept", "identity_change", ["kept"])
    op.create_index("ix_identity_change_other", "identity_change", ["other"])
    op.create_table(
        "review_pair",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_l", sa.String(length=250), nullable=False),
        sa.Column("record_r", sa.String(length=250), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(length=80), nullable=False),
        sa.Column("impact", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("levels", sa.Text(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_pair")),
        sa.UniqueConstraint("record_l", "record_r", name="uq_review_pair_records"),
    )
    op.create_index("ix_review_pair_status_impact", "review_pair", ["status", "impact"])
    op.create_table(
        "link_decision",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_l", sa.String(length=250), nullable=False),
        sa.Column("record_r", sa.String(length=250), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_decision")),
    )
    op.create_index("ix_link_decision_records", "link_decision", ["record_l", "record_r"])


def downgrade() -> None:
    op.drop_index("ix_link_decision_records", table_name="link_decision")
    op.drop_table("link_decision")
    op.drop_index("ix_review_pair_status_impact", table_name="review_pair")
    op.drop_table("review_pair")
    op.drop_index("ix_identity_change_other", table_name="identity_change")
    op.drop_index("ix_identity_change_kept", table_name="identity_change")
    op.drop_table("identity_change")
    op.drop_table("link_thresholds")
    op.drop_table("link_run")
