"""the alert scanner knows the batches it has read by their ids, not by a load time

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_scanned_batch",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_alert_scanned_batch")),
    )
    op.execute(
        "INSERT INTO alert_scanned_batch (batch_id) SELECT ingest_batch.id FROM ingest_batch"
        " WHERE ingest_batch.loaded_at <= (SELECT alert_scan.batches_loaded_to FROM alert_scan)"
    )
    with op.batch_alter_table("alert_scan") as alert_scan:
        alert_scan.drop_column("batches_loaded_to")


def downgrade() -> None:
    with op.batch_alter_table("alert_scan") as alert_scan:
        alert_scan.add_column(sa.Column("batches_loaded_to", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE alert_scan SET batches_loaded_to = coalesce((SELECT max(ingest_batch.loaded_at) FROM ingest_batch"
        " JOIN alert_scanned_batch ON alert_scanned_batch.batch_id = ingest_batch.id), alert_scan.scanned_at)"
    )
    with op.batch_alter_table("alert_scan") as alert_scan:
        alert_scan.alter_column("batches_loaded_to", existing_type=sa.DateTime(timezone=True), nullable=False)
    op.drop_table("alert_scanned_batch")
