"""The outcomes framework's pages through the app, on SQLite and PostgreSQL: the framework with its results,
indicators, programmes, measures and data development agenda; each form storing what it says, refusing bad
input by its box with nothing stored; the values import with its summary or the file's problem; and who may
change what."""

from __future__ import annotations

import html
import io
import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.identity.test_views import error_summary
from tests.outcomes import factories as make
from tests.support import factories
from tests.support.web import csrf_from, post_form, sign_in
from wholeplace.core.models import User
from wholeplace.core.roles import Role
from wholeplace.outcomes.models import Measure, MeasureValue, Programme, Result
from wholeplace.outcomes.schemas import Baseline, MeasureKind
from wholeplace.outcomes.service import framework, values
from wholeplace.outcomes.spc import Polarity

FRAMEWORK = "/outcomes"


@pytest.fixture
def pat(db: Session) -> User:
    """A programme manager, who builds the framework."""
    user = factories.user(db, Role.PROGRAMME_MANAGER, username="pat")
    user.full_name = "Pat Manager"
    db.commit()
    return user


@pytest.fixture
def manager(client: TestClient, pat: User) -> TestClient:
    assert sign_in(client, "pat", factories.PASSWORD).status_code == 303
    return client


def _signed_in_as(client: TestClient, db: Session, role: Role, username: str) -> TestClient:
    factories.user(db, role, username=username)
    db.commit()
    assert sign_in(client, username, factories.PASSWORD).status_code == 303
    return client


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _box(page: str, name: str) -> str | None:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    if found is None:
        return None
    value = re.search(r'value="([^"]*)"', found.group(0))
    return html.unescape(value.group(1)) if value else ""


def _accountability(owner: str, **boxes: str) -> dict[str, str | list[str]]:
    return {
        "owner": owner,
        "polarity": "lower-is-better",
        "unit": "%",
        "baseline_value": "",
        "baseline_period": "",
        "target-1-period": "",
        "target-1-value": "",
        "target-2-period": "",
        "target-2-value": "",
        "data_agenda_note": "",
        **boxes,
    }


def _result_boxes(owner: str, **boxes: str) -> dict[str, str | list[str]]:
    return {
        "title": "Children are ready for school",
        "for_whom": "place",
        "priority": "yes",
    } | _accountability(owner, **boxes)


def _follow(client: TestClient, response: Response) -> str:
    assert response.status_code == 303, response.text
    return client.get(response.headers["location"]).text


def _count(db: Session, table: type[Result | Measure | Programme | MeasureValue]) -> int:
    return db.scalar(select(func.count()).select_from(table)) or 0


# ---------------------------------------------------------------- reading the framework


def test_the_framework_shows_priority_results_first_with_each_indicator_s_owner_polarity_and_latest_value(
    manager: TestClient, db: Session, tmp_path: Path, pat: User
) -> None:
    other = make.result(db, priority=False)
    indicator = make.indicator(db, polarity=Polarity.LOWER_IS_BETTER, who=pat, unit="%")
    priority = framework.result(db, indicator.result_id or uuid.uuid4())
    values.import_values(
        db,
        measure_id=indicator.id,
        path=make.values_csv(tmp_path, [("2024-01", "12"), ("2024-02", "11.5")]),
        by="pat",
        at=factories.MOMENT,
    )
    db.commit()
    page = manager.get(FRAMEWORK)
    assert page.status_code == 200
    text = _text(page.text)
    assert text.index(priority.title) < text.index(other.title)
    assert "Pat Manager (pat)" in text
    assert "Lower is better" in text
    assert "11.5% in 2024-02" in text
    assert f'href="/outcomes/measures/{indicator.id}"' in page.text
    assert f'href="/outcomes/measures/{indicator.id}/curve"' in page.text


def test_a_programme_s_measures_are_grouped_by_kind(manager: TestClient, db: Session) -> None:
    programme = make.programme(db)
    make.measure(db, kind=MeasureKind.BETTER_OFF, of=programme)
    make.measure(db, kind=MeasureKind.HOW_MUCH, of=programme)
    db.commit()
    for page in (manager.get(FRAMEWORK).text, manager.get(f"{FRAMEWORK}/programmes/{programme.id}").text):
        text = _text(page)
        assert text.index("How much did we do?") < text.index("Is anyone better off?")
        assert "How well did we do it?" not in text


