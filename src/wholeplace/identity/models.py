"""Tables of the identity domain: each linkage run, the thresholds a place chose, how people and households changed
between runs, the pairs waiting for clerical review, and every decision people made about a pair.

Which record belongs to which person, and which person to which household, is kept beside the lake by run (see
identity.store): a million rows there, not here.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wholeplace.core.models import Base, new_id

RECORD_KEY = 250  # "source:record id"
CLUSTER_ID = 40


class LinkRun(Base):
    """One linkage of the place's records: what it saw, what it made, which thresholds it used."""

    __tablename__ = "link_run"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    sequence: Mapped[int] = mapped_column(Integer, unique=True)  # runs in the order they were made
    kind: Mapped[str] = mapped_column(String(20))  # full, new records, decision
    backend: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    started_by: Mapped[str] = mapped_column(String(200))
    records: Mapped[int] = mapped_column(Integer)
    comparisons: Mapped[int] = mapped_column(Integer)
    links: Mapped[int] = mapped_column(Integer)
    review_pairs: Mapped[int] = mapped_column(Integer)
    people: Mapped[int] = mapped_column(Integer)
    households: Mapped[int] = mapped_column(Integer)
    upper: Mapped[float] = mapped_column(Float)
    lower: Mapped[float] = mapped_column(Float)
    thresholds_from: Mapped[str] = mapped_column(String(20))  # model or place
    model_hash: Mapped[str] = mapped_column(String(64))
    folder: Mapped[str] = mapped_column(String(100))


class LinkThresholds(Base):
    """Thresholds a place set for itself; the latest applies. None set: chosen from the model's estimates."""

    __tablename__ = "link_thresholds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    upper: Mapped[float | None] = mapped_column(Float)
    lower: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime]


class IdentityChange(Base):
    """A merge, split or ending of a person or household between one run and the one before."""

    __tablename__ = "identity_change"
    __table_args__ = (
        Index("ix_identity_change_kept", "kept"),
        Index("ix_identity_change_other", "other"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("link_run.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(20))  # person or household
    kind: Mapped[str] = mapped_column(String(10))  # merge, split, ended
    kept: Mapped[str] = mapped_column(String(CLUSTER_ID))
    other: Mapped[str] = mapped_column(String(CLUSTER_ID))
    members: Mapped[int] = mapped_column(Integer)


class ReviewPair(Base):
    """A pair of records the model could not decide alone, waiting for (or given) a person's decision."""

    __tablename__ = "review_pair"
    __table_args__ = (
        UniqueConstraint("record_l", "record_r", name="uq_review_pair_records"),
        Index("ix_review_pair_status_impact", "status", "impact"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    record_l: Mapped[str] = mapped_column(String(RECORD_KEY))
    record_r: Mapped[str] = mapped_column(String(RECORD_KEY))
    match_weight: Mapped[float] = mapped_column(Float)
    match_probability: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(80))
    impact: Mapped[int] = mapped_column(Integer)  # records whose person a "same person" decision would change
    status: Mapped[str] = mapped_column(String(20))  # open, decided, vanished
    levels: Mapped[str] = mapped_column(Text)  # JSON: per comparison, its level and match weight
    queued_at: Mapped[datetime]


class LinkDecision(Base):
    """What a person decided about two records, and why. Kept for good: the latest decision on a pair applies
    to every later run, and decisions are the labels the next training learns from."""

    __tablename__ = "link_decision"
    __table_args__ = (Index("ix_link_decision_records", "record_l", "record_r"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    record_l: Mapped[str] = mapped_column(String(RECORD_KEY))
    record_r: Mapped[str] = mapped_column(String(RECORD_KEY))
    decision: Mapped[str] = mapped_column(String(20))  # same, different, not sure
    reason: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(20))  # review or undo
    person_id: Mapped[str | None] = mapped_column(String(CLUSTER_ID))  # undo: the person the record left
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime]
