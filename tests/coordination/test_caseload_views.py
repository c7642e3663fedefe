"""The closure, sustainment, caseload and outcome-claim pages through the app, on SQLite and PostgreSQL: who
reaches each, a plan closed through the form (errors naming the need), a worker's caseload and a team manager's
view of the team, the households nobody leads asked about as one logged batch, and the claim downloaded only
when the decision releases it."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.coordination.test_caseloads import action, involve
from tests.coordination.test_closure import close, event, fields_of, lead, make_plan, member, needs_of
from tests.governance.test_agreement_views import location
from tests.identity.test_views import error_summary
from tests.sources.test_views import table
from tests.support import factories
from tests.support.agreements import in_force
from tests.support.clock import FakeClock
from tests.support.web import post_form, sign_in
from wholeplace.coordination.models import Plan, SustainmentCheck
from wholeplace.coordination.service import closure
from wholeplace.core import service as core
from wholeplace.core.models import Agency, User
from wholeplace.core.roles import Role, Sector
from wholeplace.core.settings import Settings
from wholeplace.governance.models import AccessLogEntry
from wholeplace.governance.service import involvements

COUNCIL = "Testford Council"
POLICE = "Testford Police"
HOUSEHOLD = "H-1"
WORKING = "?purpose=early_help&case=EH-7"
CLOSE = f"/households/{HOUSEHOLD}/plan/close"
SUSTAINMENT = f"/households/{HOUSEHOLD}/sustainment"


@pytest.fixture
def council(db: Session, clock: FakeClock) -> Agency:
    """The council works with the household, and receives involvements and police events under an agreement."""
    council = factories.agency(db, COUNCIL, sector=Sector.LOCAL_GOVERNMENT)
    factories.agency(db, POLICE, sector=Sector.POLICE)
    in_force(
        db,
        recipients=[COUNCIL],
        providers=[POLICE],
        purposes=["early_help"],
        categories=fields_of(["involvement", "involvement_detail"]),
        at=clock(),
    )
    involvements.open_involvement(
        db,
        person_id="P-1",
        household_id=HOUSEHOLD,
        agency_id=council.id,
        origin="referral",
        reference="R-1",
        on=clock().date() - timedelta(days=30),
    )
    db.commit()
    return council


@pytest.fixture
def police(db: Session, council: Agency) -> Agency:
    found = core.find_agency(db, POLICE)
    assert found is not None
    return found


def _user(db: Session, username: str, *roles: Role, at: Agency, full_name: str = "Sam Test") -> User:
    user = factories.user(db, *roles, username=username, at=at)
    user.full_name = full_name
    db.commit()
    return user


@pytest.fixture
def tom(db: Session, council: Agency) -> User:
    return _user(db, "tom", Role.PRACTITIONER, Role.LEAD_PROFESSIONAL, at=council, full_name="Tom Kowalski")


def _signed_in(client: TestClient, user: User) -> TestClient:
    assert sign_in(client, user.username, factories.PASSWORD).status_code == 303
    return client


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _entries(db: Session) -> list[AccessLogEntry]:
    db.expire_all()
    return list(db.scalars(select(AccessLogEntry).order_by(AccessLogEntry.position)))


# ---------------------------------------------------------------- who reaches each page


@pytest.mark.parametrize(
    ("path", "roles"),
    [
        ("/caseload", {Role.PRACTITIONER, Role.LEAD_PROFESSIONAL, Role.TEAM_MANAGER}),
        ("/caseload/team", {Role.TEAM_MANAGER}),
        ("/caseload/unowned", {Role.PROGRAMME_MANAGER}),
        ("/outcome-claims", {Role.PROGRAMME_MANAGER}),
        (CLOSE, {Role.PRACTITIONER, Role.LEAD_PROFESSIONAL}),
        (SUSTAINMENT, {Role.PRACTITIONER, Role.LEAD_PROFESSIONAL}),
    ],
)
def test_each_page_refuses_the_roles_it_is_not_for(
    client: TestClient, db: Session, council: Agency, path: str, roles: set[Role]
) -> None:
    others = _user(db, "other", *(role for role in Role if role not in roles), at=council)
    assert _signed_in(client, others).get(path).status_code == 403


def test_the_navigation_offers_each_role_its_pages(client: TestClient, db: Session, council: Agency) -> None:
    manager = _user(db, "owen", Role.PROGRAMME_MANAGER, at=council)
    page = _signed_in(client, manager).get("/outcome-claims").text
    assert 'href="/caseload/unowned"' in page and 'href="/outcome-claims"' in page
    assert 'href="/caseload"' not in page


# ---------------------------------------------------------------- closing a plan


def _open_plan(db: Session) -> Plan:
    plan = make_plan(db, needs=(("domestic_abuse", "Mum feels unsafe at home"), ("housing", "Rent arrears")))
    db.commit()
    return plan


def test_the_closing_form_asks_for_each_need_s_outcome_and_evidence(
    client: TestClient, db: Session, tom: User
) -> None:
    _open_plan(db)
    page = _signed_in(client, tom).get(CLOSE + WORKING)
    assert page.status_code == 200
    assert "Mum feels unsafe at home" in page.text and "Rent arrears" in page.text
    assert page.text.count('value="partly_achieved"') == 2
    assert json.loads(_entries(db)[-1].categories) == ["involvement", "involvement_detail"]


def test_closing_without_a_need_s_result_says_which_need_and_keeps_what_was_typed(
    client: TestClient, db: Session, tom: User
) -> None:
    plan = _open_plan(db)
    first, second = needs_of(db, plan)
    form: dict[str, str | list[str]] = {
        "purpose": "early_help",
        "case": "EH-7",
        f"result-{first.id}": "achieved",
        f"evidence-{first.id}": "No incidents since May.",
        f"evidence-{second.id}": "Arrears cleared.",
        "summary": "Calmer at home.",
    }
    response = post_form(_signed_in(client, tom), CLOSE, form, from_page=CLOSE + WORKING)
    assert response.status_code == 400
    assert error_summary(response.text) == ["Select whether the need 'Rent arrears' was achieved"]
    assert "No incidents since May." in response.text
    db.expire_all()
    assert db.get(Plan, plan.id).status == "open"  # type: ignore[union-attr]


def test_closing_with_every_outcome_goes_back_to_the_plan_and_schedules_the_checks(
    client: TestClient, db: Session, tom: User
) -> None:
    plan = _open_plan(db)
    first, second = needs_of(db, plan)
    form: dict[str, str | list[str]] = {
        "purpose": "early_help",
        "case": "EH-7",
        f"result-{first.id}": "achieved",
        f"evidence-{first.id}": "No incidents since May.",
        f"result-{second.id}": "not_achieved",
        f"evidence-{second.id}": "Arrears still growing.",
        "summary": "Calmer at home.",
    }
    response = post_form(_signed_in(client, tom), CLOSE, form, from_page=CLOSE + WORKING)
    assert location(response) == f"/households/{HOUSEHOLD}/plan?purpose=early_help&case=EH-7&done=closed"
    db.expire_all()
    closed = db.get(Plan, plan.id)
    assert closed is not None and (closed.status, closed.closed_by) == ("closed", "tom")
    assert [check.need_id for check in db.scalars(select(SustainmentCheck))] == [first.id]


def test_closing_is_refused_with_the_reason_for_an_agency_the_decision_does_not_admit(
    client: TestClient, db: Session, police: Agency
) -> None:
    _open_plan(db)
    dan = _user(db, "dan", Role.PRACTITIONER, at=police)
    response = _signed_in(client, dan).get(CLOSE + WORKING)
    assert response.status_code == 403
    assert "No sharing agreement in force lets Testford Police see" in response.text


# ---------------------------------------------------------------- the sustainment page


def test_the_sustainment_page_shows_each_check_with_the_findings_released(
    client: TestClient, db: Session, settings: Settings, tom: User, police: Agency, clock: FakeClock
) -> None:
    member(db, police, person_id="P-1")
    plan = close(db, _open_plan(db), at=clock() - timedelta(days=200))
    event(db, police, kind="domestic_abuse_incident", on=clock().date() - timedelta(days=20), person_id="P-1")
    closure.run_due_checks(db, data_dir=settings.data_dir, today=clock().date(), at=clock())
    db.commit()
    page = _signed_in(client, tom).get(SUSTAINMENT + WORKING).text
    assert page.count("Relapse flagged") == 2
    assert "Domestic-abuse incident recorded on" not in page  # events are not in the agreement
    assert "other agencies' records that your sharing agreements do not release to you" in page
    assert "No eviction notice or homelessness application recorded since the plan closed" in page
    assert f"No tenancy open for the household on {_day(clock().date())}" in page
    assert plan.household_id == HOUSEHOLD


def test_the_sustainment_page_shows_a_finding_the_agreement_releases(
    client: TestClient,
    db: Session,
    settings: Settings,
    tom: User,
    council: Agency,
    police: Agency,
    clock: FakeClock,
) -> None:
    in_force(
        db,
        recipients=[COUNCIL],
        providers=[POLICE],
        purposes=["early_help"],
        categories=fields_of(["events"]),
        at=clock(),
    )
    member(db, police, person_id="P-1")
    close(db, _open_plan(db), at=clock() - timedelta(days=200))
    event(db, police, kind="domestic_abuse_incident", on=clock().date() - timedelta(days=20), person_id="P-1")
    closure.run_due_checks(db, data_dir=settings.data_dir, today=clock().date(), at=clock())
    db.commit()
    page = _signed_in(client, tom).get(SUSTAINMENT + WORKING).text
    assert f"Domestic-abuse incident recorded on {_day(clock().date() - timedelta(days=20))}" in page


# ---------------------------------------------------------------- caseloads


def test_my_caseload_lists_my_households_overdue_first_with_my_overdue_actions(
    client: TestClient, db: Session, tom: User, clock: FakeClock
) -> None:
    today = clock().date()
    action(db, make_plan(db, household_id="H-SOON"), tom, due_on=today + timedelta(days=2))
    action(
        db,
        make_plan(db, household_id="H-LATE"),
        tom,
        due_on=today - timedelta(days=3),
        description="Call school",
    )
    lead(db, tom, household_id="H-LEAD")
    db.commit()
    page = _signed_in(client, tom).get("/caseload").text
    rows = table(page, "3 households")
    assert [row[0] for row in rows] == ["H-LATE", "H-SOON", "H-LEAD"]
    assert rows[2][1:3] == ["Lead professional", "Tom Kowalski"]
    assert 'href="/households/H-LATE?purpose=early_help"' in page
    [overdue] = table(page, "Actions past their due date, the longest overdue first")
    assert overdue[:2] == ["Call school", "H-LATE"]
    assert overdue[-1] == "3"


@pytest.fixture
def mia(db: Session, council: Agency, tom: User, clock: FakeClock) -> User:
    """Tom's team manager."""
    team = core.add_team(db, agency=council, name="Early Help North", now=clock())
    manager = _user(db, "mia", Role.TEAM_MANAGER, at=council, full_name="Mia Jones")
    tom.team_id = manager.team_id = team.id
    db.commit()
    return manager