def test_the_data_development_agenda_lists_what_waits_for_its_data(manager: TestClient, db: Session) -> None:
    waiting = make.indicator(
        db, on_data_agenda=True, data_agenda_note="Health visitors do not record it yet."
    )
    db.commit()
    agenda = manager.get(FRAMEWORK).text.split('id="data-development-agenda"')[1]
    assert waiting.title in agenda
    assert "Health visitors do not record it yet." in _text(agenda)


def test_every_page_renders_for_a_programme_manager(manager: TestClient, db: Session) -> None:
    indicator = make.indicator(db)
    programme = make.programme(db)
    db.commit()
    result = f"{FRAMEWORK}/results/{indicator.result_id}"
    pages = [
        FRAMEWORK,
        f"{FRAMEWORK}/results/new",
        result,
        f"{result}/edit",
        f"{result}/indicators/new",
        f"{FRAMEWORK}/programmes/new",
        f"{FRAMEWORK}/programmes/{programme.id}",
        f"{FRAMEWORK}/programmes/{programme.id}/measures/new",
        f"{FRAMEWORK}/measures/{indicator.id}/accountability",
        f"{FRAMEWORK}/measures/{indicator.id}/values/import",
    ]
    for path in pages:
        page = manager.get(path)
        assert page.status_code == 200, path
        assert page.text.count("<h1") == 1, path


def test_an_unknown_result_is_not_found(manager: TestClient) -> None:
    assert manager.get(f"{FRAMEWORK}/results/{uuid.uuid4()}").status_code == 404


# ---------------------------------------------------------------- building it through the forms


def test_a_result_added_through_the_form_is_stored_with_its_accountability(
    manager: TestClient, db: Session, pat: User
) -> None:
    boxes = _result_boxes(
        "pat",
        baseline_value="61.5",
        baseline_period="2023/24",
        **{
            "target-1-period": "2025/26",
            "target-1-value": "70",
            "target-2-period": "2024/25",
            "target-2-value": "65",
        },
    )
    page = _follow(manager, post_form(manager, f"{FRAMEWORK}/results/new", boxes))
    assert "Result added" in page
    db.expire_all()
    result = framework.results(db)[0]
    assert (result.title, result.population_group, result.is_priority, result.owner) == (
        "Children are ready for school",
        None,
        True,
        "pat",
    )
    assert (result.polarity, result.baseline_value, result.baseline_period) == (
        "lower-is-better",
        Decimal("61.5"),
        "2023/24",
    )
    assert result.targets == {"2024/25": "65", "2025/26": "70"}


def test_a_result_for_a_group_keeps_the_group(manager: TestClient, db: Session, pat: User) -> None:
    boxes = _result_boxes("pat", for_whom="group", population_group="Children under 5", priority="no")
    post_form(manager, f"{FRAMEWORK}/results/new", boxes)
    db.expire_all()
    assert [(one.population_group, one.is_priority) for one in framework.results(db)] == [
        ("Children under 5", False)
    ]


def test_an_indicator_added_through_the_form_belongs_to_its_result(
    manager: TestClient, db: Session, pat: User
) -> None:
    result = make.result(db)
    db.commit()
    path = f"{FRAMEWORK}/results/{result.id}/indicators/new"
    boxes = {
        "title": "Pupils persistently absent",
        **_accountability("pat", on_data_agenda="yes", data_agenda_note="Schools send termly."),
    }
    page = _follow(manager, post_form(manager, path, boxes))
    assert "Indicator added" in page
    db.expire_all()
    [indicator] = framework.indicators_of(db, result.id)
    assert (indicator.title, indicator.kind, indicator.on_data_agenda, indicator.data_agenda_note) == (
        "Pupils persistently absent",
        "indicator",
        True,
        "Schools send termly.",
    )


def test_a_programme_and_its_measure_added_through_the_forms_are_stored(
    manager: TestClient, db: Session, pat: User
) -> None:
    agency = factories.agency(db, "Riverford Council")
    db.commit()
    boxes: dict[str, str | list[str]] = {
        "agency": str(agency.id),
        "name": "Early help",
        "description": "Support before crisis.",
        "owner": "pat",
    }
    response = post_form(manager, f"{FRAMEWORK}/programmes/new", boxes)
    assert "Programme added" in _follow(manager, response)
    db.expire_all()
    [programme] = framework.programmes(db)
    assert (programme.agency_id, programme.name, programme.owner) == (agency.id, "Early help", "pat")
    measure_boxes = {"kind": "how_well", "title": "Families seen within 10 days", **_accountability("pat")}
    path = f"{FRAMEWORK}/programmes/{programme.id}/measures/new"
    page = _follow(manager, post_form(manager, path, measure_boxes))
    assert "Performance measure added" in page
    db.expire_all()
    assert [(m.kind, m.title) for m in framework.measures_of(db, programme.id)] == [
        ("how_well", "Families seen within 10 days")
    ]


