"""The partnerships' pages through the app, on SQLite and PostgreSQL: the list with each partnership's chair,
members and counts; the form adding or changing one, refusing bad input by its box with nothing stored; who may
use the form; and a partnership's scorecard, a section for each result it owns and each programme it oversees,
with its CSV and Excel downloads holding its own measures only."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.identity.test_views import error_summary
from tests.outcomes import factories as make
from tests.outcomes.test_scorecard_views import STEADY, load, page_text, signed_in
from tests.support import factories
from tests.support.web import csrf_from, post_form
from wholeplace.core.models import Agency, User
from wholeplace.core.roles import Role
from wholeplace.outcomes.models import Measure, Partnership, Programme, Result
from wholeplace.outcomes.schemas import MeasureKind
from wholeplace.outcomes.scorecard import EXPORT_HEADINGS
from wholeplace.outcomes.service import partnerships

PARTNERSHIPS = "/outcomes/partnerships"


@pytest.fixture
def pat(client: TestClient, db: Session) -> User:
    """A programme manager, signed in, who adds and changes partnerships."""
    return signed_in(client, db, Role.PROGRAMME_MANAGER, username="pat")


def _count(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Partnership)) or 0


def _boxes(chair: str, members: list[Agency], **boxes: str | list[str]) -> dict[str, str | list[str]]:
    return {
        "name": "Testford Community Safety Partnership",
        "purpose": "Keep residents safe at home.",
        "chair": chair,
        "members": [str(one.id) for one in members],
        **boxes,
    }


def _scorecard(partnership: Partnership) -> str:
    return f"{PARTNERSHIPS}/{partnership.id}/scorecard"


# ---------------------------------------------------------------- the list


def test_the_list_shows_each_partnership_s_chair_members_and_counts(client: TestClient, db: Session) -> None:
    chair = make.owner(db)
    chair.full_name = "Jo Chair"
    police, council = factories.agency(db, "Vale Police"), factories.agency(db, "Testford Council")
    safer = make.partnership(
        db,
        name="Safer Testford",
        chair=chair.username,
        member_ids=[police.id, council.id],
        result_ids=[make.result(db).id, make.result(db).id],
        programme_ids=[make.programme(db).id],
    )
    signed_in(client, db)
    page = client.get(PARTNERSHIPS)
    assert page.status_code == 200
    assert "Safer Testford : its scorecard Jo Chair Testford Council, Vale Police 2 1" in page_text(page.text)
    assert f'href="{_scorecard(safer)}"' in page.text
    assert "Add a partnership" not in page.text


def test_the_place_scorecard_and_the_framework_link_to_the_partnerships(
    client: TestClient, db: Session
) -> None:
    safer = make.partnership(db, name="Safer Testford")
    signed_in(client, db)
    for path in ("/outcomes/scorecard", "/outcomes"):
        assert f'href="{PARTNERSHIPS}"' in client.get(path).text, path
    assert f'href="{_scorecard(safer)}"' in client.get("/outcomes/scorecard").text


def test_a_result_and_a_programme_link_to_the_partnerships_they_belong_to(
    client: TestClient, db: Session
) -> None:
    result, programme, alone = make.result(db), make.programme(db), make.programme(db)
    safer = make.partnership(db, name="Safer Testford", result_ids=[result.id], programme_ids=[programme.id])
    signed_in(client, db)
    for path in (f"/outcomes/results/{result.id}", f"/outcomes/programmes/{programme.id}"):
        assert f'<a class="govuk-link" href="{_scorecard(safer)}">Safer Testford</a>' in client.get(path).text
    assert "No partnership yet" in page_text(client.get(f"/outcomes/programmes/{alone.id}").text)


# ---------------------------------------------------------------- adding and changing


def test_every_form_renders_for_a_programme_manager(client: TestClient, db: Session, pat: User) -> None:
    make.result(db)
    make.programme(db)
    safer = make.partnership(db)
    db.commit()
    for path in (PARTNERSHIPS, f"{PARTNERSHIPS}/new", f"{PARTNERSHIPS}/{safer.id}/change", _scorecard(safer)):
        page = client.get(path)
        assert page.status_code == 200, path
        assert page.text.count("<h1") == 1, path


def test_a_partnership_added_through_the_form_is_stored_and_its_scorecard_shown(
    client: TestClient, db: Session, pat: User
) -> None:
    police, council = factories.agency(db, "Vale Police"), factories.agency(db, "Testford Council")
    result, programme = make.result(db), make.programme(db)
    db.commit()
    boxes = _boxes("pat", [police, council], results=[str(result.id)], programmes=[str(programme.id)])
    response = post_form(client, f"{PARTNERSHIPS}/new", boxes)
    assert response.status_code == 303
    [added] = partnerships.partnerships(db)
    assert response.headers["location"] == f"{_scorecard(added)}?done=added"
    assert "Partnership added" in client.get(response.headers["location"]).text
    assert (added.name, added.purpose, added.chair, added.created_by) == (
        "Testford Community Safety Partnership",
        "Keep residents safe at home.",
        "pat",
        "pat",
    )
    assert {one.id for one in partnerships.members_of(db, added.id)} == {police.id, council.id}
    assert partnerships.results_of(db, added.id) == [result]
    assert partnerships.programmes_of(db, added.id) == [programme]


def test_a_partnership_changes_through_its_form_which_starts_from_what_it_has(
    client: TestClient, db: Session, pat: User
) -> None:
    result = make.result(db)
    safer = make.partnership(db, name="Safer Testford", result_ids=[result.id])
    [member] = partnerships.members_of(db, safer.id)
    other = factories.agency(db, "Testford Homes")
    db.commit()
    path = f"{PARTNERSHIPS}/{safer.id}/change"
    form = client.get(path).text
    assert 'value="Safer Testford"' in form
    assert f'value="{member.id}" checked' in form
    assert f'value="{result.id}" checked' in form
    response = post_form(client, path, _boxes("pat", [other], name="Safer Testford Partnership"))
    assert response.status_code == 303
    assert response.headers["location"] == f"{_scorecard(safer)}?done=changed"
    db.expire_all()
    changed = partnerships.partnership(db, safer.id)
    assert (changed.name, changed.chair) == ("Safer Testford Partnership", "pat")
    assert partnerships.members_of(db, safer.id) == [other]
    assert partnerships.results_of(db, safer.id) == []


def test_missing_boxes_are_named_in_the_error_summary_and_nothing_is_stored(
    client: TestClient, db: Session, pat: User
) -> None:
    response = post_form(client, f"{PARTNERSHIPS}/new", _boxes("", [], name="", purpose=""))
    assert response.status_code == 400
    assert error_summary(response.text) == [
        "Enter the partnership's name",
        "Say what the partnership is for",
        "Choose the partnership's chair",
        "Choose at least one member agency",
    ]
    for box in ("name", "purpose", "chair", "members"):
        assert f'href="#{box}"' in response.text
    assert 'id="members"' in response.text  # the first checkbox, where the summary's link lands
    assert _count(db) == 0


def test_a_chair_who_is_no_user_is_refused_by_the_chair_box_keeping_what_was_typed(
    client: TestClient, db: Session, pat: User
) -> None:
    police = factories.agency(db, "Vale Police")
    db.commit()
    response = post_form(client, f"{PARTNERSHIPS}/new", _boxes("nobody", [police]))
    assert response.status_code == 400
    assert 'href="#chair"' in response.text
    assert error_summary(response.text)[0].startswith("There is no active user 'nobody'.")
    assert 'value="Testford Community Safety Partnership"' in response.text
    assert f'value="{police.id}" checked' in response.text
    assert _count(db) == 0


def test_a_member_that_is_no_agency_is_refused_by_the_members_box(
    client: TestClient, db: Session, pat: User
) -> None:
    response = post_form(client, f"{PARTNERSHIPS}/new", {**_boxes("pat", []), "members": [str(uuid.uuid4())]})
    assert response.status_code == 400
    assert 'href="#members"' in response.text
    assert "is not one of the place's agencies" in error_summary(response.text)[0]
    assert _count(db) == 0


def test_a_name_another_partnership_has_is_refused_on_the_name(
    client: TestClient, db: Session, pat: User
) -> None:
    make.partnership(db, name="Safer Testford")
    police = factories.agency(db, "Vale Police")
    db.commit()
    response = post_form(client, f"{PARTNERSHIPS}/new", _boxes("pat", [police], name="Safer Testford"))
    assert response.status_code == 400
    assert 'href="#name"' in response.text
    assert "There is already a partnership" in error_summary(response.text)[0]
    assert _count(db) == 1


def test_a_refused_change_changes_nothing(client: TestClient, db: Session, pat: User) -> None:
    safer = make.partnership(db, name="Safer Testford")
    members = partnerships.members_of(db, safer.id)
    db.commit()
    path = f"{PARTNERSHIPS}/{safer.id}/change"
    response = post_form(client, path, _boxes("pat", members, name="Renamed", purpose=""))
    assert response.status_code == 400
    assert error_summary(response.text) == ["Say what the partnership is for"]
    db.expire_all()
    assert partnerships.partnership(db, safer.id).name == "Safer Testford"


def test_a_practitioner_may_read_the_partnerships_but_not_add_or_change_them(
    client: TestClient, db: Session
) -> None:
    safer = make.partnership(db)
    police = factories.agency(db, "Vale Police")
    signed_in(client, db, Role.PRACTITIONER, username="prue")
    assert client.get(PARTNERSHIPS).status_code == 200
    assert client.get(_scorecard(safer)).status_code == 200
    assert "Change the partnership" not in client.get(_scorecard(safer)).text
    assert client.get(f"{PARTNERSHIPS}/new").status_code == 403
    assert client.get(f"{PARTNERSHIPS}/{safer.id}/change").status_code == 403
    token = csrf_from(client.get(PARTNERSHIPS))
    refused = client.post(
        f"{PARTNERSHIPS}/new",
        data={**_boxes("prue", [police], name="Another"), "csrf_token": token},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert _count(db) == 1


def test_an_unknown_partnership_is_not_found(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    for path in (f"/{uuid.uuid4()}/scorecard", f"/{uuid.uuid4()}/scorecard.csv"):
        assert client.get(PARTNERSHIPS + path).status_code == 404


# ---------------------------------------------------------------- the scorecard and its downloads


def _owned_and_overseen(
    db: Session, tmp_path: Path
) -> tuple[Partnership, Result, Measure, Programme, list[Measure]]:
    """A partnership owning a result with one indicator (with values) and overseeing a programme with two
    measures, beside a result and a programme of the framework it has nothing to do with."""
    indicator = make.indicator(db)
    result = db.get(Result, indicator.result_id)
    assert result is not None
    load(db, indicator.id, tmp_path, STEADY)
    programme = make.programme(db)
    measures = [
        make.measure(db, kind=MeasureKind.BETTER_OFF, of=programme),
        make.measure(db, kind=MeasureKind.HOW_MUCH, of=programme),
    ]
    make.indicator(db, on_data_agenda=True, data_agenda_note="Not ours.")
    make.measure(db)
    safer = make.partnership(db, name="Safer Testford", result_ids=[result.id], programme_ids=[programme.id])
    db.commit()
    return safer, result, indicator, programme, measures


def test_the_scorecard_has_a_section_for_each_result_and_programme_with_their_tiles(
    client: TestClient, db: Session, tmp_path: Path
) -> None:
    safer, result, indicator, programme, [better_off, how_much] = _owned_and_overseen(db, tmp_path)
    signed_in(client, db)
    page = client.get(_scorecard(safer))
    assert page.status_code == 200
    text = page_text(page.text)
    assert text.index("Results it owns") < text.index(result.title) < text.index(indicator.title)
    assert text.index("Programmes it oversees") < text.index(programme.name)
    assert (
        text.index(programme.name)
        < text.index("How much did we do?")
        < text.index(how_much.title)
        < text.index("Is anyone better off?")
        < text.index(better_off.title)
    )
    assert "Latest value 11 % in 2024-08 Values so far Variation Common cause Target No target" in text
    assert f'<a class="govuk-link" href="/outcomes/results/{result.id}">' in page.text
    assert f'<a class="govuk-link" href="/outcomes/programmes/{programme.id}/scorecard">' in page.text
    assert f'href="/outcomes/measures/{indicator.id}"' in page.text
    assert f'href="/outcomes/measures/{indicator.id}/curve"' in page.text
    assert f'href="/outcomes/measures/{how_much.id}/curve"' not in page.text
    assert "Not ours." not in text
    assert page.text.count('class="govuk-summary-card__title"') == 3


def test_a_partnership_with_nothing_yet_says_so(client: TestClient, db: Session) -> None:
    safer = make.partnership(db)
    signed_in(client, db)
    text = page_text(client.get(_scorecard(safer)).text)
    assert "The partnership owns no results yet." in text
    assert "The partnership oversees no programmes yet." in text


def test_the_scorecard_downloads_as_csv_with_a_row_for_each_of_its_own_measures(
    client: TestClient, db: Session, tmp_path: Path
) -> None:
    safer, result, indicator, programme, [better_off, how_much] = _owned_and_overseen(db, tmp_path)
    signed_in(client, db)
    response = client.get(_scorecard(safer) + ".csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["content-disposition"]
        == 'attachment; filename="scorecard-safer-testford-2026-11-02.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(row["Result or programme"], row["Measure"], row["Kind"]) for row in rows] == [
        (result.title, indicator.title, "Indicator"),
        (programme.name, how_much.title, "How much did we do?"),
        (programme.name, better_off.title, "Is anyone better off?"),
    ]
    assert (rows[0]["Latest period"], rows[0]["Latest value"]) == ("2024-08", "11")


def test_the_scorecard_downloads_as_an_image(client: TestClient, db: Session, tmp_path: Path) -> None:
    safer, *_ = _owned_and_overseen(db, tmp_path)
    signed_in(client, db)
    response = client.get(_scorecard(safer) + ".png")
    assert response.status_code == 200 and response.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert (
        response.headers["content-disposition"]
        == 'attachment; filename="scorecard-safer-testford-2026-11-02.png"'
    )


def test_the_scorecard_downloads_as_excel_with_the_same_rows(
    client: TestClient, db: Session, tmp_path: Path
) -> None:
    safer, *_ = _owned_and_overseen(db, tmp_path)
    signed_in(client, db)
    response = client.get(_scorecard(safer) + ".xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    header, *lines = list(sheet.iter_rows(values_only=True))
    assert header == EXPORT_HEADINGS
    as_csv = list(csv.DictReader(io.StringIO(client.get(_scorecard(safer) + ".csv").text)))
    assert [line[1] for line in lines] == [row["Measure"] for row in as_csv]
    assert lines[0][EXPORT_HEADINGS.index("Latest value")] == 11
