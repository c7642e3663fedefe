"""Turning the curve through the app, on SQLite and PostgreSQL: the history with the baseline's forecast and the
targets, the latest review and the earlier ones; a review recorded through the form, refused box by box with
nothing stored when it is wrong; and who may review."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.identity.test_views import chart_spec, error_summary
from tests.outcomes import factories as make
from tests.outcomes.test_scorecard_views import load, page_text, signed_in
from tests.support import factories
from tests.support.factories import MOMENT
from tests.support.web import post_form, sign_in
from wholeplace.core.roles import Role
from wholeplace.outcomes.models import Measure
from wholeplace.outcomes.schemas import Action, ActionStatus, Baseline, Cost, Idea, Partner
from wholeplace.outcomes.service import curves

TODAY = MOMENT.date()
NONE = "\N{EN DASH}"  # an empty cell of a table


def _curve(measure: Measure) -> str:
    return f"/outcomes/measures/{measure.id}/curve"


def _review(
    db: Session,
    measure: Measure,
    on: date,
    story: str,
    due: date | None,
    status: ActionStatus = ActionStatus.NOT_STARTED,
) -> None:
    curves.review_curve(
        db,
        measure_id=measure.id,
        reviewed_on=on,
        story=story,
        partners=[Partner("Riverford Schools", "attendance officers")],
        what_works=[Idea("Walking buses run by parents", Cost.NO_COST)],
        actions=[Action("Ask the council to restore the route", "Jo", due, status)],
        by="lead",
        at=MOMENT,
    )
    db.commit()


def _form(**boxes: str) -> dict[str, str | list[str]]:
    """A review form with one row of each list filled, a blank row under each, and any box changed."""
    sent: dict[str, str | list[str]] = {
        "reviewed_on-day": "2",
        "reviewed_on-month": "11",
        "reviewed_on-year": "2026",
        "story": "Absence rose after the bus route was cut.",
        "partner-1-name": "Riverford Schools",
        "partner-1-role": "Attendance officers",
        "partner-2-name": "",
        "partner-2-role": "",
        "idea-1-idea": "Walking buses",
        "idea-1-cost": "no_cost",
        "idea-2-idea": "",
        "idea-2-cost": "",
        "action-1-action": "Ask for the route back",
        "action-1-who": "Jo",
        "action-1-due-day": "31",
        "action-1-due-month": "1",
        "action-1-due-year": "2027",
        "action-1-status": "under_way",
        "action-2-action": "",
        "action-2-who": "",
        "action-2-due-day": "",
        "action-2-due-month": "",
        "action-2-due-year": "",
        "action-2-status": "not_started",
    }
    return sent | boxes


def test_the_curve_shows_the_history_with_the_baseline_carried_on_to_the_targets(
    client: TestClient, db: Session, tmp_path: Path
) -> None:
    indicator = make.indicator(
        db, baseline=Baseline(Decimal(16), "2024-04"), targets={"2024-08": Decimal(20)}
    )
    load(db, indicator.id, tmp_path, [10, 12, 14, 16, 15, 15])
    signed_in(client, db)
    page = client.get(_curve(indicator))
    assert page.status_code == 200
    spec = chart_spec(page.text, "curve-chart")
    rows = [row for rows in spec["datasets"].values() for row in rows]  # type: ignore[attr-defined]
    trend = [(row["period"], row["value"]) for row in rows if row["which"] == "trend"]
    assert trend[:5] == [
        ("2024-01", 10.0),
        ("2024-02", 12.0),
        ("2024-03", 14.0),
        ("2024-04", 16.0),
        ("2024-05", 18.0),
    ]
    assert trend[-1] == ("2024-10", 28.0)
    text = page_text(page.text)
    assert "The baseline is the 4 values from 2024-01 to 2024-04." in text
    assert f"2024-05 15 18.00 {NONE}" in text and f"2024-08 {NONE} 24.00 20" in text
    assert "The curve has not been reviewed yet." in text
    assert "Record a review" not in text


def test_the_latest_review_is_shown_whole_and_the_earlier_ones_by_date(
    client: TestClient, db: Session
) -> None:
    indicator = make.indicator(db)
    _review(db, indicator, TODAY - timedelta(days=92), "The route was cut.", None)
    _review(db, indicator, TODAY, "The route is back.", TODAY - timedelta(days=1))
    signed_in(client, db)
    text = page_text(client.get(_curve(indicator)).text)
    latest = text[text.index("The latest review") : text.index("Earlier reviews")]
    assert "Reviewed on 2 November 2026 by lead (version 2)." in latest
    assert "The story behind the curve The route is back." in latest
    assert "Riverford Schools attendance officers" in latest
    assert "Walking buses run by parents No cost" in latest
    assert "Ask the council to restore the route Jo 1 November 2026 Not started, overdue" in latest
    assert "Review of 2 August 2026 by lead" in text[text.index("Earlier reviews") :]
    assert "The route was cut." in text


def test_an_action_done_or_dropped_is_never_overdue(client: TestClient, db: Session) -> None:
    indicator = make.indicator(db)
    _review(db, indicator, TODAY, "The route is back.", TODAY - timedelta(days=1), ActionStatus.DONE)
    signed_in(client, db)
    text = page_text(client.get(_curve(indicator)).text)
    assert "Ask the council to restore the route Jo 1 November 2026 Done" in text
    assert "overdue" not in text


def test_a_review_through_the_form_is_stored_as_the_next_version(client: TestClient, db: Session) -> None:
    indicator = make.indicator(db)
    signed_in(client, db, Role.PROGRAMME_MANAGER)
    response = post_form(client, _curve(indicator) + "/review", _form())
    assert (response.status_code, response.headers["location"]) == (303, _curve(indicator) + "?done=reviewed")
    review = curves.latest_review(db, indicator.id)
    assert review is not None
    assert (review.version, review.reviewed_on, review.reviewed_by) == (1, TODAY, "reader")
    assert curves.partners_of(review) == [Partner("Riverford Schools", "Attendance officers")]
    assert curves.ideas_of(review) == [Idea("Walking buses", Cost.NO_COST)]
    assert curves.actions_of(review) == [
        Action("Ask for the route back", "Jo", date(2027, 1, 31), ActionStatus.UNDER_WAY)
    ]
    assert "The review is recorded." in page_text(client.get(_curve(indicator) + "?done=reviewed").text)


def test_the_next_form_starts_from_the_latest_review_with_blank_rows_to_add(
    client: TestClient, db: Session
) -> None:
    indicator = make.indicator(db)
    _review(db, indicator, TODAY, "The route is back.", None, ActionStatus.DONE)
    signed_in(client, db, Role.ADMINISTRATOR)
    page = client.get(_curve(indicator) + "/review").text
    assert 'name="partner-1-name" type="text" value="Riverford Schools"' in page
    assert 'name="partner-4-name" type="text" value=""' in page and 'name="partner-5-name"' not in page
    assert '<option value="done" selected>Done</option>' in page.split('name="action-1-status"')[1]
    assert ">The route is back.</textarea>" in page


def test_a_wrong_review_is_refused_box_by_box_and_nothing_is_stored(client: TestClient, db: Session) -> None:
    indicator = make.indicator(db)
    signed_in(client, db, Role.PROGRAMME_MANAGER)
    wrong = _form(
        story="",
        **{
            "partner-2-name": "Police",
            "idea-1-cost": "",
            "action-1-due-day": "30",
            "action-1-due-month": "2",
            "action-1-status": "forgotten",
        },
    )
    response = post_form(client, _curve(indicator) + "/review", wrong)
    assert response.status_code == 400
    assert error_summary(response.text) == [
        "Tell the story behind the curve: why the indicator is where it is",
        "Enter the role of partner 2",
        "Select what idea 1 costs",
        "The date action 1 is due by must be a real date, like 31 3 2027",
        "Select where action 1 stands",
    ]
    assert 'href="#partner-2-role"' in response.text and 'href="#action-1-due-day"' in response.text
    assert 'name="partner-2-name" type="text" value="Police"' in response.text
    assert curves.reviews_of(db, indicator.id) == []


def test_a_review_before_the_last_is_refused_at_its_date(client: TestClient, db: Session) -> None:
    indicator = make.indicator(db)
    _review(db, indicator, TODAY, "The route is back.", None)
    signed_in(client, db, Role.PROGRAMME_MANAGER)
    response = post_form(client, _curve(indicator) + "/review", _form(**{"reviewed_on-day": "1"}))
    assert response.status_code == 400
    assert error_summary(response.text) == [
        "The last review was on 2 November 2026. Enter a day on or after it: each review follows the one before."
    ]
    assert 'href="#reviewed_on-day"' in response.text
    assert len(curves.reviews_of(db, indicator.id)) == 1


@pytest.mark.parametrize("is_owner", [True, False])
def test_the_indicators_owner_may_review_and_other_readers_may_not(
    client: TestClient, db: Session, is_owner: bool
) -> None:
    owner = make.owner(db)
    indicator = make.indicator(db, who=owner)
    if is_owner:
        db.commit()
        assert sign_in(client, owner.username, factories.PASSWORD).status_code == 303
    else:
        signed_in(client, db, Role.ANALYST)
    assert client.get(_curve(indicator) + "/review").status_code == (200 if is_owner else 403)
    response = post_form(client, _curve(indicator) + "/review", _form(), from_page=_curve(indicator))
    assert response.status_code == (303 if is_owner else 403)
    assert len(curves.reviews_of(db, indicator.id)) == (1 if is_owner else 0)
    assert ("Record a review" in client.get(_curve(indicator)).text) is is_owner


def test_a_performance_measure_has_no_curve_to_turn(client: TestClient, db: Session) -> None:
    measure = make.measure(db)
    signed_in(client, db, Role.PROGRAMME_MANAGER)
    assert client.get(_curve(measure)).status_code == 404
    assert client.get(_curve(measure) + "/review").status_code == 404
