"""The demo's coordination on SQLite and PostgreSQL: a meeting names the lead professional as the user they are,
even when another agency has a worker of the same name (as a place of a million residents does)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.support import factories
from tests.support.clock import FakeClock
from wholeplace.coordination.service import meetings
from wholeplace.core.roles import Role, Sector
from wholeplace.demo import coordination


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
