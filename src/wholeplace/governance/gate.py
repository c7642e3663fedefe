"""Governance's access decision, installed by the app factory as the web layer's disclosure gate: every page
that shows one agency's data to another asks it, and it decides and logs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session
from starlette.requests import Request

from wholeplace.core import service as core
from wholeplace.core.errors import ConfigurationError
from wholeplace.governance import signing
from wholeplace.governance.decision import Subject
from wholeplace.governance.service import decisions
from wholeplace.sources.lake import Lake
from wholeplace.web.access import Viewer
from wholeplace.web.disclosure import Asked, Shown

NOT_HELD = "role_not_held"


def access_decision_gate(
    request: Request, db: Session, *, viewer: Viewer, asked: Asked, at: datetime
) -> Shown:
    agency = core.find_agency(db, viewer.agency_name)
    if agency is None:
        raise ConfigurationError(
            f"The agency {viewer.agency_name!r} of user {viewer.username} is not in the place."
        )
    disclosure = decisions.disclose(
        db,
        Lake.in_data_dir(request.app.state.settings.data_dir),
        asker=decisions.Asker(
            username=viewer.username,
            agency_id=agency.id,
            agency=agency.name,
            role=asked.role if asked.role in viewer.roles else NOT_HELD,
        ),
        purpose=asked.purpose,
        subject=Subject(asked.subject_kind, asked.subject_id),
        categories=asked.categories,
        case_reference=asked.case_reference,
        at=at,
        break_glass_reason=asked.break_glass_reason,
        signing_key=lambda: signing.place_key(request.app.state.settings.data_dir),
    )
    return Shown(
        permitted=disclosure.permitted,
        categories=frozenset(category for category in asked.categories if disclosure.allows(category)),
        fields=frozenset(disclosure.fields),
        reason=" ".join(decision.reason for decision in disclosure.decisions.values()),
        position=disclosure.position,
    )
