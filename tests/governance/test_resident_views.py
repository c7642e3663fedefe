"""The pages with which an information governance officer answers a subject access request, on a small linked
place: officers only; a case reference first; each report, document or download decided and logged exactly once,
and refused (still logged) unless a subject-access agreement covers every category of data; workers never named;
exempted accesses left out; exemptions recorded through a form."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.governance.test_subject_access import (
    CRIME,
    a_person_of_many_sources,
    export_of,
    keys_of,
    linked_lake,
    logged,
)
from tests.identity.conftest import place, trained  # noqa: F401 - fixtures, found by pytest through this import
from tests.identity.test_views import LinkedPlace, connection, linked_place  # noqa: F401 - fixtures, as above
from tests.sources.test_views import table
from tests.support.agreements import in_force
from tests.support.factories import MOMENT
from tests.support.web import post_form
from tests.web.conftest import SignedInAs, signed_in_as  # noqa: F401 - a fixture, as above
from wholeplace.core import service as core
from wholeplace.core.models import User
from wholeplace.core.roles import Role
from wholeplace.core.settings import Settings
from wholeplace.governance import vocabulary
from wholeplace.governance.models import AccessExemption, AccessLogEntry
from wholeplace.governance.service import subject_access
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake

CASE = "SAR-2026-014"
OUTPUTS = ("access-report", "subject-access", "subject-access.json")
EVERY_CATEGORY = [category.code for category in vocabulary.CATEGORIES if category.code != "aggregate"]
OTHER_ROLES = [role for role in Role if role != Role.INFORMATION_GOVERNANCE_OFFICER]


@pytest.fixture
def settings(request: pytest.FixtureRequest) -> Settings:
    """The linked place's data directory: these pages only read it."""
    linked: LinkedPlace = request.getfixturevalue("linked_place")
    return Settings(
        data_dir=linked.data_dir, secret_key=SecretStr("test-secret-key-" * 3), environment="test"
    )


@pytest.fixture
def lake(request: pytest.FixtureRequest) -> Lake:
    return linked_lake(request)


@pytest.fixture
def someone(db: Session, lake: Lake) -> str:
    return a_person_of_many_sources(db, lake)


@pytest.fixture
def officer(signed_in_as: SignedInAs) -> User:  # noqa: F811 - the fixture imported above
    return signed_in_as(Role.INFORMATION_GOVERNANCE_OFFICER)


@pytest.fixture
def answering(client: TestClient, officer: User, db: Session) -> TestClient:
    """An officer whose agency answers subject access requests under an agreement covering every category."""
    subject_access_agreement(db, officer=officer)
    db.commit()
    return client


def subject_access_agreement(db: Session, *, officer: User, leave_out: tuple[str, ...] = ()) -> None:
    providers = sorted({core.get_agency(db, source.agency_id).name for source in sources.list_sources(db)})
    in_force(
        db,
        recipients=[officer.agency.name],
        providers=providers,
        purposes=["subject_access"],
        categories={
            category.code: category.fields
            for category in vocabulary.CATEGORIES
            if category.code in EVERY_CATEGORY and category.code not in leave_out
        },
        at=MOMENT,
        basis="6(1)(c)",
    )


def output(person_id: str, name: str, case: str | None = CASE) -> str:
    path = f"/governance/people/{quote(person_id)}/{name}"
    return path if case is None else f"{path}?case={quote(case)}"


def entries(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(AccessLogEntry)) or 0


def entries_after(db: Session, count: int) -> list[AccessLogEntry]:
    return list(db.scalars(select(AccessLogEntry).order_by(AccessLogEntry.position).offset(count)))


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


# ---------------------------------------------------------------- who may, and what they must give first


@pytest.mark.parametrize(
    "path",
    [
        "/governance/people/P1",
        *(output("P1", name) for name in OUTPUTS),
        "/governance/access-log/1/exemption",
    ],
)
def test_only_information_governance_officers_reach_the_subject_access_pages(
    client: TestClient,
    signed_in_as: SignedInAs,  # noqa: F811 - the fixture imported above
    db: Session,
    path: str,
) -> None:
    signed_in_as(*OTHER_ROLES)
    before = entries(db)
    assert client.get(path).status_code == 403
    assert entries(db) == before


def test_the_start_page_asks_for_the_case_reference_and_decides_nothing(
    answering: TestClient, db: Session, someone: str
) -> None:
    before = entries(db)
    page = answering.get(f"/governance/people/{someone}").text
    assert 'name="case"' in page
    assert f'formaction="{output(someone, "access-report", None)}"' in page
    assert f'formaction="{output(someone, "subject-access", None)}"' in page
    assert entries(db) == before


