"""The contributions matrix and the rating form through the app, on SQLite and PostgreSQL: agencies by priority
results with each rating, its linked measures and the gaps; the signed-in user's agency rating its own
contribution, all ratings kept or none; and who may rate."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.identity.test_views import error_summary
from tests.outcomes import factories as make
from tests.support import factories
from tests.support.factories import MOMENT
from tests.support.web import csrf_from, post_form, sign_in
from wholeplace.core.models import User
from wholeplace.core.roles import Role
from wholeplace.outcomes.models import Contribution
from wholeplace.outcomes.schemas import ContributionLevel
from wholeplace.outcomes.service import contributions

MATRIX = "/outcomes/contributions"
RATE = MATRIX + "/rate"


@pytest.fixture
def pat(db: Session) -> User:
    """A programme manager of the council."""
    user = factories.user(
        db, Role.PROGRAMME_MANAGER, username="pat", at=factories.agency(db, "Riverford Council")
    )
    db.commit()
    return user


@pytest.fixture
def manager(client: TestClient, pat: User) -> TestClient:
    assert sign_in(client, "pat", factories.PASSWORD).status_code == 303
    return client


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _ratings(db: Session) -> list[tuple[object, int]]:
    db.expire_all()
    found = db.scalars(select(Contribution).order_by(Contribution.rating))
    return [(one.result_id, one.rating) for one in found]


def test_the_matrix_shows_each_rating_with_its_linked_measures_and_the_gaps(
    manager: TestClient, db: Session, pat: User
) -> None:
    covered, uncovered = make.result(db), make.result(db)
    make.result(db, priority=False)
    own = make.measure(db, of=make.programme(db, agency=pat.agency))
    for result, level, linked in (
        (covered, ContributionLevel.LEAD, [own.id]),
        (uncovered, ContributionLevel.MINOR, []),
    ):
        contributions.rate_contribution(
            db,
            agency_id=pat.agency_id,
            result_id=result.id,
            level=level,
            measure_ids=linked,
            by="pat",
            at=MOMENT,
        )
    db.commit()
    page = manager.get(MATRIX)
    assert page.status_code == 200
    text = _text(page.text)
    assert "3 lead" in text
    assert "1 minor" in text
    assert f'href="/outcomes/measures/{own.id}"' in page.text
    headers = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', page.text, flags=re.DOTALL)
    gap_columns = [_text(header) for header in headers if "Gap" in header]
    assert gap_columns == [f"{uncovered.title} Gap"]
    gaps = _text(page.text.split('id="gaps"')[1])
    assert f"{uncovered.title} All agencies No agency contributes significantly." in gaps
    assert f"{uncovered.title} Riverford Council The rating has no performance measure linked." in gaps
    assert covered.title not in gaps


def test_rating_through_the_form_keeps_each_rating_and_its_linked_measures(
    manager: TestClient, db: Session, pat: User
) -> None:
    first, second, unrated = make.result(db), make.result(db), make.result(db)
    own = make.measure(db, of=make.programme(db, agency=pat.agency))
    db.commit()
    boxes: dict[str, str | list[str]] = {
        f"level-{first.id}": "2",
        f"measures-{first.id}": [str(own.id)],
        f"level-{second.id}": "0",
    }
    response = post_form(manager, RATE, boxes)
    assert response.status_code == 303
    assert "Your agency&#39;s contributions are saved" in manager.get(response.headers["location"]).text
    assert _ratings(db) == [(second.id, 0), (first.id, 2)]
    cell = contributions.contribution_matrix(db).cells[(pat.agency_id, first.id)]
    assert cell.measure_ids == (own.id,)
    assert (pat.agency_id, unrated.id) not in contributions.contribution_matrix(db).cells
    form = manager.get(RATE).text
    assert re.search(rf'name="level-{first.id}" type="radio" value="2" checked', form)


def test_a_measure_linked_without_a_rating_is_refused_and_nothing_is_kept(
    manager: TestClient, db: Session, pat: User
) -> None:
    rated, forgotten = make.result(db), make.result(db)
    own = make.measure(db, of=make.programme(db, agency=pat.agency))
    db.commit()
    boxes: dict[str, str | list[str]] = {f"level-{rated.id}": "3", f"measures-{forgotten.id}": [str(own.id)]}
    response = post_form(manager, RATE, boxes)
    assert response.status_code == 400
    assert error_summary(response.text) == [
        f"Choose a rating for {forgotten.title}, or untick the measures linked to it"
    ]
    assert f'href="#level-{forgotten.id}"' in response.text
    assert _ratings(db) == []


def test_another_agency_s_measure_is_refused_and_no_rating_is_kept(
    manager: TestClient, db: Session, pat: User
) -> None:
    first, second = make.result(db), make.result(db)
    theirs = make.measure(db)
    db.commit()
    boxes: dict[str, str | list[str]] = {
        f"level-{first.id}": "1",
        f"level-{second.id}": "2",
        f"measures-{second.id}": [str(theirs.id)],
    }
    response = post_form(manager, RATE, boxes)
    assert response.status_code == 400
    assert "not a performance measure of the agency's own programmes" in error_summary(response.text)[0]
    assert _ratings(db) == []


def test_anyone_signed_in_may_read_the_matrix_but_only_a_programme_manager_may_rate(
    client: TestClient, db: Session
) -> None:
    result = make.result(db)
    factories.user(db, Role.PRACTITIONER, username="prue")
    db.commit()
    assert sign_in(client, "prue", factories.PASSWORD).status_code == 303
    page = client.get(MATRIX)
    assert page.status_code == 200
    assert "Rate your agency" not in page.text
    assert client.get(RATE).status_code == 403
    token = csrf_from(page)
    refused = client.post(RATE, data={f"level-{result.id}": "3", "csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 403
    assert db.scalar(select(func.count()).select_from(Contribution)) == 0
