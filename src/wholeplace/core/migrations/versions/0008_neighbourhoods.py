"""the place's neighbourhoods, with their population estimates and the postcode areas that lie in each

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "neighbourhood",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("residents", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_neighbourhood")),
        sa.UniqueConstraint("code", name=op.f("uq_neighbourhood_code")),
    )
    op.create_table(
        "neighbourhood_postcode",
        sa.Column("prefix", sa.String(length=10), nullable=False),
        sa.Column("neighbourhood_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["neighbourhood_id"],
            ["neighbourhood.id"],
            name=op.f("fk_neighbourhood_postcode_neighbourhood_id_neighbourhood"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_neighbourhood_postcode")),
    )


def downgrade() -> None:
    op.drop_table("neighbourhood_postcode")
    op.drop_table("neighbourhood")