@pytest.mark.parametrize("name", OUTPUTS)
def test_each_output_asks_for_the_case_reference_before_anything_is_decided(
    answering: TestClient, db: Session, someone: str, name: str
) -> None:
    before = entries(db)
    asking = answering.get(output(someone, name, None))
    assert asking.status_code == 200 and 'name="case"' in asking.text
    empty = answering.get(output(someone, name, "  "))
    assert empty.status_code == 400
    assert "Enter the case reference of the subject access request" in text_of(empty.text)
    assert entries(db) == before


# ---------------------------------------------------------------- decided and logged once


@pytest.mark.parametrize("name", OUTPUTS)
def test_each_output_writes_exactly_one_log_entry_under_the_request(
    answering: TestClient, db: Session, officer: User, someone: str, name: str
) -> None:
    before = entries(db)
    assert answering.get(output(someone, name)).status_code == 200
    [entry] = entries_after(db, before)
    assert (entry.username, entry.role, entry.purpose, entry.case_reference) == (
        officer.username,
        Role.INFORMATION_GOVERNANCE_OFFICER,
        "subject_access",
        CASE,
    )
    assert (entry.subject_kind, entry.subject_id, entry.outcome) == ("person", someone, "permit")
    assert json.loads(entry.categories) == EVERY_CATEGORY


@pytest.mark.parametrize("name", OUTPUTS)
def test_without_a_subject_access_agreement_each_output_is_refused_and_still_logged(
    client: TestClient, officer: User, db: Session, someone: str, name: str
) -> None:
    before = entries(db)
    refused = client.get(output(someone, name))
    assert refused.status_code == 403
    [entry] = entries_after(db, before)
    assert entry.outcome == "deny"
    assert f"entry {entry.position}" in text_of(refused.text)
    assert someone not in refused.text.replace(f"/governance/people/{someone}", "")


@pytest.mark.parametrize("name", OUTPUTS)
def test_an_agreement_not_covering_every_category_refuses_the_request_in_full(
    client: TestClient, officer: User, db: Session, someone: str, name: str
) -> None:
    subject_access_agreement(db, officer=officer, leave_out=("health",))
    db.commit()
    before = entries(db)
    refused = client.get(output(someone, name))
    assert refused.status_code == 403
    assert "covers health events" in text_of(refused.text)
    assert len(entries_after(db, before)) == 1


# ---------------------------------------------------------------- the report


def test_the_report_names_agencies_and_roles_but_never_the_workers(
    answering: TestClient, db: Session, officer: User, someone: str
) -> None:
    logged(db, subject_id=someone, days_ago=2, username="sam.worker")
    db.commit()
    page = answering.get(output(someone, "access-report")).text
    rows = table(page, "Each time someone was allowed to see your information, newest first")
    assert [row[1:4] for row in rows] == [
        [officer.agency.name, "Information governance officer", "Subject access and oversight"],
        ["Riverford Homes", "Practitioner", "Early-help coordination"],
    ]
    assert rows[1][0] == "31 October 2026, 09:30 UTC"
    assert "sam.worker" not in page and officer.username not in page.replace(f"{officer.full_name}", "")


def test_the_report_leaves_out_an_exempted_access_without_a_trace(
    answering: TestClient, db: Session, someone: str
) -> None:
    shown = logged(db, subject_id=someone, days_ago=3)
    exempted = logged(
        db, subject_id=someone, days_ago=2, agency="Vale Police", purpose="safeguarding_children"
    )
    subject_access.record_exemption(
        db,
        position=exempted,
        ground=CRIME,
        withheld_until=MOMENT.date() + timedelta(days=60),
        by="x",
        at=MOMENT,
    )
    db.commit()
    page = answering.get(output(someone, "access-report")).text
    rows = table(page, "Each time someone was allowed to see your information, newest first")
    assert [row[-1].split(":")[0].strip() for row in rows[1:]] == [str(shown)]
    assert "Vale Police" not in page and "Safeguarding children" not in page


# ---------------------------------------------------------------- the document and the download


