"""the outcomes domain's partnerships: named boards of agencies, each with its chair, its member agencies, the
results it owns and the programmes it oversees

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outcomes_partnership",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("chair", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes_partnership")),
        sa.UniqueConstraint("name", name=op.f("uq_outcomes_partnership_name")),
    )
    op.create_table(
        "outcomes_partnership_member",
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["outcomes_partnership.id"],
            name=op.f("fk_outcomes_partnership_member_partnership_id_outcomes_partnership"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_outcomes_partnership_member_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("partnership_id", "agency_id", name=op.f("pk_outcomes_partnership_member")),
    )
    op.create_table(
        "outcomes_partnership_result",
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        sa.Column("result_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["outcomes_partnership.id"],
            name=op.f("fk_outcomes_partnership_result_partnership_id_outcomes_partnership"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["outcomes_result.id"],
            name=op.f("fk_outcomes_partnership_result_result_id_outcomes_result"),
        ),
        sa.PrimaryKeyConstraint("partnership_id", "result_id", name=op.f("pk_outcomes_partnership_result")),
    )
    op.create_table(
        "outcomes_partnership_programme",
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["outcomes_partnership.id"],
            name=op.f("fk_outcomes_partnership_programme_partnership_id_outcomes_partnership"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["outcomes_programme.id"],
            name=op.f("fk_outcomes_partnership_programme_programme_id_outcomes_programme"),
        ),
        sa.PrimaryKeyConstraint(
            "partnership_id", "programme_id", name=op.f("pk_outcomes_partnership_programme")
        ),
    )


def downgrade() -> None:
    op.drop_table("outcomes_partnership_programme")
    op.drop_table("outcomes_partnership_result")
    op.drop_table("outcomes_partnership_member")
    op.drop_table("outcomes_partnership")
