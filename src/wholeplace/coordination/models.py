"""Tables of the coordination domain: the register (a projection of the linked records that practitioners
search and read, rebuilt after each linkage run), and the team around the household — lead professionals,
shared plans with their needs, actions and versions, meetings, referrals between agencies, alerts, and the
sustainment checks that follow a closed plan."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from wholeplace.core.models import Base, new_id

PERSON_ID = 40
SHORT = 60
NAME = 200


# The register: what the latest linkage run says, in rows a page can read in milliseconds.


class RegisterRecord(Base):
    """One agency's record of a linked person, as its current row in the lake says, with keys to search by."""

    __tablename__ = "register_record"
    __table_args__ = (
        Index("ix_register_record_person_id", "person_id"),
        Index("ix_register_record_household_id", "household_id"),
        Index("ix_register_record_family_key_birth", "family_key", "date_of_birth"),
        Index(
            "ix_register_record_family_key_given_key",
            "family_key",
            "given_key",
            postgresql_ops={"given_key": "varchar_pattern_ops"},
        ),
        Index("ix_register_record_postcode_key", "postcode_key"),
        Index("ix_register_record_nhs_number", "nhs_number"),
        Index("ix_register_record_ni_number", "ni_number"),
        Index("ix_register_record_upn", "upn"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(PERSON_ID))
    household_id: Mapped[str | None] = mapped_column(String(PERSON_ID))
    source: Mapped[str] = mapped_column(String(SHORT))
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    record_id: Mapped[str] = mapped_column(String(NAME))
    given_name: Mapped[str | None] = mapped_column(String(NAME))
    family_name: Mapped[str | None] = mapped_column(String(NAME))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(Text)  # the lines, locality and town, joined for display
    postcode: Mapped[str | None] = mapped_column(String(20))
    uprn: Mapped[str | None] = mapped_column(String(20))
    nhs_number: Mapped[str | None] = mapped_column(String(20))
    ni_number: Mapped[str | None] = mapped_column(String(20))
    upn: Mapped[str | None] = mapped_column(String(20))
    recorded_on: Mapped[date | None] = mapped_column(Date)  # updated_at, or the day the extract was loaded
    given_key: Mapped[str] = mapped_column(String(NAME))  # folded: lower case, no accents or punctuation
    family_key: Mapped[str] = mapped_column(String(NAME))
    postcode_key: Mapped[str] = mapped_column(String(20))  # upper case, no spaces


class RegisterEvent(Base):
    """A significant event in an agency's record of a linked person, with the data category it falls in."""

    __tablename__ = "register_event"
    __table_args__ = (
        Index("ix_register_event_person_id", "person_id", "occurred_on"),
        Index("ix_register_event_household_id", "household_id", "occurred_on"),
        Index("ix_register_event_type", "type", "occurred_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(PERSON_ID))
    household_id: Mapped[str | None] = mapped_column(String(PERSON_ID))
    source: Mapped[str] = mapped_column(String(SHORT))
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    record_id: Mapped[str] = mapped_column(String(NAME))
    type: Mapped[str] = mapped_column(String(SHORT))
    occurred_on: Mapped[date] = mapped_column(Date)
    role: Mapped[str | None] = mapped_column(String(NAME))
    reference: Mapped[str | None] = mapped_column(String(NAME))
    detail: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(SHORT))  # events, health, criminal_offence
    batch_id: Mapped[uuid.UUID]  # the ingest batch it came in: what the alert scanner has not seen yet


class RegisterInvolvement(Base):
    """An agency's case, episode, tenancy, claim or plan with a linked person, with its named worker."""

    __tablename__ = "register_involvement"
    __table_args__ = (
        Index("ix_register_involvement_person_id", "person_id"),
        Index("ix_register_involvement_household_id", "household_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(PERSON_ID))
    household_id: Mapped[str | None] = mapped_column(String(PERSON_ID))
    source: Mapped[str] = mapped_column(String(SHORT))
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    record_id: Mapped[str] = mapped_column(String(NAME))
    type: Mapped[str | None] = mapped_column(String(SHORT))
    reference: Mapped[str | None] = mapped_column(String(NAME))
    role: Mapped[str | None] = mapped_column(String(NAME))
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    lead_worker: Mapped[str | None] = mapped_column(String(NAME))
    batch_id: Mapped[uuid.UUID]


class RegisterRelationship(Base):
    """What another person is to a linked person, as a source states it; the other is linked where it can be."""

    __tablename__ = "register_relationship"
    __table_args__ = (
        Index("ix_register_relationship_person_id", "person_id"),
        Index("ix_register_relationship_household_id", "household_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(PERSON_ID))
    household_id: Mapped[str | None] = mapped_column(String(PERSON_ID))
    source: Mapped[str] = mapped_column(String(SHORT))
    type: Mapped[str] = mapped_column(String(20))
    other_person_id: Mapped[str | None] = mapped_column(String(PERSON_ID))
    other_name: Mapped[str | None] = mapped_column(String(NAME))


class RegisterState(Base):
    """Which linkage run the register was built from: one row."""

    __tablename__ = "register_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    link_run: Mapped[int] = mapped_column(Integer)
    rebuilt_at: Mapped[datetime]


# The team around the household.


class LeadProfessional(Base):
    """A household's lead professional for a spell; one at a time, a handover ends one spell and starts the next."""

    __tablename__ = "lead_professional"
    __table_args__ = (
        Index("ix_lead_professional_household_id", "household_id"),
        Index("ix_lead_professional_username", "username"),
        Index(
            "uq_lead_professional_current",
            "household_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    household_id: Mapped[str] = mapped_column(String(PERSON_ID))
    username: Mapped[str] = mapped_column(String(100))
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    family_agreed_on: Mapped[date] = mapped_column(Date)
    family_agreement: Mapped[str] = mapped_column(Text)  # how the family agreed, in the worker's words
    assigned_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(100))
    handover_reason: Mapped[str | None] = mapped_column(Text)


class Plan(Base):
    """A household's one shared plan: open until closed with each need's outcome, then checked for sustainment."""

    __tablename__ = "plan"
    __table_args__ = (
        Index("ix_plan_household_id", "household_id"),
        Index(
            "uq_plan_open",
            "household_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    household_id: Mapped[str] = mapped_column(String(PERSON_ID))
    status: Mapped[str] = mapped_column(String(20))  # open, closed
    version: Mapped[int] = mapped_column(Integer)  # the latest saved version
    family_words: Mapped[str] = mapped_column(Text)  # what the family says, in its own words
    family_priorities: Mapped[str] = mapped_column(Text)
    opened_by: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[datetime]
    closed_by: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[datetime | None]
    closing_summary: Mapped[str | None] = mapped_column(Text)


class PlanNeed(Base):
    """A need in a plan, coded to an outcome area of the place's framework, with its goal and, at closure, the
    outcome reached and the evidence for it."""

    __tablename__ = "plan_need"
    __table_args__ = (Index("ix_plan_need_plan_id", "plan_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan.id"))
    outcome_area: Mapped[str] = mapped_column(String(SHORT))
    description: Mapped[str] = mapped_column(Text)
    goal: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    result: Mapped[str | None] = mapped_column(String(20))  # achieved, partly_achieved, not_achieved
    evidence: Mapped[str | None] = mapped_column(Text)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)


class PlanAction(Base):
    """Something an agency's named worker will do towards a need, by a date."""

    __tablename__ = "plan_action"
    __table_args__ = (
        Index("ix_plan_action_need_id", "need_id"),
        Index("ix_plan_action_worker", "worker_username", "status", "due_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    need_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan_need.id"))
    description: Mapped[str] = mapped_column(Text)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    worker_name: Mapped[str] = mapped_column(String(NAME))
    worker_username: Mapped[str | None] = mapped_column(String(100))  # when the worker uses wholeplace
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # open, done, cancelled
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("meeting.id"))  # decided at a meeting
    done_on: Mapped[date | None] = mapped_column(Date)


class PlanVersion(Base):
    """The whole plan as saved: every change keeps the version before it."""

    __tablename__ = "plan_version"
    __table_args__ = (UniqueConstraint("plan_id", "version", name="uq_plan_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan.id"))
    version: Mapped[int] = mapped_column(Integer)
    saved_by: Mapped[str] = mapped_column(String(100))
    saved_at: Mapped[datetime]
    change: Mapped[str] = mapped_column(Text)  # what changed, in a line
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)


class Meeting(Base):
    """A multi-agency meeting about a household."""

    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_household_id", "household_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    household_id: Mapped[str] = mapped_column(String(PERSON_ID))
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plan.id"))
    kind: Mapped[str] = mapped_column(String(100))
    held_on: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))  # planned, held
    notes: Mapped[str] = mapped_column(Text, default="")
    arranged_by: Mapped[str] = mapped_column(String(100))
    recorded_by: Mapped[str | None] = mapped_column(String(100))


class MeetingInvitee(Base):
    __tablename__ = "meeting_invitee"
    __table_args__ = (Index("ix_meeting_invitee_meeting_id", "meeting_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting.id"))
    name: Mapped[str] = mapped_column(String(NAME))
    username: Mapped[str | None] = mapped_column(String(100))
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    attended: Mapped[bool | None] = mapped_column(Boolean)  # None until the meeting is recorded


class MeetingDecision(Base):
    """What a meeting decided; a decision that someone will do something becomes an action in the plan."""

    __tablename__ = "meeting_decision"
    __table_args__ = (Index("ix_meeting_decision_meeting_id", "meeting_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting.id"))
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)  # the order the meeting came to its decisions
    action_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plan_action.id"))


class Referral(Base):
    """A request from one agency to another to work with a person or household, against an agreed time."""

    __tablename__ = "referral"
    __table_args__ = (
        Index("ix_referral_to_agency", "to_agency_id", "status"),
        Index("ix_referral_from_agency", "from_agency_id", "status"),
        Index("ix_referral_household_id", "household_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    household_id: Mapped[str | None] = mapped_column(String(PERSON_ID))
    person_id: Mapped[str] = mapped_column(String(PERSON_ID))
    from_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    from_username: Mapped[str] = mapped_column(String(100))
    to_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    purpose: Mapped[str] = mapped_column(String(SHORT))
    reason: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(20))  # routine, urgent, immediate
    decision_position: Mapped[int] = mapped_column(Integer)  # the access-log entry that allowed sending it
    made_at: Mapped[datetime]
    respond_by: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))  # waiting, accepted, declined, withdrawn
    responded_by: Mapped[str | None] = mapped_column(String(100))
    responded_at: Mapped[datetime | None]
    response_reason: Mapped[str | None] = mapped_column(Text)
    involvement_id: Mapped[int | None] = mapped_column(Integer)  # governance's involvement, once accepted


class Alert(Base):
    """Something a worker should know about a household they work with, decided and logged before it is shown."""

    __tablename__ = "alert"
    __table_args__ = (
        UniqueConstraint("username", "about", name="uq_alert_username_about"),
        Index("ix_alert_username_read", "username", "read_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(100))
    household_id: Mapped[str] = mapped_column(String(PERSON_ID))
    kind: Mapped[str] = mapped_column(String(30))  # new_involvement, significant_event, referral, relapse
    about: Mapped[str] = mapped_column(String(NAME))  # what it is about, so the same thing alerts once
    summary: Mapped[str] = mapped_column(Text)  # only what the decision released
    occurred_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    decision_position: Mapped[int | None] = mapped_column(Integer)
    read_at: Mapped[datetime | None]


class AlertScan(Base):
    """When the alert scanner last read, and the register's link run it read: one row."""

    __tablename__ = "alert_scan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    link_run: Mapped[int] = mapped_column(Integer)
    scanned_at: Mapped[datetime]


class AlertScannedBatch(Base):
    """An ingest batch whose news the scanner has read: rows of batches not listed here are new."""

    __tablename__ = "alert_scanned_batch"

    batch_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class SustainmentCheck(Base):
    """Whether a closed plan's achieved outcome held, checked against the linked data when it falls due."""

    __tablename__ = "sustainment_check"
    __table_args__ = (
        Index("ix_sustainment_check_due", "status", "due_on"),
        Index("ix_sustainment_check_plan_id", "plan_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan.id"))
    need_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan_need.id"))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # due, sustained, relapsed
    checked_at: Mapped[datetime | None]
    findings: Mapped[list[str]] = mapped_column(JSON, default=list)


class PlaceSetting(Base):
    """A coordination setting a place may change: the outcomes framework, significant event types,
    sustainment rules and months, response times. Absent: the default in coordination.framework."""

    __tablename__ = "coordination_setting"

    key: Mapped[str] = mapped_column(String(SHORT), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime]