def test_a_result_s_title_priority_and_owner_change_through_its_edit_form(
    manager: TestClient, db: Session, pat: User
) -> None:
    result = make.result(db, priority=True)
    db.commit()
    path = f"{FRAMEWORK}/results/{result.id}/edit"
    assert _box(manager.get(path).text, "title") == result.title
    page = _follow(
        manager, post_form(manager, path, _result_boxes("pat", title="Adults are healthy", priority="no"))
    )
    assert "Result changed" in page
    db.expire_all()
    changed = framework.result(db, result.id)
    assert (changed.title, changed.is_priority, changed.owner) == ("Adults are healthy", False, "pat")


def test_accountability_changes_through_its_form(manager: TestClient, db: Session, pat: User) -> None:
    measure = make.measure(db)
    db.commit()
    path = f"{FRAMEWORK}/measures/{measure.id}/accountability"
    boxes = _accountability(
        "pat",
        unit="families",
        baseline_value="40",
        baseline_period="2024-Q1",
        **{"target-1-period": "2025-Q1", "target-1-value": "60"},
    )
    boxes["polarity"] = "higher-is-better"
    page = _follow(manager, post_form(manager, path, boxes))
    assert "Accountability changed" in page
    db.expire_all()
    changed = framework.measure(db, measure.id)
    assert (changed.owner, changed.unit, changed.baseline_period, changed.targets) == (
        "pat",
        "families",
        "2024-Q1",
        {"2025-Q1": "60"},
    )


# ---------------------------------------------------------------- refusing bad input


def test_missing_boxes_are_named_in_the_error_summary_and_nothing_is_stored(
    manager: TestClient, db: Session
) -> None:
    response = post_form(manager, f"{FRAMEWORK}/results/new", _result_boxes("", title="", polarity=""))
    assert response.status_code == 400
    assert error_summary(response.text) == [
        "Enter the result, as a condition of wellbeing",
        "Choose the person accountable for it",
        "Choose whether higher or lower is better",
    ]
    assert 'href="#title"' in response.text
    db.expire_all()
    assert _count(db, Result) == 0


def test_a_target_that_names_no_period_is_refused_by_its_box_keeping_what_was_typed(
    manager: TestClient, db: Session, pat: User
) -> None:
    boxes = _result_boxes("pat", **{"target-2-period": "next year", "target-2-value": "70"})
    response = post_form(manager, f"{FRAMEWORK}/results/new", boxes)
    assert response.status_code == 400
    assert "#target-2-period" in response.text
    assert error_summary(response.text)[0].startswith("Enter the period of target 2 as 2024")
    assert _box(response.text, "target-2-period") == "next year"
    db.expire_all()
    assert _count(db, Result) == 0


def test_a_title_another_result_has_is_refused_on_the_title(
    manager: TestClient, db: Session, pat: User
) -> None:
    taken = make.result(db)
    db.commit()
    response = post_form(manager, f"{FRAMEWORK}/results/new", _result_boxes("pat", title=taken.title))
    assert response.status_code == 400
    assert 'href="#title"' in response.text
    assert "There is already a result" in error_summary(response.text)[0]
    db.expire_all()
    assert _count(db, Result) == 1


def test_a_refused_change_of_accountability_changes_nothing(
    manager: TestClient, db: Session, pat: User
) -> None:
    measure = make.measure(db)
    before = measure.owner
    db.commit()
    boxes = _accountability(
        "pat",
        baseline_value="3",
        baseline_period="2024",
        **{"target-1-period": "2025-Q1", "target-1-value": "2"},
    )
    response = post_form(manager, f"{FRAMEWORK}/measures/{measure.id}/accountability", boxes)
    assert response.status_code == 400
    assert 'href="#target-1-period"' in response.text
    assert "different kinds of period" in error_summary(response.text)[0]
    db.expire_all()
    kept = framework.measure(db, measure.id)
    assert (kept.owner, kept.polarity, kept.baseline_value) == (before, "higher-is-better", None)


# ---------------------------------------------------------------- who may change what