def test_the_document_shows_every_record_of_the_person_by_organisation(
    answering: TestClient, db: Session, someone: str, lake: Lake
) -> None:
    page = answering.get(output(someone, "subject-access")).text
    for key in keys_of(db, lake, someone):
        assert f"Record {key.partition(':')[2]}" in page
    export = export_of(db, lake, someone)
    for agency in export["records"]["agencies"].values():
        assert f'<h3 class="govuk-heading-m">{agency}</h3>' in html.unescape(page)
    for source, agency in export["records"]["agencies"].items():
        held = [row for row in export["records"]["event"] if row["source"] == source]
        if held:
            assert len(table(page, f"Things {agency} recorded as happening")) == len(held)
    assert "Download it as a JSON file" in page
    assert "agreement does not release" not in page


def test_the_download_is_everything_held_as_a_json_file(
    answering: TestClient, db: Session, someone: str, lake: Lake
) -> None:
    response = answering.get(output(someone, "subject-access.json"))
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="subject-access-{someone}-{CASE}.json"'
    )
    downloaded = response.json()
    export = export_of(db, lake, someone)
    assert downloaded["records"] == export["records"]
    assert downloaded["who_looked"] == export["who_looked"]
    assert downloaded["who_looked"]["accesses"][0]["purpose"] == "Subject access and oversight"


def test_fields_the_agreement_does_not_release_are_left_out_and_the_officer_told(
    client: TestClient, officer: User, db: Session, someone: str
) -> None:
    narrow = {
        category.code: category.fields for category in vocabulary.CATEGORIES if category.code != "aggregate"
    }
    narrow["identity"] = ("given_name", "family_name")
    providers = sorted({core.get_agency(db, source.agency_id).name for source in sources.list_sources(db)})
    in_force(
        db,
        recipients=[officer.agency.name],
        providers=providers,
        purposes=["subject_access"],
        categories=narrow,
        at=MOMENT,
    )
    db.commit()
    page = client.get(output(someone, "subject-access")).text
    assert "agreement does not release these fields" in text_of(page)
    downloaded = client.get(output(someone, "subject-access.json")).json()
    assert all("date_of_birth" not in row and "sex" not in row for row in downloaded["records"]["person"])


# ---------------------------------------------------------------- exemptions


def test_an_officer_leaves_an_access_out_of_the_report_until_a_day(
    answering: TestClient, db: Session, someone: str
) -> None:
    position = logged(db, subject_id=someone)
    db.commit()
    path = f"/governance/access-log/{position}/exemption"
    response = post_form(
        answering,
        path,
        {
            "ground": CRIME,
            "withheld_until-day": "2",
            "withheld_until-month": "2",
            "withheld_until-year": "2027",
        },
    )
    assert response.status_code == 303 and response.headers["location"] == f"{path}?done=1"
    [made] = db.scalars(select(AccessExemption).where(AccessExemption.position == position))
    assert (made.ground, made.withheld_until.isoformat()) == (CRIME, "2027-02-02")
    page = text_of(answering.get(response.headers["location"]).text)
    assert f"entry {position} is left out of the person's report until 2 February 2027" in page
    report = answering.get(output(someone, "access-report")).text
    assert f"/governance/access-log/{position}/" not in report


def test_the_exemption_form_says_what_is_wrong(answering: TestClient, db: Session) -> None:
    position = logged(db)
    db.commit()
    path = f"/governance/access-log/{position}/exemption"
    empty = post_form(answering, path, {})
    assert empty.status_code == 400
    assert "Choose the ground the exemption rests on" in text_of(empty.text)
    too_late = post_form(
        answering,
        path,
        {
            "ground": CRIME,
            "withheld_until-day": "3",
            "withheld_until-month": "11",
            "withheld_until-year": "2027",
        },
    )
    assert too_late.status_code == 400
    assert "at most a year at a time: until 2 November 2027 at the latest" in text_of(too_late.text)
    assert db.scalar(select(func.count()).select_from(AccessExemption)) == 0


def test_a_refused_access_has_nothing_to_withhold(answering: TestClient, db: Session) -> None:
    position = logged(db, outcome="deny", fields=(), reason="No agreement.")
    db.commit()
    page = answering.get(f"/governance/access-log/{position}/exemption").text
    assert "there is nothing to withhold" in text_of(page)
    assert 'name="ground"' not in page


def test_an_entry_that_does_not_exist_is_not_found(answering: TestClient) -> None:
    assert answering.get("/governance/access-log/999999/exemption").status_code == 404


def test_choices_are_recorded_only_for_people_the_linkage_made(
    client: TestClient, officer: User, someone: str
) -> None:
    assert client.get(f"/governance/people/{quote(someone)}/choices").status_code == 200
    missing = client.get("/governance/people/P-not-a-person/choices")
    assert missing.status_code == 404
    assert "There is no person P-not-a-person in the latest linkage." in html.unescape(missing.text)
