"""Shapes of the sources domain's API input and output."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field


class RecordsIn(BaseModel):
    """Records named as the standard names them (docs/data-standard.md), each with its `record_id`."""

    records: list[dict[str, Any]] = Field(min_length=1, max_length=50_000)


class BatchOut(BaseModel):
    batch_id: uuid.UUID
    source: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    duplicate_of: uuid.UUID | None
