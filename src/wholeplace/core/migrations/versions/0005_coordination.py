"""the coordination domain: the register of linked records, lead professionals, plans with needs, actions and
versions, meetings, referrals, alerts, sustainment checks and the place's coordination settings

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("household_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("about", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision_position", sa.Integer(), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
        sa.UniqueConstraint("username", "about", name="uq_alert_username_about"),
    )
    op.create_index("ix_alert_username_read", "alert", ["username", "read_at"], unique=False)
    op.create_table(
        "alert_scan",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("link_run", sa.Integer(), nullable=False),
        sa.Column("batches_loaded_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_scan")),
    )
    op.create_table(
        "coordination_setting",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_coordination_setting")),
    )
    op.create_table(
        "plan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("family_words", sa.Text(), nullable=False),
        sa.Column("family_priorities", sa.Text(), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closing_summary", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
    )
    op.create_index("ix_plan_household_id", "plan", ["household_id"], unique=False)
    op.create_index(
        "uq_plan_open",
        "plan",
        ["household_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "register_relationship",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("household_id", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("other_person_id", sa.String(length=40), nullable=True),
        sa.Column("other_name", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_relationship")),
    )
    op.create_index(
        "ix_register_relationship_person_id", "register_relationship", ["person_id"], unique=False
    )
    op.create_table(
        "register_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("link_run", sa.Integer(), nullable=False),
        sa.Column("rebuilt_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_state")),
    )
    op.create_table(
        "meeting",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.String(length=40), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("held_on", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("arranged_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_meeting_plan_id_plan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
    )
    op.create_index("ix_meeting_household_id", "meeting", ["household_id"], unique=False)
    op.create_table(
        "plan_need",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("outcome_area", sa.String(length=60), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_plan_need_plan_id_plan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_need")),
    )
    op.create_index("ix_plan_need_plan_id", "plan_need", ["plan_id"], unique=False)
    op.create_table(
        "plan_version",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("saved_by", sa.String(length=100), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_plan_version_plan_id_plan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_version")),
        sa.UniqueConstraint("plan_id", "version", name="uq_plan_version"),
    )
    op.create_table(
        "lead_professional",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.String(length=40), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("family_agreed_on", sa.Date(), nullable=False),
        sa.Column("family_agreement", sa.Text(), nullable=False),
        sa.Column("assigned_by", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=100), nullable=True),
        sa.Column("handover_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_lead_professional_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_professional")),
    )
    op.create_index("ix_lead_professional_household_id", "lead_professional", ["household_id"], unique=False)
    op.create_index("ix_lead_professional_username", "lead_professional", ["username"], unique=False)
    op.create_index(
        "uq_lead_professional_current",
        "lead_professional",
        ["household_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_table(
        "meeting_invitee",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=True),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_meeting_invitee_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_invitee_meeting_id_meeting")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_invitee")),
    )
    op.create_index("ix_meeting_invitee_meeting_id", "meeting_invitee", ["meeting_id"], unique=False)
    op.create_table(
        "plan_action",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("worker_name", sa.String(length=200), nullable=False),
        sa.Column("worker_username", sa.String(length=100), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_plan_action_agency_id_agency")),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_plan_action_meeting_id_meeting")
        ),
        sa.ForeignKeyConstraint(["need_id"], ["plan_need.id"], name=op.f("fk_plan_action_need_id_plan_need")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_action")),
    )
    op.create_index("ix_plan_action_need_id", "plan_action", ["need_id"], unique=False)
    op.create_index(
        "ix_plan_action_worker", "plan_action", ["worker_username", "status", "due_on"], unique=False
    )
    op.create_table(
        "referral",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.String(length=40), nullable=True),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("from_agency_id", sa.Uuid(), nullable=False),
        sa.Column("from_username", sa.String(length=100), nullable=False),
        sa.Column("to_agency_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=60), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("urgency", sa.String(length=20), nullable=False),
        sa.Column("decision_position", sa.Integer(), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("respond_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("responded_by", sa.String(length=100), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_reason", sa.Text(), nullable=True),
        sa.Column("involvement_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["from_agency_id"], ["agency.id"], name=op.f("fk_referral_from_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["to_agency_id"], ["agency.id"], name=op.f("fk_referral_to_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
    )
    op.create_index("ix_referral_from_agency", "referral", ["from_agency_id", "status"], unique=False)
    op.create_index("ix_referral_household_id", "referral", ["household_id"], unique=False)
    op.create_index("ix_referral_to_agency", "referral", ["to_agency_id", "status"], unique=False)
    op.create_table(
        "register_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("household_id", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_register_event_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_event")),
    )
    op.create_index(
        "ix_register_event_household_id", "register_event", ["household_id", "occurred_on"], unique=False
    )
    op.create_index(
        "ix_register_event_person_id", "register_event", ["person_id", "occurred_on"], unique=False
    )
    op.create_index("ix_register_event_type", "register_event", ["type", "occurred_on"], unique=False)
    op.create_table(
        "register_involvement",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("household_id", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=60), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=200), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("lead_worker", sa.String(length=200), nullable=True),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_register_involvement_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_involvement")),
    )
    op.create_index(
        "ix_register_involvement_household_id", "register_involvement", ["household_id"], unique=False
    )
    op.create_index("ix_register_involvement_person_id", "register_involvement", ["person_id"], unique=False)
    op.create_table(
        "register_record",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("household_id", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("given_name", sa.String(length=200), nullable=True),
        sa.Column("family_name", sa.String(length=200), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=20), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("postcode", sa.String(length=20), nullable=True),
        sa.Column("uprn", sa.String(length=20), nullable=True),
        sa.Column("nhs_number", sa.String(length=20), nullable=True),
        sa.Column("ni_number", sa.String(length=20), nullable=True),
        sa.Column("upn", sa.String(length=20), nullable=True),
        sa.Column("recorded_on", sa.Date(), nullable=True),
        sa.Column("given_key", sa.String(length=200), nullable=False),
        sa.Column("family_key", sa.String(length=200), nullable=False),
        sa.Column("postcode_key", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_register_record_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_record")),
    )
    op.create_index(
        "ix_register_record_family_key_birth",
        "register_record",
        ["family_key", "date_of_birth"],
        unique=False,
    )
    op.create_index("ix_register_record_household_id", "register_record", ["household_id"], unique=False)
    op.create_index("ix_register_record_nhs_number", "register_record", ["nhs_number"], unique=False)
    op.create_index("ix_register_record_ni_number", "register_record", ["ni_number"], unique=False)
    op.create_index("ix_register_record_person_id", "register_record", ["person_id"], unique=False)
    op.create_index("ix_register_record_postcode_key", "register_record", ["postcode_key"], unique=False)
    op.create_index("ix_register_record_upn", "register_record", ["upn"], unique=False)
    op.create_table(
        "sustainment_check",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["need_id"], ["plan_need.id"], name=op.f("fk_sustainment_check_need_id_plan_need")
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_sustainment_check_plan_id_plan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sustainment_check")),
    )
    op.create_index("ix_sustainment_check_due", "sustainment_check", ["status", "due_on"], unique=False)
    op.create_index("ix_sustainment_check_plan_id", "sustainment_check", ["plan_id"], unique=False)
    op.create_table(
        "meeting_decision",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"], ["plan_action.id"], name=op.f("fk_meeting_decision_action_id_plan_action")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_decision_meeting_id_meeting")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_decision")),
    )
    op.create_index("ix_meeting_decision_meeting_id", "meeting_decision", ["meeting_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_meeting_decision_meeting_id", table_name="meeting_decision")
    op.drop_table("meeting_decision")
    op.drop_index("ix_sustainment_check_plan_id", table_name="sustainment_check")
    op.drop_index("ix_sustainment_check_due", table_name="sustainment_check")
    op.drop_table("sustainment_check")
    op.drop_index("ix_register_record_upn", table_name="register_record")
    op.drop_index("ix_register_record_postcode_key", table_name="register_record")
    op.drop_index("ix_register_record_person_id", table_name="register_record")
    op.drop_index("ix_register_record_ni_number", table_name="register_record")
    op.drop_index("ix_register_record_nhs_number", table_name="register_record")
    op.drop_index("ix_register_record_household_id", table_name="register_record")
    op.drop_index("ix_register_record_family_key_birth", table_name="register_record")
    op.drop_table("register_record")
    op.drop_index("ix_register_involvement_person_id", table_name="register_involvement")
    op.drop_index("ix_register_involvement_household_id", table_name="register_involvement")
    op.drop_table("register_involvement")
    op.drop_index("ix_register_event_type", table_name="register_event")
    op.drop_index("ix_register_event_person_id", table_name="register_event")
    op.drop_index("ix_register_event_household_id", table_name="register_event")
    op.drop_table("register_event")
    op.drop_index("ix_referral_to_agency", table_name="referral")
    op.drop_index("ix_referral_household_id", table_name="referral")
    op.drop_index("ix_referral_from_agency", table_name="referral")
    op.drop_table("referral")
    op.drop_index("ix_plan_action_worker", table_name="plan_action")
    op.drop_index("ix_plan_action_need_id", table_name="plan_action")
    op.drop_table("plan_action")
    op.drop_index("ix_meeting_invitee_meeting_id", table_name="meeting_invitee")
    op.drop_table("meeting_invitee")
    op.drop_index(
        "uq_lead_professional_current",
        table_name="lead_professional",
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.drop_index("ix_lead_professional_username", table_name="lead_professional")
    op.drop_index("ix_lead_professional_household_id", table_name="lead_professional")
    op.drop_table("lead_professional")
    op.drop_table("plan_version")
    op.drop_index("ix_plan_need_plan_id", table_name="plan_need")
    op.drop_table("plan_need")
    op.drop_index("ix_meeting_household_id", table_name="meeting")
    op.drop_table("meeting")
    op.drop_table("register_state")
    op.drop_index("ix_register_relationship_person_id", table_name="register_relationship")
    op.drop_table("register_relationship")
    op.drop_index(
        "uq_plan_open",
        table_name="plan",
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.drop_index("ix_plan_household_id", table_name="plan")
    op.drop_table("plan")
    op.drop_table("coordination_setting")
    op.drop_table("alert_scan")
    op.drop_index("ix_alert_username_read", table_name="alert")
    op.drop_table("alert")
