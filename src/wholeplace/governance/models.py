"""Tables of the governance domain: sharing agreements and their versions, the purposes a place recognises,
people's consents and objections, which agencies are involved with whom, and the access log with its
signed checkpoints, exemptions and break-glass reviews.

The access log, its checkpoints and its exemptions are append-only: migration 0004 puts triggers on them that
refuse updates and deletes, on SQLite and PostgreSQL alike. Every value an entry's hash covers is stored as
text, integer or boolean, so that `audit verify` recomputes the hash from exactly what the database holds.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wholeplace.core.models import Base, new_id

PERSON_ID = 40
HASH = 64


class Purpose(Base):
    """A purpose a place added to the built-in ones (governance.vocabulary.PURPOSES)."""

    __tablename__ = "purpose"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    roles: Mapped[list[str]] = mapped_column(JSON)  # the roles that may act for it
    needs_involvement: Mapped[bool] = mapped_column(Boolean)
    needs_case_reference: Mapped[bool] = mapped_column(Boolean)
    # a front door may look at someone for this long before it is involved
    first_inquiry_hours: Mapped[int | None] = mapped_column(Integer)
    deidentified: Mapped[bool] = mapped_column(Boolean)
    vital_interests: Mapped[bool] = mapped_column(Boolean)  # break-glass
    created_at: Mapped[datetime]


class Agreement(Base):
    """One version of a sharing agreement. A new version is a new row; the reference ties the versions."""

    __tablename__ = "agreement"
    __table_args__ = (
        UniqueConstraint("reference", "version", name="uq_agreement_reference_version"),
        Index("ix_agreement_status", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))  # draft, active, suspended, expired
    effective_from: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    review_by: Mapped[date | None] = mapped_column(Date)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # governance.schemas.AgreementBody
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    status_changed_by: Mapped[str | None] = mapped_column(String(200))
    status_changed_at: Mapped[datetime | None]
    status_reason: Mapped[str | None] = mapped_column(Text)


class AgreementStatusChange(Base):
    """Each time a version's status changed: the history the version page shows, never rewritten."""

    __tablename__ = "agreement_status_change"
    __table_args__ = (Index("ix_agreement_status_change_agreement_id", "agreement_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreement.id"))
    status: Mapped[str] = mapped_column(String(20))
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)


class ConsentRecord(Base):
    """A person's consent or objection, given by them or on a child's behalf; a change is a new record that
    supersedes the one before, so the history stays."""

    __tablename__ = "consent_record"
    __table_args__ = (Index("ix_consent_record_person_id", "person_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(String(PERSON_ID))
    kind: Mapped[str] = mapped_column(String(20))  # consent, objection
    status: Mapped[str] = mapped_column(String(20))  # given, refused, withdrawn, expired
    purposes: Mapped[list[str]] = mapped_column(JSON)  # empty: every purpose
    recipients: Mapped[list[str]] = mapped_column(JSON)  # agency names; empty: every recipient
    categories: Mapped[list[str]] = mapped_column(JSON)  # empty: every category
    given_by: Mapped[str] = mapped_column(String(200))  # "the person", or the parent's or guardian's name
    given_by_relationship: Mapped[str | None] = mapped_column(String(40))  # parent, guardian
    evidence: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime]
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("consent_record.id"))
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)


class Involvement(Base):
    """An agency's work with a person, as the linked records or a referral show it: what the access decision
    asks when it checks that the user's agency has a reason to know the person."""

    __tablename__ = "involvement"
    __table_args__ = (
        Index("ix_involvement_person_agency", "person_id", "agency_id"),
        Index("ix_involvement_household_agency", "household_id", "agency_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(PERSON_ID))
    household_id: Mapped[str | None] = mapped_column(String(PERSON_ID))
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    origin: Mapped[str] = mapped_column(String(20))  # records, referral, lead (coordination.service.leads)
    reference: Mapped[str | None] = mapped_column(String(200))
    link_run: Mapped[int | None] = mapped_column(Integer)  # the linkage run the records came from


class InvolvementIndex(Base):
    """Which linkage run the involvements from records were last rebuilt from: one row."""

    __tablename__ = "involvement_index"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    link_run: Mapped[int] = mapped_column(Integer)
    rebuilt_at: Mapped[datetime]


class FirstInquiry(Base):
    """A front door's first look at someone it is not yet involved with: allowed for a limited time."""

    __tablename__ = "first_inquiry"
    __table_args__ = (
        UniqueConstraint(
            "agency_id", "subject_kind", "subject_id", "case_reference", name="uq_first_inquiry_case"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(PERSON_ID))
    case_reference: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(60))
    opened_at: Mapped[datetime]
    closes_at: Mapped[datetime]


class AccessLogEntry(Base):
    """One access decision, permitted or denied. Append-only and hash-chained: `entry_hash` covers every other
    column and the hash of the entry before."""

    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_subject", "subject_kind", "subject_id"),
        Index("ix_access_log_username", "username"),
        Index("ix_access_log_agency", "agency"),
        Index("ix_access_log_at", "at"),
    )

    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))  # ISO 8601 in UTC, microseconds: the hashed text itself
    username: Mapped[str] = mapped_column(String(100))
    agency: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(60))
    case_reference: Mapped[str] = mapped_column(String(100))
    subject_kind: Mapped[str] = mapped_column(String(20))  # person, household
    subject_id: Mapped[str] = mapped_column(String(PERSON_ID))
    categories: Mapped[str] = mapped_column(Text)  # canonical JSON list
    fields: Mapped[str] = mapped_column(Text)  # canonical JSON list of the fields released
    agreements: Mapped[str] = mapped_column(Text)  # canonical JSON list of "reference@version"
    lawful_basis: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(10))  # permit, deny
    reason: Mapped[str] = mapped_column(Text)
    break_glass: Mapped[bool] = mapped_column(Boolean)
    previous_hash: Mapped[str] = mapped_column(String(HASH))
    entry_hash: Mapped[str] = mapped_column(String(HASH))


class LogCheckpoint(Base):
    """The chain's head at a position, signed with the place's Ed25519 key so partners can witness it."""

    __tablename__ = "log_checkpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    position: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(HASH))
    signed_at: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(HASH))  # SHA-256 of the raw public key
    signature: Mapped[str] = mapped_column(String(128))  # hex


class AccessExemption(Base):
    """An access withheld from the person's own report until a date, on a documented legal ground."""

    __tablename__ = "access_exemption"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    position: Mapped[int] = mapped_column(ForeignKey("access_log.position"))
    # e.g. DPA 2018 Sch. 2 para. 2: prevention or detection of crime
    ground: Mapped[str] = mapped_column(Text)
    withheld_until: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime]


class BreakGlassReview(Base):
    """The information governance officer's review of an access made in an emergency."""

    __tablename__ = "break_glass_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    position: Mapped[int] = mapped_column(ForeignKey("access_log.position"), unique=True)
    status: Mapped[str] = mapped_column(String(20))  # awaiting, justified, not_justified
    finding: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None]
