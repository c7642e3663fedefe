"""The gate a page passes through to show one agency's data to someone in another. The web layer knows no
domain, so it only says what a gate looks like; the app factory installs governance's access decision as the
gate, and a page asks it with `disclose` before it shows anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from sqlalchemy.orm import Session
from starlette.requests import Request

from wholeplace.web.access import Viewer


@dataclass(frozen=True)
class Asked:
    """One disclosure a page wants to make: for what, about whom, which categories of data."""

    role: str
    purpose: str
    subject_kind: Literal["person", "household", "batch"]
    subject_id: str
    categories: tuple[str, ...]
    case_reference: str
    break_glass_reason: str | None = None


@dataclass(frozen=True)
class Shown:
    """What the gate allows the page to show, and the access-log entry that records it."""

    permitted: bool
    categories: frozenset[str]
    fields: frozenset[str]
    reason: str
    position: int

    def allows(self, category: str) -> bool:
        return category in self.categories


class Gate(Protocol):
    def __call__(
        self, request: Request, db: Session, *, viewer: Viewer, asked: Asked, at: datetime
    ) -> Shown: ...


def disclose(request: Request, db: Session, *, viewer: Viewer, asked: Asked, at: datetime) -> Shown:
    """Ask the installed gate; every call is decided and logged, permitted or not."""
    gate: Gate = request.app.state.disclosure_gate
    return gate(request, db, viewer=viewer, asked=asked, at=at)
