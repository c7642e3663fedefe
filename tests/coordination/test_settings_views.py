"""The coordination settings pages through the app, on SQLite and PostgreSQL: each setting shown with its value,
whether it is the default and who changed it when; each changed through its form, bad input answered in the error
summary with a link to the box and what was typed kept; a way back to the default; and for administrators only."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.governance.test_agreement_views import location
from tests.identity.test_views import error_summary
from tests.support import factories
from tests.support.clock import FakeClock
from tests.support.web import post_form, sign_in
from wholeplace.coordination import framework
from wholeplace.coordination.framework import OutcomeArea, SustainmentRule
from wholeplace.coordination.service import plans, settings
from wholeplace.core.models import User
from wholeplace.core.roles import Role

PAGE = "/coordination/settings"


@pytest.fixture
def ada(db: Session) -> User:
    user = factories.user(db, Role.ADMINISTRATOR, username="ada")
    user.full_name = "Ada Lovelace"
    db.commit()
    return user


@pytest.fixture
def admin(client: TestClient, ada: User) -> TestClient:
    assert sign_in(client, "ada", factories.PASSWORD).status_code == 303
    return client


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _box(page: str, name: str) -> str | None:
    """The value a page's input box of this name holds, or None when there is no such box."""
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    if found is None:
        return None
    value = re.search(r'value="([^"]*)"', found.group(0))
    return html.unescape(value.group(1)) if value else ""


def _send(client: TestClient, key: str, boxes: dict[str, str | list[str]]) -> tuple[int, str]:
    response = post_form(client, f"{PAGE}/{key}", boxes)
    return response.status_code, response.headers.get("location") or response.text


def _framework_boxes(*rows: tuple[str, str, str]) -> dict[str, str | list[str]]:
    boxes: dict[str, str | list[str]] = {}
    for number, (code, label, description) in enumerate(rows, 1):
        boxes |= {
            f"area-{number}-code": code,
            f"area-{number}-label": label,
            f"area-{number}-description": description,
        }
    return boxes


# ---------------------------------------------------------------- every setting


def test_each_setting_shows_its_value_that_it_is_the_default_and_that_nobody_changed_it(
    admin: TestClient,
) -> None:
    page = _text(admin.get(PAGE).text)
    for label in (
        "Outcome framework",
        "Significant event types",
        "Response times for referrals",
        "Months before a sustainment check",
        "Sustainment rules",
    ):
        assert f"{label} Change ({label})" in page
    assert page.count("Default or the place's own Default Last change Never changed") == 5
    assert "Getting a good education (education)" in page
    assert "Immediate (risk of harm): 4 hours" in page and "Routine: 5 days" in page
    assert "6 months after the plan closes" in page
    assert (
        "Secure housing: a relapse if any of eviction, homelessness_application happens; one of tenancy still open"
        in page
    )


def test_a_change_is_shown_with_who_made_it_and_when(
    admin: TestClient, db: Session, clock: FakeClock, ada: User
) -> None:
    where = location(post_form(admin, f"{PAGE}/sustainment_months", {"months": "12"}))
    assert where == f"{PAGE}?done=changed&key=sustainment_months"
    page = _text(admin.get(where).text)
    assert "Months before a sustainment check changed." in page
    assert "12 months after the plan closes Default or the place's own The place's own" in page
    assert "Changed by Ada Lovelace (ada) on 2 November 2026 at 09:30" in page
    db.expire_all()
    assert settings.sustainment_months(db) == 12


@pytest.mark.parametrize("path", [PAGE, f"{PAGE}/response_hours"])
def test_the_settings_are_for_administrators_only(client: TestClient, db: Session, path: str) -> None:
    factories.user(db, Role.PRACTITIONER, Role.LEAD_PROFESSIONAL, Role.PROGRAMME_MANAGER, username="pat")
    db.commit()
    assert sign_in(client, "pat", factories.PASSWORD).status_code == 303
    assert client.get(path).status_code == 403
    refused = post_form(client, f"{PAGE}/response_hours", {"hours-urgent": "1"}, from_page="/")
    assert refused.status_code == 403
    assert settings.current(db, "response_hours").is_default


def test_an_unknown_setting_is_not_found(admin: TestClient) -> None:
    response = admin.get(f"{PAGE}/colour")
    assert response.status_code == 404
    assert "There is no coordination setting called 'colour'." in _text(response.text)


# ---------------------------------------------------------------- the outcome framework


