"""Search, the household and person pages and "why can I see this" through the app, on SQLite and PostgreSQL:
one logged decision per candidate and per page, nothing shown that the decision refused, and each viewer reading
only their own log entries."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.coordination.test_finding import record
from tests.identity.test_views import error_summary
from tests.support import factories
from tests.support.agreements import in_force
from tests.support.clock import FakeClock
from tests.support.web import sign_in
from wholeplace.core.models import Agency, User
from wholeplace.core.roles import Role, Sector
from wholeplace.governance import vocabulary
from wholeplace.governance.models import AccessLogEntry
from wholeplace.governance.service import involvements

COUNCIL = "Testford Council"
HOMES = "Testford Homes"
SCHOOLS = "Testford Schools"
HOUSEHOLD = "H-okafor"
WORKING = "?purpose=early_help&case=EH-7"
HOME = f"/households/{HOUSEHOLD}"
SEARCH = "/search?purpose=early_help&family_name=Okafor&postcode=TF1+2AB"


@pytest.fixture
def council(db: Session, clock: FakeClock) -> Agency:
    """The council and the housing agency share identity and contact for early help; the council works with
    the Okafors (P-1, P-2), not with their neighbour Zeb Okafor (P-9); the schools are in no agreement."""
    council = factories.agency(db, COUNCIL, sector=Sector.LOCAL_GOVERNMENT)
    homes = factories.agency(db, HOMES)
    factories.agency(db, SCHOOLS, sector=Sector.EDUCATION)
    in_force(
        db,
        recipients=[COUNCIL],
        providers=[HOMES],
        purposes=["early_help"],
        categories={code: _fields(code) for code in ("identity", "contact", "involvement", "events")},
        at=clock(),
    )
    for person in ("P-1", "P-2"):
        involvements.open_involvement(
            db,
            person_id=person,
            household_id=HOUSEHOLD,
            agency_id=council.id,
            origin="referral",
            reference="R-1",
            on=clock().date() - timedelta(days=30),
        )
    record(
        db,
        homes,
        "P-1",
        household_id=HOUSEHOLD,
        given_name="Amara",
        family_name="Okafor",
        postcode="TF1 2AB",
        address="1 High Street",
        date_of_birth=date(1990, 11, 3),
    )
    record(
        db,
        homes,
        "P-2",
        household_id=HOUSEHOLD,
        given_name="Tobi",
        family_name="Okafor",
        postcode="TF1 2AB",
        date_of_birth=date(2012, 3, 27),
    )
    record(
        db, homes, "P-9", household_id="H-other", given_name="Zeb", family_name="Okafor", postcode="TF1 2AB"
    )
    db.commit()
    return council


def _fields(code: str) -> tuple[str, ...]:
    category = vocabulary.category(code)
    assert category is not None
    return category.fields


@pytest.fixture
def tom(db: Session, council: Agency) -> User:
    user = factories.user(db, Role.PRACTITIONER, username="tom", at=council)
    user.full_name = "Tom Kowalski"
    db.commit()
    return user


@pytest.fixture
def signed_in(client: TestClient, tom: User) -> TestClient:
    assert sign_in(client, "tom", factories.PASSWORD).status_code == 303
    return client


def _entries(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(AccessLogEntry)) or 0


def _last(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.max(AccessLogEntry.position))) or 0


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


# ---------------------------------------------------------------- search


def test_the_search_form_offers_only_the_purposes_of_the_viewer_s_roles(signed_in: TestClient) -> None:
    page = signed_in.get("/search")
    assert page.status_code == 200
    offered = re.findall(r'name="purpose" type="radio" value="([a-z_]+)"', page.text)
    assert "early_help" in offered
    assert not {"outcomes_evaluation", "subject_access", "record_linkage", "vital_interests"} & set(offered)


def test_search_logs_one_entry_per_candidate_and_shows_none_refused(
    signed_in: TestClient, db: Session
) -> None:
    before = _entries(db)
    page = signed_in.get(SEARCH)
    assert page.status_code == 200
    assert _entries(db) == before + 3
    text = _text(page.text)
    assert "Amara Okafor" in text and "Tobi Okafor" in text
    assert "Zeb" not in text
    assert f'href="{HOME}?purpose=early_help"' in page.text


def test_a_search_nobody_matches_says_so_and_what_to_try(signed_in: TestClient, db: Session) -> None:
    page = signed_in.get("/search?purpose=early_help&family_name=Nobody&given_name=Amara")
    assert page.status_code == 200
    assert "Add more detail" in _text(page.text)


def test_a_search_without_a_purpose_or_enough_detail_is_refused_with_the_errors(
    signed_in: TestClient, db: Session
) -> None:
    before = _entries(db)
    page = signed_in.get("/search?family_name=Okafor")
    assert page.status_code == 400
    assert error_summary(page.text) == ["Select why you are searching"]
    assert 'value="Okafor"' in page.text
    page = signed_in.get("/search?purpose=early_help&family_name=Okafor")
    assert error_summary(page.text) == [
        "A family name alone matches too many people. Add a given name, a date of birth or a postcode."
    ]
    assert _entries(db) == before


def test_a_purpose_that_needs_a_case_reference_asks_for_one(signed_in: TestClient) -> None:
    page = signed_in.get("/search?purpose=safeguarding_children&family_name=Okafor&given_name=Amara")
    assert page.status_code == 400
    assert error_summary(page.text) == ["Enter the case reference: safeguarding children needs one"]


def test_a_date_of_birth_must_be_a_real_date(signed_in: TestClient) -> None:
    page = signed_in.get("/search?purpose=early_help&family_name=Okafor&dob-day=31&dob-month=2&dob-year=2012")
    assert error_summary(page.text) == ["Date of birth must be a real date, like 27 3 2012"]


# ---------------------------------------------------------------- the household and person pages


def test_the_household_page_shows_its_panels_each_with_a_why_link(signed_in: TestClient, db: Session) -> None:
    page = signed_in.get(HOME + WORKING)
    assert page.status_code == 200
    position = _last(db)
    text = _text(page.text)
    assert "Household: Okafor" in text
    assert "Amara Okafor" in text and "1 High Street, TF1 2AB" in text
    assert "No lead professional yet" in text
    for panel in ("members", "address", "agencies", "timeline", "needs"):
        assert f'href="/coordination/why/{position}?panel={panel}"' in page.text
    for path in ("/plan", "/meetings", "/lead", "/referrals/new", "/plan/close", "/sustainment"):
        assert f'href="{HOME}{path}{WORKING.replace("&", "&amp;")}"' in page.text


def test_the_household_page_asks_the_decision_once(signed_in: TestClient, db: Session) -> None:
    before = _entries(db)
    signed_in.get(HOME + WORKING)
    assert _entries(db) == before + 1


def test_an_agency_not_involved_is_refused_the_household_with_the_reason(
    client: TestClient, db: Session, council: Agency
) -> None:
    schools = db.scalar(select(Agency).where(Agency.name == SCHOOLS))
    factories.user(db, Role.PRACTITIONER, username="teacher", at=schools)
    db.commit()
    assert sign_in(client, "teacher", factories.PASSWORD).status_code == 303
    page = client.get(HOME + WORKING)
    assert page.status_code == 403
    text = _text(page.text)
    assert "You cannot see this household" in text
    assert "make a referral" in text and "front-door triage" in text
    assert "Okafor" not in text


def test_the_person_page_links_to_their_household(signed_in: TestClient) -> None:
    page = signed_in.get("/people/P-2" + WORKING)
    assert page.status_code == 200
    assert '<h1 class="govuk-heading-l">Tobi Okafor</h1>' in page.text
    assert f'href="{HOME}{WORKING.replace("&", "&amp;")}"' in page.text


# ---------------------------------------------------------------- why can I see this


def test_the_why_page_shows_the_viewer_s_own_decision(signed_in: TestClient, db: Session) -> None:
    signed_in.get(HOME + WORKING)
    page = signed_in.get(f"/coordination/why/{_last(db)}?panel=timeline")
    assert page.status_code == 200
    text = _text(page.text)
    assert "The timeline panel shows" in text
    assert "Early-help coordination" in text and "EH-7" in text and "Permitted" in text
    assert "Name, date of birth and sex: released" in text
    assert "Health events: not released" in text
    assert "Test sharing agreement" in text
    assert "Given name" in text
    assert "access report" in text


def test_the_why_page_of_another_viewer_s_decision_is_not_found(
    signed_in: TestClient, client: TestClient, db: Session, council: Agency
) -> None:
    signed_in.get(HOME + WORKING)
    position = _last(db)
    factories.user(db, Role.PRACTITIONER, username="ana", at=council)
    db.commit()
    signed_in.cookies.clear()
    assert sign_in(client, "ana", factories.PASSWORD).status_code == 303
    assert client.get(f"/coordination/why/{position}").status_code == 404