def test_a_team_manager_sees_the_team_and_opens_a_member_s_caseload(
    client: TestClient, db: Session, tom: User, mia: User, clock: FakeClock
) -> None:
    action(db, make_plan(db, household_id="H-1"), tom, due_on=clock().date() - timedelta(days=1))
    db.commit()
    page = _signed_in(client, mia).get("/caseload/team").text
    assert table(page, "Early Help North") == [["Mia Jones", "0", "0", "0"], ["Tom Kowalski", "1", "1", "1"]]
    assert 'href="/caseload?worker=tom"' in page
    theirs = client.get("/caseload?worker=tom")
    assert theirs.status_code == 200
    assert "Caseload of Tom Kowalski" in theirs.text
    assert [row[0] for row in table(theirs.text, "1 household")] == ["H-1"]


def test_a_team_manager_cannot_open_the_caseload_of_someone_outside_the_team(
    client: TestClient, db: Session, council: Agency, mia: User
) -> None:
    _user(db, "zed", Role.PRACTITIONER, at=council)
    assert _signed_in(client, mia).get("/caseload?worker=zed").status_code == 403


def test_a_practitioner_cannot_open_another_worker_s_caseload(
    client: TestClient, db: Session, council: Agency, tom: User
) -> None:
    ana = _user(db, "ana", Role.PRACTITIONER, at=council)
    assert _signed_in(client, ana).get("/caseload?worker=tom").status_code == 403


