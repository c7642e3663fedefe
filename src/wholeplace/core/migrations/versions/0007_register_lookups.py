"""the register: indexes for finding a person by family name and the start of a given name, and for reading a
household's relationships, which pages read on every visit

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # varchar_pattern_ops lets PostgreSQL answer `given_key LIKE 'ann%'` from the index whatever the collation
    op.create_index(
        "ix_register_record_family_key_given_key",
        "register_record",
        ["family_key", "given_key"],
        unique=False,
        postgresql_ops={"given_key": "varchar_pattern_ops"},
    )
    op.create_index(
        "ix_register_relationship_household_id", "register_relationship", ["household_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_register_relationship_household_id", table_name="register_relationship")
    op.drop_index("ix_register_record_family_key_given_key", table_name="register_record")
