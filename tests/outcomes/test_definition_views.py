"""The page of a measure's definition through the app, on a small linked place (SQLite and PostgreSQL): the
current definition in words with its parameters and every earlier version with who, when and why; changed through
its form by programme managers, analysts and administrators, mistakes shown in the error summary at their box with
what was typed kept; and "Compute now" recording the values. Anyone signed in may read it."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session

from tests.identity.test_views import error_summary
from tests.outcomes import factories as make
from tests.outcomes.test_computing import (  # noqa: F401 - fixtures, found by pytest through this import
    LinkedPlace,
    connection,
    generated,
    linked_place,
)
from tests.support.factories import MOMENT
from tests.support.web import post_form
from tests.web.conftest import SignedInAs, signed_in_as  # noqa: F401 - a fixture, as above
from wholeplace.core.roles import Role
from wholeplace.core.settings import Settings
from wholeplace.outcomes.models import Measure
from wholeplace.outcomes.service import definitions, values


@pytest.fixture
def settings(linked_place: LinkedPlace) -> Settings:  # noqa: F811 - the fixture imported above
    """The app reads the linked place's lake; computing writes nothing there."""
    return Settings(
        data_dir=linked_place.data_dir, secret_key=SecretStr("test-secret-key-" * 3), environment="test"
    )


@pytest.fixture
def as_role(signed_in_as: SignedInAs) -> SignedInAs:  # noqa: F811 - the fixture imported above
    """Sign in as a new user holding the roles given."""
    return signed_in_as


@pytest.fixture
def measure(db: Session) -> Measure:
    found = make.indicator(db)
    db.commit()
    return found


def page_of(measure: Measure) -> str:
    return f"/outcomes/measures/{measure.id}/definition"


def text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def define(db: Session, measure: Measure, **changes: object) -> None:
    fields: dict[str, object] = {
        "key": "events_per_thousand",
        "parameters": {},
        "description": "Emergency attendances per 1,000 residents.",
        "reason": "",
        "by": "analyst",
        "at": MOMENT,
    }
    fields.update(changes)
    definitions.define_computation(db, measure_id=measure.id, **fields)  # type: ignore[arg-type]
    db.commit()


def test_the_definition_is_shown_in_words_with_its_parameters_and_its_earlier_versions(
    client: TestClient, as_role: SignedInAs, db: Session, measure: Measure
) -> None:
    define(db, measure)
    define(db, measure, parameters={"period": "quarter"}, reason="Quarters show change sooner.", by="bo")
    as_role(Role.PRACTITIONER)

    page = client.get(page_of(measure))

    assert page.status_code == 200
    assert "&lt;" not in page.text  # markup of ours is never shown as text
    shown = text(page.text)
    assert "As computed emergency_attendance events per 1,000 residents in the calendar quarter" in shown
    assert "period = quarter" in shown
    assert "Version 2" in shown
    assert "Why Quarters show change sooner." in shown
    versions = re.search(r'id="versions".*?</table>', page.text, re.DOTALL)
    assert versions is not None and "period = financial_year" in text(versions.group(0))
    assert "The first definition" in text(versions.group(0))
    assert "Change the definition" not in shown  # a practitioner reads it only
    assert 'id="compute"' not in page.text


def test_an_analyst_defines_the_measure_through_the_form(
    client: TestClient, as_role: SignedInAs, db: Session, measure: Measure
) -> None:
    as_role(Role.ANALYST)

    sent = post_form(
        client,
        page_of(measure),
        {
            "key": "repeat_events_within",
            "parameters": "months = 6\nperiod = quarter",
            "description": "Victims with another incident within six months.",
            "reason": "",
        },
    )

    assert sent.status_code == 303, sent.text
    current = definitions.current_definition(db, measure.id)
    assert current is not None
    assert (current.key, current.parameters["months"], current.parameters["role"]) == (
        "repeat_events_within",
        6,
        "victim",
    )
    assert "The definition is saved" in client.get(sent.headers["location"]).text


@pytest.mark.parametrize(
    ("boxes", "box", "message"),
    [
        ({"key": ""}, "key", "Choose the computation"),
        ({"key": "attendances"}, "key", "No computation is registered as 'attendances'"),
        ({"parameters": "months six"}, "parameters", "Line 1, 'months six', is not written as name = value."),
        ({"parameters": "per = none"}, "parameters", "Per: give a whole number from 1 to 1,000,000."),
        ({"description": ""}, "description", "Say in plain words what the definition counts."),
        ({"reason": ""}, "reason", "Say why the definition changes."),
    ],
)
def test_a_refused_change_is_shown_at_its_box_keeping_what_was_typed(
    client: TestClient,
    as_role: SignedInAs,
    db: Session,
    measure: Measure,
    boxes: dict[str, str],
    box: str,
    message: str,
) -> None:
    define(db, measure)
    as_role(Role.PROGRAMME_MANAGER)
    typed: dict[str, str | list[str]] = {
        "key": "events_per_thousand",
        "parameters": "per = 100",
        "description": "Per 100 residents.",
        "reason": "As the health partnership reports.",
        **boxes,
    }

    sent = post_form(client, page_of(measure), typed)

    assert sent.status_code == 400
    (said,) = error_summary(sent.text)
    assert said.startswith(message)
    assert f'href="#{box}"' in sent.text and f'id="{box}-error"' in sent.text
    assert html.escape("As the health partnership reports.") in sent.text or box == "reason"
    assert len(definitions.definitions_of(db, measure.id)) == 1


def test_compute_now_records_the_values_and_says_so(
    client: TestClient, as_role: SignedInAs, db: Session, measure: Measure
) -> None:
    define(db, measure)
    as_role(Role.ADMINISTRATOR)

    sent = post_form(client, page_of(measure) + "/compute", {}, from_page=page_of(measure))

    assert sent.status_code == 200
    outcome = re.search(r'id="outcome".*?</div>\s*</div>', sent.text, re.DOTALL)
    assert outcome is not None and "added, 0 replaced, 0 unchanged" in text(outcome.group(0))
    assert [point.definition_version for point in values.series(db, measure_id=measure.id).points] == [
        1,
        1,
        1,
    ]


def test_only_those_who_define_measures_may_change_or_compute(
    client: TestClient, as_role: SignedInAs, db: Session, measure: Measure
) -> None:
    define(db, measure)
    as_role(Role.PRACTITIONER)
    for path in (page_of(measure), page_of(measure) + "/compute"):
        refused = post_form(client, path, {"key": "events_per_thousand"}, from_page=page_of(measure))
        assert refused.status_code == 403
    assert len(definitions.definitions_of(db, measure.id)) == 1
    assert values.series(db, measure_id=measure.id).points == []
