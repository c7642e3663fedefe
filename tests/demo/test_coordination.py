"""The demo's coordination on SQLite and PostgreSQL: a meeting names the lead professional as the user they are,
even when another agency has a worker of the same name (as a place of a million residents does), and the
police's referral is about someone whose own choices allow it, whatever the ids of this build."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.orm import Session

from tests.support import factories
from tests.support.clock import FakeClock
from wholeplace.coordination.models import RegisterEvent
from wholeplace.coordination.service import meetings
from wholeplace.core.roles import Role, Sector
from wholeplace.demo import coordination
from wholeplace.governance.service import consent


def test_a_namesake_of_the_lead_at_another_agency_is_invited_as_themselves(
    db: Session, clock: FakeClock
) -> None:
    probation = factories.agency(db, "Testford Probation", sector=Sector.JUSTICE)
    police = factories.agency(db, "Testford Police", sector=Sector.POLICE)
    lead = factories.user(db, Role.LEAD_PROFESSIONAL, username="adam.smith.tp", at=probation)
    lead.full_name = "Adam Smith"
    meeting = {
        "kind": "team around the family",
        "held_on": clock().date().isoformat(),
        "invitees": [
            {"name": "Adam Smith", "agency": police.name, "attended": True},
            {"name": "Adam Smith", "agency": probation.name, "attended": True},
        ],
        "decisions": [],
    }

    coordination._hold(
        db, "H-1", meeting, lead.username, {a.name: a for a in (probation, police)}, now=clock()
    )

    (held,) = meetings.meetings_of(db, "H-1")
    invited = {(row.agency_id, row.username) for row in meetings.invitees(db, held.id)}
    assert invited == {(police.id, None), (probation.id, lead.username)}


def test_the_referral_is_about_the_latest_victim_who_has_not_objected(db: Session, clock: FakeClock) -> None:
    police = factories.agency(db, "Testford Police", sector=Sector.POLICE)
    for person, day in (("P-objects", date(2026, 3, 20)), ("P-silent", date(2026, 3, 1))):
        db.add(
            RegisterEvent(
                person_id=person,
                household_id=f"H-{person}",
                source="police",
                agency_id=police.id,
                record_id=person,
                type="domestic_abuse_incident",
                occurred_on=day,
                category="criminal_offence",
                batch_id=uuid.uuid4(),
            )
        )
    assert coordination._known_to(db, police.id) == ("P-objects", "H-P-objects")

    consent.record_choice(
        db,
        person_id="P-objects",
        kind="objection",
        status="given",
        scope=consent.Scope(purposes=frozenset({"early_help"})),
        given_by=consent.GivenBy(),
        evidence="Said so at the front desk",
        by="officer",
        at=clock(),
    )

    assert coordination._known_to(db, police.id) == ("P-silent", "H-P-silent")