def test_the_framework_form_shows_each_area_with_empty_rows_to_add_more(admin: TestClient) -> None:
    page = admin.get(f"{PAGE}/outcome_framework").text
    assert _box(page, "area-10-code") == "financial_stability"
    assert _box(page, "area-13-code") == "" and _box(page, "area-14-code") is None
    assert "Return to the default" not in page


def test_the_framework_is_changed_through_its_form_blank_rows_left_out(
    admin: TestClient, db: Session
) -> None:
    boxes = _framework_boxes(
        ("home", "A safe home", "Somewhere safe."), ("", "", ""), ("learning", "Learning", "")
    )
    status, where = _send(admin, "outcome_framework", boxes)
    assert (status, where) == (303, f"{PAGE}?done=changed&key=outcome_framework")
    db.expire_all()
    assert settings.outcome_areas(db) == (
        OutcomeArea("home", "A safe home", "Somewhere safe."),
        OutcomeArea("learning", "Learning", ""),
    )
    assert "Return to the default" in admin.get(f"{PAGE}/outcome_framework").text


def test_a_bad_framework_is_refused_at_the_box_it_is_in_keeping_what_was_typed(
    admin: TestClient, db: Session
) -> None:
    boxes = _framework_boxes(("home", "Home", ""), ("", "", ""), ("Home Life", "Home life", "Typed"))
    status, page = _send(admin, "outcome_framework", boxes)
    assert status == 400
    assert error_summary(page) == [
        "The code 'Home Life' is not usable. Use lower-case letters, digits and underscores, starting with a "
        "letter, at most 60 characters."
    ]
    assert 'href="#area-3-code"' in page and 'value="Home Life"' in page and 'value="Typed"' in page
    assert "<title>Error: Outcome framework" in page
    assert settings.current(db, "outcome_framework").is_default


def test_a_framework_without_an_area_open_plans_use_is_refused(
    admin: TestClient, db: Session, clock: FakeClock
) -> None:
    plan = plans.open_plan(
        db, household_id="H-1", family_words="Us.", family_priorities="", by="t", at=clock()
    )
    plans.add_need(db, plan_id=plan.id, outcome_area="housing", description="d", goal="g", by="t", at=clock())
    db.commit()
    status, page = _send(admin, "outcome_framework", _framework_boxes(("home", "Home", "")))
    assert status == 400
    assert error_summary(page) == [
        "Outcome framework: needs in open plans are coded to housing. Keep those outcome areas until the plans "
        "using them are closed."
    ]
    assert 'href="#area-1-code"' in page


# ---------------------------------------------------------------- the other settings


def test_event_types_are_changed_by_clearing_one_and_adding_another(admin: TestClient, db: Session) -> None:
    form = admin.get(f"{PAGE}/significant_events").text
    assert _box(form, "event-1-code") == "school_exclusion"
    events = list(framework.SIGNIFICANT_EVENTS.items())
    boxes: dict[str, str | list[str]] = {}
    for number, (code, label) in enumerate(events[1:], 1):
        boxes |= {f"event-{number}-code": code, f"event-{number}-label": label}
    boxes |= {
        "event-7-code": "crime",
        "event-7-label": "Crime reported",
        "event-8-code": "",
        "event-8-label": "",
    }
    assert _send(admin, "significant_events", boxes)[0] == 303
    db.expire_all()
    assert settings.significant_events(db) == {**dict(events[1:]), "crime": "Crime reported"}


def test_an_event_type_needs_a_label(admin: TestClient) -> None:
    status, page = _send(admin, "significant_events", {"event-1-code": "crime", "event-1-label": ""})
    assert status == 400
    assert error_summary(page) == ["Enter a label for the event type crime. Say it as people will read it."]
    assert 'href="#event-1-label"' in page


def test_response_hours_are_changed_through_their_form(admin: TestClient, db: Session) -> None:
    boxes: dict[str, str | list[str]] = {"hours-immediate": "2", "hours-urgent": "12", "hours-routine": "72"}
    assert _send(admin, "response_hours", boxes)[0] == 303
    db.expire_all()
    assert settings.response_hours(db) == {"immediate": 2, "urgent": 12, "routine": 72}
    assert "Urgent: 12 hours" in _text(admin.get(PAGE).text)


