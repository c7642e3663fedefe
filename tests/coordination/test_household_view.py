"""A household or person as a Sight lets a practitioner see them, on SQLite and PostgreSQL: another agency's
rows only where the decision names it for the row's category, named workers and event detail only where their
fields are released, and a person whose choices withhold them shown as nothing but that."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.coordination.test_finding import record
from tests.support import factories
from tests.support.clock import FakeClock
from wholeplace.coordination.models import RegisterEvent, RegisterInvolvement, RegisterRelationship
from wholeplace.coordination.service import household_view, leads, plans
from wholeplace.coordination.service.access import Sight
from wholeplace.core.models import Agency
from wholeplace.core.roles import Role, Sector
from wholeplace.governance.decision import Decision
from wholeplace.governance.service import involvements

COUNCIL = "Testford Council"
HOMES = "Testford Homes"
POLICE = "Testford Police"
HOUSEHOLD = "H-1"
TODAY = date(2026, 11, 2)
BATCH = "00000000-0000-0000-0000-000000000001"


@pytest.fixture
def agencies(db: Session) -> dict[str, Agency]:
    return {
        COUNCIL: factories.agency(db, COUNCIL, sector=Sector.LOCAL_GOVERNMENT),
        HOMES: factories.agency(db, HOMES),
        POLICE: factories.agency(db, POLICE, sector=Sector.POLICE),
    }


def sight(*, withheld: tuple[str, ...] = (), **granted: tuple[str, ...]) -> Sight:
    """A council viewer's sight: each named category permitted for these providers, with the category's fields."""
    fields = {
        "involvement_detail": ("involvement.reference", "involvement.role", "involvement.lead_worker"),
        "event_detail": ("event.detail",),
    }
    return Sight(
        agency=COUNCIL,
        decisions={
            category: Decision(
                permitted=True,
                reason="Allowed.",
                fields=fields.get(category, ("x",)),
                providers=providers,
                withheld=withheld,
            )
            for category, providers in granted.items()
        },
        position=7,
    )


def event(db: Session, agency: Agency, person_id: str, category: str, **values: Any) -> None:
    db.add(
        RegisterEvent(
            person_id=person_id,
            household_id=HOUSEHOLD,
            source="s",
            agency_id=agency.id,
            record_id="R",
            type=values.get("type", "incident"),
            occurred_on=values.get("occurred_on", TODAY - timedelta(days=10)),
            role=values.get("role"),
            reference=values.get("reference"),
            detail=values.get("detail"),
            category=category,
            batch_id=uuid.UUID(BATCH),
        )
    )
    db.flush()


def involvement(db: Session, agency: Agency, person_id: str, **values: Any) -> None:
    db.add(
        RegisterInvolvement(
            person_id=person_id,
            household_id=HOUSEHOLD,
            source="s",
            agency_id=agency.id,
            record_id="R",
            type=values.get("type", "tenancy"),
            reference=None,
            role=None,
            started_on=values.get("started_on", date(2024, 1, 1)),
            ended_on=values.get("ended_on"),
            lead_worker=values.get("lead_worker"),
            batch_id=uuid.UUID(BATCH),
        )
    )
    db.flush()


def view(db: Session, seen: Sight) -> household_view.View:
    return household_view.household(db, household_id=HOUSEHOLD, sight=seen, today=TODAY)


def test_another_agency_s_event_is_hidden_without_its_category(
    db: Session, agencies: dict[str, Agency]
) -> None:
    event(db, agencies[POLICE], "P-1", "criminal_offence", type="arrest")
    event(db, agencies[HOMES], "P-1", "events", type="eviction_notice")
    shown = view(db, sight(events=(HOMES, POLICE)))
    assert [found.type for found in shown.timeline] == ["eviction_notice"]


def test_another_agency_s_event_is_shown_with_its_category(db: Session, agencies: dict[str, Agency]) -> None:
    event(db, agencies[POLICE], "P-1", "criminal_offence", type="arrest")
    shown = view(db, sight(criminal_offence=(POLICE,)))
    assert [(found.type, found.agency) for found in shown.timeline] == [("arrest", POLICE)]


def test_the_viewer_s_own_agency_s_events_need_no_decision(db: Session, agencies: dict[str, Agency]) -> None:
    event(db, agencies[COUNCIL], "P-1", "events", type="early_help_assessment", detail="Mum asked for help.")
    shown = view(db, sight(identity=()))
    assert [(found.type, found.detail) for found in shown.timeline] == [
        ("early_help_assessment", "Mum asked for help.")
    ]


def test_an_event_s_detail_is_shown_only_with_event_detail(db: Session, agencies: dict[str, Agency]) -> None:
    event(db, agencies[HOMES], "P-1", "events", type="eviction_notice", detail="Arrears of six weeks.")
    without = view(db, sight(events=(HOMES,)))
    with_detail = view(db, sight(events=(HOMES,), event_detail=(HOMES,)))
    assert [found.detail for found in without.timeline] == [None]
    assert [found.detail for found in with_detail.timeline] == ["Arrears of six weeks."]


def test_an_event_s_role_and_reference_are_shown_only_where_its_own_category_releases_them(
    db: Session, agencies: dict[str, Agency]
) -> None:
    event(db, agencies[POLICE], "P-1", "criminal_offence", type="incident", role="VICTIM", reference="VP-1")
    seen = sight(criminal_offence=(POLICE,), events=(POLICE,))
    seen.decisions["criminal_offence"] = Decision(
        permitted=True, reason="Allowed.", fields=("event.type", "event.date"), providers=(POLICE,)
    )
    seen.decisions["events"] = Decision(
        permitted=True, reason="Allowed.", fields=("event.role", "event.reference"), providers=(POLICE,)
    )
    [shown] = view(db, seen).timeline
    assert (shown.type, shown.role, shown.reference) == ("incident", None, None)


def test_the_timeline_is_newest_first(db: Session, agencies: dict[str, Agency]) -> None:
    event(db, agencies[HOMES], "P-1", "events", type="older", occurred_on=date(2025, 1, 1))
    event(db, agencies[HOMES], "P-1", "events", type="newer", occurred_on=date(2026, 1, 1))
    assert [found.type for found in view(db, sight(events=(HOMES,))).timeline] == ["newer", "older"]


def test_a_named_worker_is_shown_only_with_involvement_detail(
    db: Session, agencies: dict[str, Agency]
) -> None:
    involvement(db, agencies[HOMES], "P-1", lead_worker="Priya Shah")
    without = view(db, sight(involvement=(HOMES,)))
    named = view(db, sight(involvement=(HOMES,), involvement_detail=(HOMES,)))
    assert [(found.agency, found.workers) for found in without.agencies_now] == [(HOMES, ())]
    assert [(found.agency, found.workers) for found in named.agencies_now] == [(HOMES, ("Priya Shah",))]


def test_agencies_are_involved_now_or_before(db: Session, agencies: dict[str, Agency]) -> None:
    involvement(db, agencies[HOMES], "P-1", type="tenancy")
    involvement(db, agencies[POLICE], "P-1", type="case", ended_on=date(2025, 5, 1))
    shown = view(db, sight(involvement=(HOMES, POLICE)))
    assert [(found.agency, found.types, found.open) for found in shown.agencies_now] == [
        (HOMES, ("tenancy",), True)
    ]
    assert [(found.agency, found.ended_on) for found in shown.agencies_before] == [(POLICE, date(2025, 5, 1))]


def test_an_involvement_opened_by_referral_is_among_the_agencies(
    db: Session, agencies: dict[str, Agency]
) -> None:
    involvements.open_involvement(
        db,
        person_id="P-1",
        household_id=HOUSEHOLD,
        agency_id=agencies[POLICE].id,
        origin="referral",
        reference="R-1",
        on=date(2026, 10, 1),
    )
    shown = view(db, sight(involvement=(POLICE,)))
    assert [(found.agency, found.started_on, found.open) for found in shown.agencies_now] == [
        (POLICE, date(2026, 10, 1), True)
    ]
    assert view(db, sight(involvement=(HOMES,))).agencies_now == ()


def test_members_are_shown_with_identity_and_their_relationships(
    db: Session, agencies: dict[str, Agency]
) -> None:
    record(
        db,
        agencies[HOMES],
        "P-1",
        household_id=HOUSEHOLD,
        given_name="Amara",
        family_name="Okafor",
        date_of_birth=date(1990, 11, 3),
        sex="female",
    )
    record(
        db,
        agencies[HOMES],
        "P-2",
        household_id=HOUSEHOLD,
        given_name="Tobi",
        family_name="Okafor",
        date_of_birth=date(2012, 3, 27),
    )
    db.add(
        RegisterRelationship(
            person_id="P-2",
            household_id=HOUSEHOLD,
            source="homes",
            type="child_of",
            other_person_id="P-1",
            other_name="Amara Okafor",
        )
    )
    db.flush()
    shown = view(db, sight(identity=(HOMES,), household=(HOMES,)))
    assert [(member.name, member.age) for member in shown.members] == [
        ("Amara Okafor", 35),
        ("Tobi Okafor", 14),
    ]
    assert shown.members[1].relationships == (household_view.Relationship("child_of", "Amara Okafor", "P-1"),)
    assert shown.family_names == ("Okafor",)
    assert view(db, sight(contact=(HOMES,))).members == ()


def test_a_withheld_person_is_shown_as_nothing_but_withheld(db: Session, agencies: dict[str, Agency]) -> None:
    record(
        db,
        agencies[HOMES],
        "P-1",
        household_id=HOUSEHOLD,
        given_name="Amara",
        family_name="Okafor",
        address="1 High Street",
        postcode="TF1 2AB",
    )
    record(db, agencies[HOMES], "P-2", household_id=HOUSEHOLD, given_name="Tobi", family_name="Okafor")
    event(db, agencies[HOMES], "P-1", "events", type="eviction_notice")
    shown = view(db, sight(withheld=("P-1",), identity=(HOMES,), contact=(HOMES,), events=(HOMES,)))
    assert [(member.withheld, member.name) for member in shown.members] == [
        (False, "Tobi Okafor"),
        (True, ""),
    ]
    assert shown.timeline == ()
    assert shown.address is None


def test_the_current_address_is_the_most_recently_recorded(db: Session, agencies: dict[str, Agency]) -> None:
    record(
        db,
        agencies[HOMES],
        "P-1",
        household_id=HOUSEHOLD,
        address="1 High Street",
        postcode="TF1 2AB",
        recorded_on=date(2024, 1, 1),
    )
    record(
        db,
        agencies[HOMES],
        "P-2",
        household_id=HOUSEHOLD,
        address="9 Low Road",
        postcode="TF2 3CD",
        recorded_on=date(2026, 2, 1),
    )
    record(
        db,
        agencies[POLICE],
        "P-2",
        household_id=HOUSEHOLD,
        address="5 Hidden Lane",
        postcode="TF3 4EF",
        recorded_on=date(2026, 9, 1),
    )
    shown = view(db, sight(contact=(HOMES,)))
    assert shown.address == household_view.Address("9 Low Road", "TF2 3CD", date(2026, 2, 1))
    assert [address.text for address in shown.addresses] == ["9 Low Road", "1 High Street"]


def test_the_needs_of_the_open_plan_and_the_lead_are_shown(
    db: Session, agencies: dict[str, Agency], clock: FakeClock
) -> None:
    factories.user(
        db, Role.LEAD_PROFESSIONAL, username="tom", at=agencies[COUNCIL]
    ).full_name = "Tom Kowalski"
    plan = plans.open_plan(
        db, household_id=HOUSEHOLD, family_words="Keep the flat.", family_priorities="", by="tom", at=clock()
    )
    plans.add_need(
        db,
        plan_id=plan.id,
        outcome_area="housing",
        description="Rent arrears",
        goal="Arrears cleared",
        by="tom",
        at=clock(),
    )
    leads.assign(
        db,
        household_id=HOUSEHOLD,
        username="tom",
        family_agreed_on=TODAY,
        family_agreement="Agreed.",
        by="tom",
        at=clock(),
    )
    shown = view(db, sight(identity=()))
    assert [need.description for need in shown.needs] == ["Rent arrears"]
    assert shown.lead == household_view.Lead("Tom Kowalski", COUNCIL)


def test_a_postcode_alone_is_not_a_second_address_where_the_full_one_is_known(
    db: Session, agencies: dict[str, Agency]
) -> None:
    record(db, agencies[HOMES], "P-1", household_id=HOUSEHOLD, address="1 High Street", postcode="TF1 2AB")
    record(
        db, agencies[HOMES], "P-2", household_id=HOUSEHOLD, postcode="TF1 2AB", recorded_on=date(2026, 1, 1)
    )
    shown = view(db, sight(contact=(HOMES,)))
    assert [(address.text, address.postcode) for address in shown.addresses] == [("1 High Street", "TF1 2AB")]


def test_a_family_name_two_agencies_capitalise_differently_is_named_once(
    db: Session, agencies: dict[str, Agency]
) -> None:
    for person, family_name in (("P-1", "HILL"), ("P-2", "Hill")):
        record(
            db,
            agencies[HOMES],
            person,
            household_id=HOUSEHOLD,
            given_name="Sam",
            family_name=family_name,
            date_of_birth=date(1990, 1, 1),
        )
    assert view(db, sight(identity=(HOMES,))).family_names == ("HILL",)
