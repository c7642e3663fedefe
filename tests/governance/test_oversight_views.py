"""The officer's oversight pages: who reaches them, the overview, the access log searched, paged and downloaded
(errors in the error summary), a break-glass access reviewed once, and a person's consents and objections recorded
and withdrawn, each changing the next decision about the person."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.governance.test_agreement_views import location, signed_in_as
from tests.governance.test_oversight import EMERGENCY, HOMES, logged
from tests.identity.test_views import error_summary
from tests.sources.test_views import table
from tests.support import factories
from tests.support.agreements import in_force
from tests.support.clock import FakeClock
from tests.support.web import post_form
from wholeplace.core.models import Agency
from wholeplace.core.roles import Role
from wholeplace.core.settings import Settings
from wholeplace.governance.decision import Subject
from wholeplace.governance.service import consent, involvements, oversight
from wholeplace.governance.service.decisions import Asker, Disclosure, disclose
from wholeplace.sources.lake import Lake

OFFICER_PAGES = [
    "/governance",
    "/governance/access-log",
    "/governance/access-log.csv",
    "/governance/break-glass/1",
]
NOT_OFFICERS = [role for role in Role if role != Role.INFORMATION_GOVERNANCE_OFFICER]
RECORDERS = [Role.PRACTITIONER, Role.LEAD_PROFESSIONAL, Role.INFORMATION_GOVERNANCE_OFFICER]
PERSON = "P0123456789abcdef0123"
CHOICES = f"/governance/people/{PERSON}/choices"


@pytest.fixture
def homes(db: Session) -> Agency:
    return factories.agency(db, HOMES)


@pytest.fixture
def officer(client: TestClient, db: Session, homes: Agency) -> TestClient:
    signed_in_as(client, db, Role.INFORMATION_GOVERNANCE_OFFICER)
    return client


def broke_glass(db: Session, settings: Settings, homes: Agency, clock: FakeClock) -> int:
    disclosure = ask(db, settings, homes, clock, purpose="vital_interests", break_glass_reason=EMERGENCY)
    db.commit()
    return disclosure.position


def ask(db: Session, settings: Settings, homes: Agency, clock: FakeClock, **changes: object) -> Disclosure:
    """What a practitioner of the housing agency is shown about the person, decided as any page would."""
    asked: dict[str, object] = {
        "purpose": "early_help",
        "subject": Subject("person", PERSON),
        "categories": ("identity",),
        "case_reference": "EH-1",
        "at": clock(),
    }
    asked.update(changes)
    asker = Asker(username="sam", agency_id=homes.id, agency=homes.name, role=Role.PRACTITIONER)
    return disclose(db, Lake.in_data_dir(settings.data_dir), asker=asker, **asked)  # type: ignore[arg-type]


# ---------------------------------------------------------------- who may use them


@pytest.mark.parametrize("path", OFFICER_PAGES)
def test_only_information_governance_officers_reach_the_oversight_pages(
    client: TestClient, db: Session, path: str
) -> None:
    signed_in_as(client, db, *NOT_OFFICERS)
    assert client.get(path).status_code == 403


def test_only_officers_review_a_break_glass_access(
    client: TestClient, db: Session, settings: Settings, homes: Agency, clock: FakeClock
) -> None:
    position = broke_glass(db, settings, homes, clock)
    signed_in_as(client, db, *NOT_OFFICERS)
    response = post_form(
        client,
        f"/governance/break-glass/{position}",
        {"justified": "yes", "finding": "x"},
        from_page="/account",
    )
    assert response.status_code == 403
    assert oversight.break_glass_access(db, position=position).review.status == "awaiting"


@pytest.mark.parametrize("role", RECORDERS)
def test_practitioners_lead_professionals_and_officers_record_choices(
    client: TestClient, db: Session, role: Role
) -> None:
    signed_in_as(client, db, role)
    assert client.get(CHOICES).status_code == 200


@pytest.mark.parametrize(
    "role", [Role.ANALYST, Role.PROGRAMME_MANAGER, Role.FINANCE_LEAD, Role.ADMINISTRATOR]
)
def test_other_roles_cannot_see_or_record_choices(client: TestClient, db: Session, role: Role) -> None:
    signed_in_as(client, db, role)
    assert client.get(CHOICES).status_code == 403
    response = post_form(client, CHOICES, {"choice": "objection"}, from_page="/account")
    assert response.status_code == 403
    assert consent.history_of(db, PERSON) == []


# ---------------------------------------------------------------- the overview


def test_the_overview_says_when_nothing_is_waiting(officer: TestClient) -> None:
    page = officer.get("/governance").text
    assert "No emergency access is waiting for review." in page
    assert 'href="/governance/agreements"' in page and 'href="/governance/access-log"' in page


def test_the_overview_lists_each_thing_waiting_with_a_link(
    officer: TestClient, db: Session, settings: Settings, homes: Agency, clock: FakeClock
) -> None:
    position = broke_glass(db, settings, homes, clock)
    for minute in range(5):
        logged(db, at=clock() + timedelta(minutes=minute), outcome="deny", username="jo")
    db.commit()
    page = officer.get("/governance").text
    [waiting] = table(page, "Break-glass accesses awaiting review")
    assert waiting[0] == str(position) and waiting[-1].startswith("Review")
    assert f'href="/governance/break-glass/{position}"' in page
    [burst] = table(page, "Bursts of refused requests")
    assert burst[0] == f"jo, {HOMES}" and burst[3] == "5"
    assert "/governance/access-log?user=jo&amp;outcome=deny" in page


# ---------------------------------------------------------------- the access log


def test_the_log_shows_what_each_entry_says(officer: TestClient, db: Session) -> None:
    entry = logged(db, subject="P-1", case_reference="EH-42")
    db.commit()
    [row] = table(officer.get("/governance/access-log").text, "Access log entries")
    assert row[0] == str(entry.position)
    assert row[2:] == [
        f"sam Practitioner, {HOMES}",
        "Early-help coordination Case EH-42",
        "Person P-1 : every entry about them Requests and choices of this person",
        f"Name, date of birth and sex 2 fields released by entry {entry.position} Given name, Family name",
        f"Permitted ISA-1 version 1 Withhold entry {entry.position} from the person's report",
    ]


def test_the_log_search_keeps_what_was_asked_and_finds_only_that(officer: TestClient, db: Session) -> None:
    logged(db, subject="P-1", username="sam")
    wanted = logged(db, subject="P-2", username="ali", outcome="deny")
    db.commit()
    page = officer.get("/governance/access-log", params={"user": "ali", "outcome": "deny"}).text
    assert [row[0] for row in table(page, "Access log entries")] == [str(wanted.position)]
    assert re.search(r'<input [^>]*name="user"[^>]*value="ali"', page)
    assert '<option value="deny" selected>' in page


def test_the_log_is_paged_fifty_at_a_time(officer: TestClient, db: Session) -> None:
    for number in range(51):
        logged(db, case_reference=f"EH-{number}")
    db.commit()
    first = officer.get("/governance/access-log", params={"user": "sam"}).text
    assert len(table(first, "Access log entries")) == 50
    assert "Showing entries 1 to 50 of 51" in first
    assert 'href="/governance/access-log?user=sam&amp;page=2"' in first
    second = officer.get("/governance/access-log", params={"user": "sam", "page": 2}).text
    assert [row[0] for row in table(second, "Access log entries")] == ["1"]


def test_mistakes_in_the_search_are_listed_in_the_error_summary(officer: TestClient) -> None:
    response = officer.get(
        "/governance/access-log",
        params={"from-day": "31", "from-month": "2", "from-year": "2026", "to-day": "1", "to-month": "1"},
    )
    assert response.status_code == 400
    assert error_summary(response.text) == [
        "The first day must be a real date, like 27 3 2026",
        "The last day must include a year",
    ]
    assert "Access log entries" not in response.text
    assert response.text.count('href="#from-day"') == 1


def test_the_last_day_cannot_come_before_the_first(officer: TestClient) -> None:
    params = {
        "from-day": "2",
        "from-month": "11",
        "from-year": "2026",
        "to-day": "1",
        "to-month": "11",
        "to-year": "2026",
    }
    response = officer.get("/governance/access-log", params=params)
    assert error_summary(response.text) == ["The last day must be the same as or after the first day"]


def test_the_csv_downloads_the_same_search(officer: TestClient, db: Session) -> None:
    logged(db, subject="P-1")
    wanted = logged(db, subject="P-2")
    db.commit()
    page = officer.get("/governance/access-log", params={"person": "P-2"}).text
    assert 'href="/governance/access-log.csv?person=P-2"' in page
    response = officer.get("/governance/access-log.csv", params={"person": "P-2"})
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="access-log-2026-11-02.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["position"] for row in rows] == [str(wanted.position)]


def test_a_csv_of_a_mistaken_search_is_refused_with_the_reason(officer: TestClient) -> None:
    response = officer.get("/governance/access-log.csv", params={"outcome": "maybe"})
    assert response.status_code == 400
    assert "Choose an outcome in the list" in response.text


# ---------------------------------------------------------------- a break-glass access


def test_the_break_glass_page_shows_the_access_and_a_review_form(
    officer: TestClient, db: Session, settings: Settings, homes: Agency, clock: FakeClock
) -> None:
    position = broke_glass(db, settings, homes, clock)
    page = officer.get(f"/governance/break-glass/{position}").text
    assert EMERGENCY in page and f"Person {PERSON}" in page and "Awaiting review" in page
    assert 'name="justified"' in page and 'name="finding"' in page


def test_a_review_needs_a_verdict_and_a_finding(
    officer: TestClient, db: Session, settings: Settings, homes: Agency, clock: FakeClock
) -> None:
    position = broke_glass(db, settings, homes, clock)
    response = post_form(officer, f"/governance/break-glass/{position}", {"justified": "", "finding": ""})
    assert response.status_code == 400
    assert error_summary(response.text) == [
        "Select whether the emergency access was justified",
        "Enter what the review found",
    ]


def test_a_review_goes_back_to_the_overview_which_confirms_it(
    officer: TestClient, db: Session, settings: Settings, homes: Agency, clock: FakeClock
) -> None:
    position = broke_glass(db, settings, homes, clock)
    path = f"/governance/break-glass/{position}"
    response = post_form(officer, path, {"justified": "no", "finding": "No emergency on the case file."})
    assert location(response) == f"/governance?reviewed={position}"
    overview = officer.get(location(response)).text
    assert f"Review saved: break-glass access {position} was not justified." in overview
    assert "No emergency access is waiting for review." in overview
    page = officer.get(path).text
    assert "No emergency on the case file." in page and 'name="finding"' not in page


def test_an_access_cannot_be_reviewed_twice(
    officer: TestClient, db: Session, settings: Settings, homes: Agency, clock: FakeClock
) -> None:
    position = broke_glass(db, settings, homes, clock)
    path = f"/governance/break-glass/{position}"
    post_form(officer, path, {"justified": "yes", "finding": "Called the ward."})
    again = post_form(officer, path, {"justified": "no", "finding": "Changed my mind."})
    assert again.status_code == 400
    assert "already reviewed" in again.text
    db.expire_all()
    assert oversight.break_glass_access(db, position=position).review.finding == "Called the ward."


def test_an_entry_that_is_not_break_glass_has_no_review_page(officer: TestClient, db: Session) -> None:
    position = logged(db).position
    db.commit()
    assert officer.get(f"/governance/break-glass/{position}").status_code == 404


# ---------------------------------------------------------------- a person's choices


def an_objection(**changes: str | list[str]) -> dict[str, str | list[str]]:
    return {
        "choice": "objection",
        "purposes": ["early_help"],
        "given_by": "person",
        "evidence": "Told her key worker on the phone, 3 November",
        **changes,
    }


def test_a_recorded_objection_stops_the_next_decision_and_withdrawing_it_lets_sharing_resume(
    officer: TestClient, db: Session, settings: Settings, homes: Agency, clock: FakeClock
) -> None:
    in_force(
        db,
        recipients=[HOMES],
        providers=[factories.agency(db, "Testford Schools").name],
        purposes=["early_help"],
        categories={"identity": ("given_name",)},
        at=clock(),
    )
    involvements.open_involvement(
        db,
        person_id=PERSON,
        household_id=None,
        agency_id=homes.id,
        origin="referral",
        reference=None,
        on=clock().date(),
    )
    assert ask(db, settings, homes, clock).permitted
    db.commit()

    response = post_form(officer, CHOICES, an_objection())
    assert location(response) == f"{CHOICES}?done=recorded"
    clock.advance(seconds=1)
    assert not ask(db, settings, homes, clock).permitted
    db.commit()

    [record] = consent.history_of(db, PERSON)
    page = officer.get(location(response)).text
    assert "Choice recorded" in page and "Objection, recorded 2 November 2026" in page
    withdrawn = post_form(
        officer,
        f"{CHOICES}/{record.id}/withdraw",
        {"evidence": "She agreed at the family meeting"},
        from_page=CHOICES,
    )
    assert location(withdrawn) == f"{CHOICES}?done=withdrawn"
    clock.advance(seconds=1)
    assert ask(db, settings, homes, clock).permitted


def test_a_choice_is_recorded_with_its_scope_and_who_made_it(officer: TestClient, db: Session) -> None:
    post_form(
        officer,
        CHOICES,
        an_objection(
            choice="consent-refused",
            recipients=[HOMES],
            categories=["health"],
            given_by="parent",
            given_by_name="Jo Bloggs",
            **{"valid_until-day": "1", "valid_until-month": "4", "valid_until-year": "2027"},
        ),
    )
    [record] = consent.history_of(db, PERSON)
    assert (record.kind, record.status, record.purposes, record.recipients, record.categories) == (
        "consent",
        "refused",
        ["early_help"],
        [HOMES],
        ["health"],
    )
    assert (record.given_by, record.given_by_relationship) == ("Jo Bloggs", "parent")
    assert record.valid_until is not None and record.valid_until.date().isoformat() == "2027-04-01"
    assert record.recorded_by.endswith(")") and "Sam Test" in record.recorded_by


def test_mistakes_in_a_choice_are_listed_and_what_was_typed_is_kept(officer: TestClient, db: Session) -> None:
    response = post_form(
        officer,
        CHOICES,
        {
            "given_by": "guardian",
            "evidence": "",
            "purposes": ["gossip"],
            "valid_until-day": "1",
            "valid_until-month": "1",
            "valid_until-year": "2020",
        },
    )
    assert response.status_code == 400
    assert error_summary(response.text) == [
        "Select what the person chose",
        "Tick only the boxes offered: gossip is not one of them",
        "Enter the name of the guardian",
        "Enter what the choice rests on",
        "The expiry date must be in the future",
    ]
    assert 'value="guardian" checked' in response.text
    assert consent.history_of(db, PERSON) == []


def test_withdrawing_needs_evidence_and_keeps_the_form_open(officer: TestClient, db: Session) -> None:
    post_form(officer, CHOICES, an_objection())
    [record] = consent.history_of(db, PERSON)
    response = post_form(officer, f"{CHOICES}/{record.id}/withdraw", {"evidence": ""}, from_page=CHOICES)
    assert response.status_code == 400
    assert error_summary(response.text) == ["Enter what the withdrawal rests on"]
    assert f'href="#evidence-{record.id}"' in response.text
    assert re.search(r"<details[^>]*open", response.text)


def test_the_history_marks_superseded_records(officer: TestClient, db: Session) -> None:
    post_form(officer, CHOICES, an_objection())
    [record] = consent.history_of(db, PERSON)
    post_form(officer, f"{CHOICES}/{record.id}/withdraw", {"evidence": "Changed her mind"}, from_page=CHOICES)
    page = officer.get(CHOICES).text
    assert "Objection withdrawn, recorded 2 November 2026" in page
    [earlier] = table(page, "Earlier records, superseded")
    assert earlier[1] == "Objection Superseded"
    assert "Withdraw this objection" not in page


def test_a_choice_of_someone_else_cannot_be_withdrawn_here(officer: TestClient, db: Session) -> None:
    post_form(officer, CHOICES, an_objection())
    [record] = consent.history_of(db, PERSON)
    response = post_form(
        officer,
        f"/governance/people/P-OTHER/choices/{record.id}/withdraw",
        {"evidence": "x"},
        from_page=CHOICES,
    )
    assert response.status_code == 404
    db.expire_all()
    assert not consent.history_of(db, PERSON)[0].superseded


def test_the_form_offers_only_what_a_choice_can_bear_on(officer: TestClient) -> None:
    page = officer.get(CHOICES).text
    assert 'value="early_help"' in page and 'value="vital_interests"' not in page
    assert 'value="health"' in page and 'value="aggregate"' not in page