# ---------------------------------------------------------------- nobody owns the whole


@pytest.fixture
def owen(db: Session, council: Agency) -> User:
    return _user(db, "owen", Role.PROGRAMME_MANAGER, at=council, full_name="Owen Davies")


@pytest.fixture
def partners(db: Session, council: Agency, police: Agency, clock: FakeClock) -> list[Agency]:
    """Five agencies; three share which families they work with for offering a lead professional."""
    others = [factories.agency(db, f"Testford Partner {letter}") for letter in "ABC"]
    db.commit()
    return [council, police, *others]


def _allocation_agreement(
    db: Session, partners: list[Agency], clock: FakeClock, *, fields: tuple[str, ...]
) -> None:
    in_force(
        db,
        recipients=[COUNCIL],
        providers=[agency.name for agency in partners],
        purposes=["early_help_allocation"],
        categories={"involvement": fields},
        at=clock(),
    )
    db.commit()


def test_households_nobody_leads_are_refused_with_the_reason_and_logged_as_one_batch(
    client: TestClient, db: Session, owen: User, partners: list[Agency]
) -> None:
    involve(db, "H-MANY", *partners)
    db.commit()
    response = _signed_in(client, owen).get("/caseload/unowned")
    assert response.status_code == 403
    assert "No sharing agreement in force lets Testford Council see" in response.text
    assert "H-MANY" not in response.text
    entry = _entries(db)[-1]
    assert (entry.username, entry.purpose, entry.subject_kind, entry.subject_id, entry.outcome) == (
        "owen",
        "early_help_allocation",
        "batch",
        "unowned:3",
        "deny",
    )