def test_a_practitioner_may_read_the_framework_but_not_change_it(client: TestClient, db: Session) -> None:
    result = make.result(db)
    reader = _signed_in_as(client, db, Role.PRACTITIONER, "prue")
    assert reader.get(FRAMEWORK).status_code == 200
    assert reader.get(f"{FRAMEWORK}/results/{result.id}").status_code == 200
    assert "Add a result" not in reader.get(FRAMEWORK).text
    assert reader.get(f"{FRAMEWORK}/results/new").status_code == 403
    token = csrf_from(reader.get(FRAMEWORK))
    refused = reader.post(
        f"{FRAMEWORK}/results/new",
        data={**_result_boxes("prue"), "csrf_token": token},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    db.expire_all()
    assert _count(db, Result) == 1


def test_an_analyst_may_import_values_but_not_build_the_framework(client: TestClient, db: Session) -> None:
    measure = make.indicator(db)
    analyst = _signed_in_as(client, db, Role.ANALYST, "ana")
    assert analyst.get(f"{FRAMEWORK}/measures/{measure.id}/values/import").status_code == 200
    assert analyst.get(f"{FRAMEWORK}/measures/{measure.id}/accountability").status_code == 403
    assert analyst.get(f"{FRAMEWORK}/programmes/new").status_code == 403


# ---------------------------------------------------------------- importing values


def _upload(client: TestClient, measure_id: uuid.UUID, name: str, content: bytes) -> Response:
    path = f"{FRAMEWORK}/measures/{measure_id}/values/import"
    token = csrf_from(client.get(path))
    return client.post(
        path, data={"csrf_token": token}, files={"file": (name, content, "text/csv")}, follow_redirects=False
    )


def test_a_good_csv_is_imported_and_its_summary_shown(manager: TestClient, db: Session) -> None:
    measure = make.indicator(db)
    db.commit()
    page = _text(
        _follow(manager, _upload(manager, measure.id, "absence.csv", b"period,value\n2024-01,4\n2024-02,5\n"))
    )
    assert "Values imported from absence.csv" in page
    assert "2 added, 0 replaced, 0 unchanged" in page
    db.expire_all()
    assert [(p.period, p.value) for p in values.series(db, measure_id=measure.id).points] == [
        ("2024-01", Decimal(4)),
        ("2024-02", Decimal(5)),
    ]


def test_an_excel_workbook_is_imported(manager: TestClient, db: Session) -> None:
    measure = make.indicator(db)
    db.commit()
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in (("period", "value"), ("2024-Q1", 12.5), ("2024-Q2", 11)):
        sheet.append(row)
    content = io.BytesIO()
    workbook.save(content)
    page = _text(_follow(manager, _upload(manager, measure.id, "quarters.xlsx", content.getvalue())))
    assert "2 added" in page
    db.expire_all()
    assert [p.value for p in values.series(db, measure_id=measure.id).points] == [
        Decimal("12.5"),
        Decimal(11),
    ]


def test_a_bad_file_shows_its_row_column_and_fix_and_nothing_is_stored(
    manager: TestClient, db: Session
) -> None:
    measure = make.indicator(db)
    db.commit()
    response = _upload(manager, measure.id, "absence.csv", b"period,value\n2024-01,4\n2024-02,12%\n")
    assert response.status_code == 400
    page = _text(response.text)
    assert "Nothing was imported" in page
    assert "File absence.csv Row 3 Column value" in page
    assert "Write a plain number such as 12 or 0.35" in page
    assert error_summary(response.text)[0].startswith(
        "absence.csv, row 3, column 'value': The value is '12%'"
    )
    db.expire_all()
    assert _count(db, MeasureValue) == 0


def test_an_import_without_a_file_asks_for_one(manager: TestClient, db: Session) -> None:
    measure = make.indicator(db)
    db.commit()
    response = _upload(manager, measure.id, "", b"")
    assert response.status_code == 400
    assert error_summary(response.text) == ["Choose a CSV or Excel file of the measure's values"]


def test_polarity_baseline_and_targets_are_shown_on_the_result_page(manager: TestClient, db: Session) -> None:
    result = framework.add_result(
        db,
        title="Homes are warm",
        population_group="Older people",
        is_priority=True,
        accountability=make.accountable(
            make.owner(db), baseline=Baseline(Decimal(20), "2024"), targets={"2026": Decimal(15)}
        ),
        by="pat",
        at=factories.MOMENT,
    )
    db.commit()
    text = _text(manager.get(f"{FRAMEWORK}/results/{result.id}").text)
    assert "For Older people" in text
    assert "Baseline 20% in 2024" in text
    assert "Targets 15% by 2026" in text
