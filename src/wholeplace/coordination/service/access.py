"""How coordination asks the access decision: every page, alert and export that shows one agency's data to
another asks here first, for the purpose and case the practitioner is working under, and gets back what it may
show, row by row. One call is one access-log entry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from wholeplace.core import service as core
from wholeplace.core.errors import ConfigurationError
from wholeplace.core.models import User
from wholeplace.governance import signing
from wholeplace.governance.decision import Decision, Subject
from wholeplace.governance.service import decisions
from wholeplace.sources.lake import Lake
from wholeplace.web.access import Viewer

NOT_HELD = "role_not_held"


@dataclass(frozen=True)
class Working:
    """The purpose a practitioner works under, and the case reference where the purpose needs one."""

    purpose: str
    case_reference: str = ""


@dataclass(frozen=True)
class Sight:
    """What one decision lets a page show: categories, and within each, whose rows and which fields."""

    agency: str  # the viewer's own agency: its own rows need no decision
    decisions: dict[str, Decision]
    position: int  # the access-log entry, for "why can I see this"

    @property
    def permitted(self) -> bool:
        return any(decision.permitted for decision in self.decisions.values())

    def allows(self, category: str) -> bool:
        decision = self.decisions.get(category)
        return decision is not None and decision.permitted

    def shows(self, category: str, *, provider: str, person_id: str | None = None) -> bool:
        """Whether a row of this category, held by `provider`, about `person_id`, may be shown."""
        if provider == self.agency:
            return True
        decision = self.decisions.get(category)
        if decision is None or not decision.permitted:
            return False
        if person_id is not None and person_id in decision.withheld:
            return False
        return decision.break_glass or provider in decision.providers

    def field_shown(self, category: str, name: str) -> bool:
        decision = self.decisions.get(category)
        return decision is not None and decision.permitted and name in decision.fields

    def reason(self, category: str) -> str:
        decision = self.decisions.get(category)
        return decision.reason if decision is not None else "Not asked for."


def asker_for(db: Session, viewer: Viewer, purpose: str) -> decisions.Asker:
    """The viewer as the decision sees them: their agency, and the first role of theirs the purpose admits."""
    agency = core.find_agency(db, viewer.agency_name)
    if agency is None:
        raise ConfigurationError(
            f"The agency {viewer.agency_name!r} of user {viewer.username} is not in the place."
        )
    terms = decisions.purpose_terms(db, purpose)
    admitted = sorted(role for role in viewer.roles if terms is not None and role in terms.roles)
    return decisions.Asker(
        username=viewer.username,
        agency_id=agency.id,
        agency=agency.name,
        role=admitted[0] if admitted else NOT_HELD,
    )


def see(
    db: Session,
    *,
    data_dir: Path,
    viewer: Viewer,
    working: Working,
    subject: Subject,
    categories: tuple[str, ...],
    at: datetime,
    break_glass_reason: str | None = None,
) -> Sight:
    """Decide and log one disclosure about a person or household."""
    asker = asker_for(db, viewer, working.purpose)
    disclosure = decisions.disclose(
        db,
        Lake.in_data_dir(data_dir),
        asker=asker,
        purpose=working.purpose,
        subject=subject,
        categories=categories,
        case_reference=working.case_reference,
        at=at,
        break_glass_reason=break_glass_reason,
        signing_key=lambda: signing.place_key(data_dir),
    )
    return Sight(asker.agency, disclosure.decisions, disclosure.position)


def viewer_of(user: User) -> Viewer:
    """A user as the access decision sees a signed-in viewer, for work done without a browser."""
    return Viewer(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        agency_name=user.agency.name,
        roles=user.roles,
    )


def agency_id_of(db: Session, viewer: Viewer) -> uuid.UUID:
    agency = core.find_agency(db, viewer.agency_name)
    if agency is None:
        raise ConfigurationError(
            f"The agency {viewer.agency_name!r} of user {viewer.username} is not in the place."
        )
    return agency.id
