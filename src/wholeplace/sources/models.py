"""Tables of the sources domain: each source and its mapping, each batch loaded, and the rows set aside."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wholeplace.core.models import Agency, Base, new_id


class Source(Base):
    """One system of one agency, and the mapping that turns its extracts into the standard."""

    __tablename__ = "source"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    entity: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    mapping_text: Mapped[str] = mapped_column(Text)
    mapping_version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]

    agency: Mapped[Agency] = relationship(lazy="joined")


class Batch(Base):
    """One file (or one API push) loaded into a source: where it came from, who loaded it, what became of it."""

    __tablename__ = "ingest_batch"
    __table_args__ = (
        UniqueConstraint("source_id", "content_hash", "mapping_version", name="uq_ingest_batch_source_hash"),
        UniqueConstraint("source_id", "sequence", name="uq_ingest_batch_source_sequence"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    source_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("source.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    file_format: Mapped[str] = mapped_column(String(20))
    encoding: Mapped[str | None] = mapped_column(String(40))
    rows_read: Mapped[int] = mapped_column(Integer)
    rows_loaded: Mapped[int] = mapped_column(Integer)
    rows_quarantined: Mapped[int] = mapped_column(Integer)
    mapping_version: Mapped[str] = mapped_column(String(64))
    standard_version: Mapped[str] = mapped_column(String(20))
    loaded_by: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[datetime]
    quality: Mapped[str] = mapped_column(Text)  # JSON: rows, and per field its values present and problems

    source: Mapped[Source] = relationship(lazy="joined")


class QuarantinedRow(Base):
    """An input row that could not be a record: kept with where it was, what was wrong and what to do."""

    __tablename__ = "quarantined_row"
    __table_args__ = (Index("ix_quarantined_row_batch_row", "batch_id", "row_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ingest_batch.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column(Integer)
    column_name: Mapped[str | None] = mapped_column(String(200))
    value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(40))
    problem: Mapped[str] = mapped_column(Text)
    fix: Mapped[str] = mapped_column(Text)