def test_response_hours_that_are_not_numbers_or_out_of_order_are_refused(
    admin: TestClient, db: Session
) -> None:
    status, page = _send(
        admin, "response_hours", {"hours-immediate": "", "hours-urgent": "a day", "hours-routine": "72"}
    )
    assert status == 400
    assert error_summary(page) == [
        "Enter the hours for immediate referrals",
        "Enter the hours for urgent referrals as a whole number, like 24",
    ]
    status, page = _send(
        admin, "response_hours", {"hours-immediate": "30", "hours-urgent": "24", "hours-routine": "72"}
    )
    assert status == 400
    [problem] = error_summary(page)
    assert problem.startswith("Immediate referrals would have longer to answer (30 hours) than urgent ones")
    assert 'href="#hours-immediate"' in page
    assert settings.current(db, "response_hours").is_default


@pytest.mark.parametrize(
    ("months", "problem"), [("0", "must be from 1 to 60"), ("six", "as a whole number, like 6")]
)
def test_months_out_of_range_or_not_a_number_are_refused(
    admin: TestClient, months: str, problem: str
) -> None:
    status, page = _send(admin, "sustainment_months", {"months": months})
    assert status == 400
    [shown] = error_summary(page)
    assert problem in shown and 'href="#months"' in page


def test_sustainment_rules_are_changed_through_their_form(admin: TestClient, db: Session) -> None:
    form = admin.get(f"{PAGE}/sustainment_rules").text
    assert _box(form, "rule-housing-relapse_events") == "eviction, homelessness_application"
    assert "Getting a good education (education)" in _text(form)
    boxes: dict[str, str | list[str]] = {
        "rule-housing-relapse_events": "eviction",
        "rule-housing-kept_involvements": "tenancy",
        "rule-education-relapse_events": "school_exclusion, missing_episode",
        "rule-education-kept_involvements": "",
        "rule-crime-relapse_events": "",
        "rule-crime-kept_involvements": "",
    }
    assert _send(admin, "sustainment_rules", boxes)[0] == 303
    db.expire_all()
    assert settings.sustainment_rules(db) == {
        "housing": SustainmentRule(relapse_events=("eviction",), kept_involvements=("tenancy",)),
        "education": SustainmentRule(relapse_events=("school_exclusion", "missing_episode")),
    }


def test_a_rule_with_an_unusable_code_is_refused_at_its_box(admin: TestClient) -> None:
    status, page = _send(admin, "sustainment_rules", {"rule-crime-relapse_events": "Anti-social"})
    assert status == 400
    [problem] = error_summary(page)
    assert problem.startswith("The code 'Anti-social' is not usable.")
    assert 'href="#rule-crime-relapse_events"' in page and 'value="Anti-social"' in page


# ---------------------------------------------------------------- back to the default


def test_a_setting_returns_to_the_default_and_says_who_returned_it(
    admin: TestClient, db: Session, clock: FakeClock
) -> None:
    settings.change(db, key="sustainment_months", value=12, by="bob", at=clock())
    db.commit()
    assert "Changed by bob on 2 November 2026 at 09:30" in _text(admin.get(f"{PAGE}/sustainment_months").text)
    where = location(
        post_form(admin, f"{PAGE}/sustainment_months/reset", {}, from_page=f"{PAGE}/sustainment_months")
    )
    page = _text(admin.get(where).text)
    assert "Months before a sustainment check returned to the default." in page
    assert "Returned to the default by Ada Lovelace (ada) on 2 November 2026 at 09:30" in page
    db.expire_all()
    assert settings.sustainment_months(db) == framework.SUSTAINMENT_MONTHS


def test_the_default_framework_is_refused_while_open_plans_use_the_place_s_own(
    admin: TestClient, db: Session, clock: FakeClock
) -> None:
    settings.change(
        db, key="outcome_framework", value=[{"code": "home", "label": "Home"}], by="bob", at=clock()
    )
    plan = plans.open_plan(
        db, household_id="H-1", family_words="Us.", family_priorities="", by="t", at=clock()
    )
    plans.add_need(db, plan_id=plan.id, outcome_area="home", description="d", goal="g", by="t", at=clock())
    db.commit()
    response = post_form(admin, f"{PAGE}/outcome_framework/reset", {}, from_page=f"{PAGE}/outcome_framework")
    assert response.status_code == 400
    assert error_summary(response.text) == [
        "Outcome framework: needs in open plans are coded to home. Keep those outcome areas until the plans "
        "using them are closed."
    ]
    assert 'href="#reset"' in response.text and 'id="reset"' in response.text
    assert [area.code for area in settings.outcome_areas(db)] == ["home"]
