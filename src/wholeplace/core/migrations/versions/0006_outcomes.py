"""the outcomes domain: results, programmes, indicators and performance measures, their values with the
history of replaced values, versioned definitions, turn-the-curve reviews, early warnings and contributions

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outcomes_result",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("population_group", sa.String(length=200), nullable=True),
        sa.Column("is_priority", sa.Boolean(), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("polarity", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=60), nullable=False),
        sa.Column("baseline_value", sa.String(length=40), nullable=True),
        sa.Column("baseline_period", sa.String(length=20), nullable=True),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("on_data_agenda", sa.Boolean(), nullable=False),
        sa.Column("data_agenda_note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes_result")),
        sa.UniqueConstraint("title", name=op.f("uq_outcomes_result_title")),
    )
    op.create_table(
        "outcomes_contribution",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("result_id", sa.Uuid(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("rated_by", sa.String(length=100), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_outcomes_contribution_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["outcomes_result.id"],
            name=op.f("fk_outcomes_contribution_result_id_outcomes_result"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes_contribution")),
        sa.UniqueConstraint("agency_id", "result_id", name=op.f("uq_outcomes_contribution_agency_id")),
    )
    op.create_table(
        "outcomes_programme",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_outcomes_programme_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes_programme")),
        sa.UniqueConstraint("agency_id", "name", name=op.f("uq_outcomes_programme_agency_id")),
    )
    op.create_table(
        "outcomes_measure",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("result_id", sa.Uuid(), nullable=True),
        sa.Column("programme_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("polarity", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=60), nullable=False),
        sa.Column("baseline_value", sa.String(length=40), nullable=True),
        sa.Column("baseline_period", sa.String(length=20), nullable=True),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("on_data_agenda", sa.Boolean(), nullable=False),
        sa.Column("data_agenda_note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'indicator' AND result_id IS NOT NULL AND programme_id IS NULL) OR (kind <> 'indicator' AND programme_id IS NOT NULL AND result_id IS NULL)",
            name=op.f("ck_outcomes_measure_belongs_to_one"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["outcomes_programme.id"],
            name=op.f("fk_outcomes_measure_programme_id_outcomes_programme"),
        ),
        sa.ForeignKeyConstraint(
            ["result_id"], ["outcomes_result.id"], name=op.f("fk_outcomes_measure_result_id_outcomes_result")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes_measure")),
    )
    op.create_index("ix_outcomes_measure_programme_id", "outcomes_measure", ["programme_id"], unique=False)
    op.create_index("ix_outcomes_measure_result_id", "outcomes_measure", ["result_id"], unique=False)
    op.create_table(
        "outcomes_contribution_measure",
        sa.Column("contribution_id", sa.Uuid(), nullable=False),
        sa.Column("measure_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["outcomes_contribution.id"],
            name=op.f("fk_outcomes_contribution_measure_contribution_id_outcomes_contribution"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["outcomes_measure.id"],
            name=op.f("fk_outcomes_contribution_measure_measure_id_outcomes_measure"),
        ),
        sa.PrimaryKeyConstraint(
            "contribution_id", "measure_id", name=op.f("pk_outcomes_contribution_measure")
        ),
    )
    op.create_table(
        "outcomes_curve_review",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("measure_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("reviewed_by", sa.String(length=100), nullable=False),
        sa.Column("story", sa.Text(), nullable=False),
        sa.Column("partners", sa.JSON(), nullable=False),
        sa.Column("what_works", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["outcomes_measure.id"],
            name=op.f("fk_outcomes_curve_review_measure_id_outcomes_measure"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes_curve_review")),
        sa.UniqueConstraint("measure_id", "version", name=op.f("uq_outcomes_curve_review_measure_id")),
    )
    op.create_table(
        "outcomes_definition",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("measure_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["outcomes_measure.id"],
            name=op.f("fk_outcomes_definition_measure_id_outcomes_measure"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes_definition")),
        sa.UniqueConstraint("measure_id", "version", name=op.f("uq_outcomes_definition_measure_id")),
    )
    op.create_table(
        "outcomes_value",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("measure_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("neighbourhood", sa.String(length=200), nullable=False),
        sa.Column("population_group", sa.String(length=200), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("definition_version", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["outcomes_measure.id"],
            name=op.f("fk_outcomes_value_measure_id_outcomes_measure"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes_value")),
        sa.UniqueConstraint(
            "measure_id",
            "period",
            "neighbourhood",
            "population_group",
            name=op.f("uq_outcomes_value_measure_id"),
        ),
    )
    op.create_index(
        "ix_outcomes_value_measure_start", "outcomes_value", ["measure_id", "period_start"], unique=False
    )
    op.create_table(
        "outcomes_warning",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("measure_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("rules", sa.String(length=10), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["outcomes_measure.id"],
            name=op.f("fk_outcomes_warning_measure_id_outcomes_measure"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes_warning")),
        sa.UniqueConstraint("measure_id", "period", name=op.f("uq_outcomes_warning_measure_id")),
    )
    op.create_index(
        "ix_outcomes_warning_username_read", "outcomes_warning", ["username", "read_at"], unique=False
    )
    op.create_table(
        "outcomes_value_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("value_id", sa.Uuid(), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("definition_version", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_by", sa.String(length=100), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_from", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["value_id"],
            ["outcomes_value.id"],
            name=op.f("fk_outcomes_value_history_value_id_outcomes_value"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes_value_history")),
    )
    op.create_index(
        "ix_outcomes_value_history_value_id", "outcomes_value_history", ["value_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_outcomes_value_history_value_id", table_name="outcomes_value_history")
    op.drop_table("outcomes_value_history")
    op.drop_index("ix_outcomes_warning_username_read", table_name="outcomes_warning")
    op.drop_table("outcomes_warning")
    op.drop_index("ix_outcomes_value_measure_start", table_name="outcomes_value")
    op.drop_table("outcomes_value")
    op.drop_table("outcomes_definition")
    op.drop_table("outcomes_curve_review")
    op.drop_table("outcomes_contribution_measure")
    op.drop_index("ix_outcomes_measure_result_id", table_name="outcomes_measure")
    op.drop_index("ix_outcomes_measure_programme_id", table_name="outcomes_measure")
    op.drop_table("outcomes_measure")
    op.drop_table("outcomes_programme")
    op.drop_table("outcomes_contribution")
    op.drop_table("outcomes_result")