def test_households_with_enough_agencies_and_no_lead_are_listed_with_their_agencies(
    client: TestClient, db: Session, owen: User, tom: User, partners: list[Agency], clock: FakeClock
) -> None:
    _allocation_agreement(db, partners, clock, fields=("involvement.agency", "involvement.start"))
    involve(db, "H-FIVE", *partners)
    involve(db, "H-THREE", *partners[2:])
    involve(db, "H-LED", *partners)
    involve(db, "H-TWO", *partners[:2])
    lead(db, tom, household_id="H-LED")
    db.commit()
    page = _signed_in(client, owen).get("/caseload/unowned").text
    rows = table(page, "2 households with 3 or more agencies and no lead professional")
    assert [row[:2] for row in rows] == [["H-FIVE", "5"], ["H-THREE", "3"]]
    assert rows[1][2] == "Testford Partner A, Testford Partner B, Testford Partner C"
    assert [
        row[0]
        for row in table(
            client.get("/caseload/unowned?agencies=2").text,
            "3 households with 2 or more agencies and no lead professional",
        )
    ][-1] == "H-TWO"
    assert [entry.subject_id for entry in _entries(db)[-2:]] == ["unowned:3", "unowned:2"]


def test_agencies_are_not_named_unless_the_agreement_releases_which(
    client: TestClient, db: Session, owen: User, partners: list[Agency], clock: FakeClock
) -> None:
    _allocation_agreement(db, partners, clock, fields=("involvement.start",))
    involve(db, "H-FIVE", *partners)
    db.commit()
    page = _signed_in(client, owen).get("/caseload/unowned").text
    assert table(page, "1 household with 3 or more agencies and no lead professional") == [["H-FIVE", "5"]]
    assert "Testford Partner A" not in page


def test_a_number_of_agencies_that_is_not_a_number_is_an_error(
    client: TestClient, db: Session, owen: User
) -> None:
    response = _signed_in(client, owen).get("/caseload/unowned?agencies=lots")
    assert response.status_code == 400
    assert error_summary(response.text) == ["Enter the number of agencies as a whole number, like 3"]


# ---------------------------------------------------------------- outcome claims


def _closed(db: Session, police: Agency, clock: FakeClock) -> None:
    member(db, police, person_id="P-1")
    close(db, _open_plan(db), at=clock() - timedelta(days=5))
    db.commit()


def test_the_claims_page_counts_what_the_claim_holds(
    client: TestClient, db: Session, owen: User, police: Agency, clock: FakeClock
) -> None:
    _closed(db, police, clock)
    page = _signed_in(client, owen).get("/outcome-claims").text
    assert "Needs (rows)" in page
    assert 'href="/outcome-claims.csv"' in page
    assert _entries(db) == []


def test_the_claims_download_is_refused_with_the_reason_and_logged(
    client: TestClient, db: Session, owen: User, police: Agency, clock: FakeClock
) -> None:
    _closed(db, police, clock)
    response = _signed_in(client, owen).get("/outcome-claims.csv")
    assert response.status_code == 403
    assert "No sharing agreement in force" in response.text
    assert (_entries(db)[-1].subject_kind, _entries(db)[-1].subject_id) == ("batch", "outcome-claims::")


def test_the_claims_download_is_the_csv_once_released(
    client: TestClient, db: Session, owen: User, council: Agency, police: Agency, clock: FakeClock
) -> None:
    in_force(
        db,
        recipients=[COUNCIL],
        providers=[POLICE],
        purposes=["outcome_claims"],
        categories=fields_of(["involvement"]),
        at=clock(),
    )
    _closed(db, police, clock)
    day = (clock() - timedelta(days=5)).date()
    query = f"?from-day={day.day}&from-month={day.month}&from-year={day.year}"
    response = _signed_in(client, owen).get("/outcome-claims.csv" + query)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(row["household_id"], row["outcome_area"], row["sustainment"]) for row in rows] == [
        (HOUSEHOLD, "domestic_abuse", "due"),
        (HOUSEHOLD, "housing", "due"),
    ]
    assert _entries(db)[-1].subject_id == f"outcome-claims:{day.isoformat()}:"


def test_a_claim_period_the_wrong_way_round_is_an_error(client: TestClient, db: Session, owen: User) -> None:
    query = "?from-day=2&from-month=3&from-year=2027&to-day=1&to-month=3&to-year=2027"
    response = _signed_in(client, owen).get("/outcome-claims" + query)
    assert response.status_code == 400
    assert error_summary(response.text) == ["The last day must be the same as or after the first day"]
