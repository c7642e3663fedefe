"""The referral pages and the alerts inbox, on SQLite and PostgreSQL: a referral made through the form (each
missing answer in the error summary, a refusal with its reason and what to do), answered by the receiving agency
with a reason, seen by no other agency, and the inbox read and marked."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Sequence
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.identity.test_views import error_summary
from tests.support import factories
from tests.support.agreements import in_force
from tests.support.clock import FakeClock
from tests.support.web import post_form, sign_in
from wholeplace.coordination.models import Alert, Referral, RegisterRecord
from wholeplace.coordination.service import access, alerts, referrals
from wholeplace.core.models import Agency, User
from wholeplace.core.roles import Role, Sector
from wholeplace.core.settings import Settings
from wholeplace.governance.models import AccessLogEntry

PERSON, HOUSEHOLD = "P-ADA", "H-1"
NEW = f"/households/{HOUSEHOLD}/referrals/new"
REFERRED: dict[str, Sequence[str]] = {
    "identity": ("given_name", "family_name", "date_of_birth"),
    "contact": ("address_line_1", "postcode"),
    "involvement": ("involvement.agency",),
}
REASON = "Three call-outs to the home this month."


@pytest.fixture
def police(db: Session) -> Agency:
    return factories.agency(db, "Testford Police", sector=Sector.POLICE)


@pytest.fixture
def council(db: Session, police: Agency) -> Agency:
    agency = factories.agency(db, "Testford Council", sector=Sector.LOCAL_GOVERNMENT)
    db.add(
        RegisterRecord(
            person_id=PERSON,
            household_id=HOUSEHOLD,
            source="police",
            agency_id=police.id,
            record_id="NOM-1",
            given_name="Ada",
            family_name="Lovelace",
            date_of_birth=date(1815, 12, 10),
            given_key="ada",
            family_key="lovelace",
            postcode_key="TF11AA",
        )
    )
    db.commit()
    return agency


@pytest.fixture
def officer(db: Session, police: Agency, council: Agency) -> User:
    return factories.user(db, Role.PRACTITIONER, username="pc-jones", at=police)


@pytest.fixture
def worker(db: Session, council: Agency) -> User:
    return factories.user(db, Role.PRACTITIONER, Role.LEAD_PROFESSIONAL, username="lee", at=council)


def _agree(db: Session, clock: FakeClock, police: Agency, council: Agency) -> None:
    in_force(
        db,
        recipients=[council.name],
        providers=[police.name],
        purposes=["early_help"],
        categories=REFERRED,
        at=clock(),
    )


def _as(client: TestClient, db: Session, user: User) -> TestClient:
    db.commit()
    assert sign_in(client, user.username, factories.PASSWORD).status_code == 303
    return client


def _form(council: Agency, **changes: str) -> dict[str, str | list[str]]:
    given: dict[str, str | list[str]] = {
        "person": PERSON,
        "to_agency": str(council.id),
        "purpose": "early_help",
        "case": "",
        "urgency": "urgent",
        "reason": REASON,
    }
    given.update(changes)
    return given


def _referral(db: Session, settings: Settings, clock: FakeClock, officer: User, council: Agency) -> Referral:
    referral = referrals.make(
        db,
        data_dir=settings.data_dir,
        viewer=access.viewer_of(officer),
        person_id=PERSON,
        household_id=HOUSEHOLD,
        to_agency_id=council.id,
        purpose="early_help",
        reason=REASON,
        urgency="urgent",
        case_reference="",
        at=clock(),
    )
    db.commit()
    return referral


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_a_practitioner_makes_a_referral_through_the_form(
    client: TestClient, db: Session, clock: FakeClock, police: Agency, council: Agency, officer: User
) -> None:
    _agree(db, clock, police, council)
    _as(client, db, officer)
    form = client.get(f"{NEW}?purpose=early_help")
    assert form.status_code == 200
    shown = _text(form.text)
    assert "Ada Lovelace Born 10 December 1815" in shown and "Answer within 4 hours" in shown
    response = post_form(client, NEW, _form(council))
    assert response.status_code == 303, response.text
    [referral] = db.scalars(select(Referral)).all()
    assert response.headers["location"] == f"/referrals/{referral.id}?done=made"
    assert (referral.person_id, referral.reason, referral.from_username) == (PERSON, REASON, "pc-jones")
    page = _text(client.get(response.headers["location"]).text)
    assert "Referral sent." in page and "Ada Lovelace" in page


def test_the_form_names_each_missing_answer(
    client: TestClient, db: Session, police: Agency, council: Agency, officer: User
) -> None:
    _as(client, db, officer)
    response = post_form(client, NEW, _form(council, person="", to_agency="", urgency="", reason=""))
    assert response.status_code == 400
    assert error_summary(response.text) == [
        "Select the person you are referring",
        "Select the agency you are referring to",
        "Select how urgent the referral is",
        "Enter why you are making the referral",
    ]


def test_a_refused_referral_shows_the_reason_and_what_to_do_and_stays_logged(
    client: TestClient, db: Session, police: Agency, council: Agency, officer: User
) -> None:
    _as(client, db, officer)
    response = post_form(client, NEW, _form(council))
    assert response.status_code == 400
    [problem] = error_summary(response.text)
    assert problem.startswith("No sharing agreement in force lets Testford Council see")
    assert "Ask your information governance officer" in problem
    assert REASON in response.text  # the answers are kept
    refused = db.scalars(
        select(AccessLogEntry).where(AccessLogEntry.reason.startswith("Referral from"))
    ).all()
    assert [(entry.username, entry.outcome) for entry in refused] == [("pc-jones", "deny")]
    assert db.scalars(select(Referral)).all() == []


def test_the_receiving_agency_accepts_through_the_page(
    client: TestClient,
    db: Session,
    settings: Settings,
    clock: FakeClock,
    police: Agency,
    council: Agency,
    officer: User,
    worker: User,
) -> None:
    _agree(db, clock, police, council)
    referral = _referral(db, settings, clock, officer, council)
    _as(client, db, worker)
    listed = _text(client.get("/referrals").text)
    assert "Ada Lovelace Testford Police Urgent" in listed and "24 hours left" in listed
    path = f"/referrals/{referral.id}"
    page = client.get(path).text
    assert "Referral from Testford Police" in _text(page) and "&lt;br&gt;" not in page
    response = post_form(client, path, {"answer": "accept", "reason": "Allocated to family support."})
    assert response.headers["location"] == f"{path}?done=accepted"
    db.refresh(referral)
    assert (referral.status, referral.responded_by) == ("accepted", "lee")
    assert referral.involvement_id is not None


def test_declining_without_a_reason_is_refused_on_the_page(
    client: TestClient,
    db: Session,
    settings: Settings,
    clock: FakeClock,
    police: Agency,
    council: Agency,
    officer: User,
    worker: User,
) -> None:
    _agree(db, clock, police, council)
    referral = _referral(db, settings, clock, officer, council)
    _as(client, db, worker)
    response = post_form(client, f"/referrals/{referral.id}", {"answer": "decline", "reason": ""})
    assert response.status_code == 400
    assert error_summary(response.text) == ["Enter why you decline the referral."]
    db.refresh(referral)
    assert referral.status == "waiting"


def test_an_agency_at_neither_end_cannot_see_the_referral(
    client: TestClient,
    db: Session,
    settings: Settings,
    clock: FakeClock,
    police: Agency,
    council: Agency,
    officer: User,
) -> None:
    _agree(db, clock, police, council)
    referral = _referral(db, settings, clock, officer, council)
    stranger = factories.user(db, Role.PRACTITIONER, at=factories.agency(db, "Testford Homes"))
    _as(client, db, stranger)
    assert client.get(f"/referrals/{referral.id}").status_code == 404


def test_the_receiving_agency_reads_the_decision_behind_the_referral(
    client: TestClient,
    db: Session,
    settings: Settings,
    clock: FakeClock,
    police: Agency,
    council: Agency,
    officer: User,
    worker: User,
) -> None:
    _agree(db, clock, police, council)
    referral = _referral(db, settings, clock, officer, council)
    why = f"/coordination/why/{referral.decision_position}"
    _as(client, db, worker)
    assert f'href="{why}"' in client.get(f"/referrals/{referral.id}").text
    page = client.get(why)
    assert page.status_code == 200
    shown = _text(page.text)
    assert f"Access-log entry {referral.decision_position}" in shown
    assert "Referral from Testford Police:" in shown and "Outcome Permitted" in shown
    client.cookies.clear()
    colleague = factories.user(db, Role.PRACTITIONER, username="pc-smith", at=police)
    _as(client, db, colleague)
    assert client.get(why).status_code == 200


def test_an_agency_at_neither_end_cannot_read_the_decision_behind_a_referral(
    client: TestClient,
    db: Session,
    settings: Settings,
    clock: FakeClock,
    police: Agency,
    council: Agency,
    officer: User,
) -> None:
    _agree(db, clock, police, council)
    referral = _referral(db, settings, clock, officer, council)
    stranger = factories.user(db, Role.PRACTITIONER, at=factories.agency(db, "Testford Homes"))
    _as(client, db, stranger)
    response = client.get(f"/coordination/why/{referral.decision_position}")
    assert response.status_code == 404
    assert "Referral from" not in response.text


def test_a_person_the_referrer_holds_no_record_of_is_named_not_released_at_both_ends(
    client: TestClient,
    db: Session,
    settings: Settings,
    clock: FakeClock,
    police: Agency,
    council: Agency,
    officer: User,
    worker: User,
) -> None:
    homes = factories.agency(db, "Testford Homes")
    db.add(
        RegisterRecord(
            person_id="P-BEN",
            household_id=HOUSEHOLD,
            source="homes",
            agency_id=homes.id,
            record_id="T-9",
            given_name="Ben",
            family_name="Lovelace",
            date_of_birth=date(2012, 5, 1),
            given_key="ben",
            family_key="lovelace",
            postcode_key="TF11AA",
        )
    )
    _agree(db, clock, police, council)
    referral = referrals.make(
        db,
        data_dir=settings.data_dir,
        viewer=access.viewer_of(officer),
        person_id="P-BEN",
        household_id=HOUSEHOLD,
        to_agency_id=council.id,
        purpose="early_help",
        reason=REASON,
        urgency="routine",
        case_reference="",
        at=clock(),
    )
    db.commit()
    for user, row in (
        (worker, "Name not released Testford Police Routine"),
        (officer, "Name not released Testford Council Routine"),
    ):
        client.cookies.clear()
        _as(client, db, user)
        assert row in _text(client.get("/referrals").text)
        page = _text(client.get(f"/referrals/{referral.id}").text)
        assert "Person Name Name not released Date of birth Not released Address Not released" in page
        assert "Ben" not in page


def test_the_inbox_shows_an_alert_and_marks_it_read(
    client: TestClient,
    db: Session,
    settings: Settings,
    clock: FakeClock,
    police: Agency,
    council: Agency,
    officer: User,
    worker: User,
) -> None:
    _agree(db, clock, police, council)
    referral = _referral(db, settings, clock, officer, council)
    _as(client, db, worker)
    page = _text(client.get("/alerts").text)
    assert "You have 1 unread alert." in page and "&lt;span" not in client.get("/alerts").text
    assert "Referral from Testford Police, urgent" in page and "Open the referral" in page
    [alert] = alerts.inbox(db, username="lee")
    assert f'href="/referrals/{referral.id}"' in client.get("/alerts").text
    response = post_form(client, f"/alerts/{alert.id}/read", {}, from_page="/alerts")
    assert response.headers["location"] == "/alerts"
    db.refresh(alert)
    assert alert.read_at == clock()
    assert "You have 0 unread alerts." in _text(client.get("/alerts").text)


def test_nobody_marks_another_s_alert_read(
    client: TestClient, db: Session, clock: FakeClock, worker: User
) -> None:
    alert = alerts.notify(
        db,
        username="someone-else",
        household_id=HOUSEHOLD,
        kind="significant_event",
        about="x",
        summary="x",
        occurred_on=None,
        at=clock(),
        decision_position=None,
    )
    assert alert is not None
    _as(client, db, worker)
    response = post_form(client, f"/alerts/{alert.id}/read", {}, from_page="/alerts")
    assert response.status_code == 404
    assert db.scalar(select(Alert.read_at).where(Alert.id == alert.id)) is None


@pytest.mark.parametrize("path", ["/referrals", "/alerts", NEW, f"/referrals/{uuid.uuid4()}"])
def test_referrals_and_alerts_are_for_casework_roles(client: TestClient, db: Session, path: str) -> None:
    analyst = factories.user(db, Role.ANALYST, Role.PROGRAMME_MANAGER)
    _as(client, db, analyst)
    assert client.get(path).status_code == 403


def test_an_event_alert_links_to_the_household_under_early_help(
    client: TestClient, db: Session, clock: FakeClock, worker: User
) -> None:
    alerts.notify(
        db,
        username="lee",
        household_id=HOUSEHOLD,
        kind="significant_event",
        about="y",
        summary="Testford Police recorded a domestic-abuse incident.",
        occurred_on=None,
        at=clock(),
        decision_position=3,
    )
    _as(client, db, worker)
    page = client.get("/alerts").text
    assert f'href="/households/{HOUSEHOLD}?purpose=early_help"' in page
    assert 'href="/coordination/why/3"' in page
