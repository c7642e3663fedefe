"""The scorecards, a measure's page and the early warnings through the app, on SQLite and PostgreSQL: a tile per
indicator or performance measure with its latest value, sparkline, variation, target status and owner; a
measure's XmR chart and the table of its points for the whole place or a neighbourhood, with its definition
changes and replaced values; and a person's own warnings, marked read."""

from __future__ import annotations

import html
import re
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.identity.test_views import chart_spec
from tests.outcomes import factories as make
from tests.support import factories
from tests.support.factories import MOMENT
from tests.support.web import post_form, sign_in
from wholeplace.core import geography
from wholeplace.core.geography import NeighbourhoodRow
from wholeplace.core.models import User
from wholeplace.core.roles import Role
from wholeplace.outcomes.schemas import ComputedValue, MeasureKind
from wholeplace.outcomes.service import definitions, framework, values, warnings

STEADY = [10, 11, 10, 11, 10, 11, 10, 11]
LATER = MOMENT + timedelta(days=30)


def signed_in(client: TestClient, db: Session, *roles: Role, username: str = "reader") -> User:
    """Sign the client in as a new user with these roles (a practitioner, who only reads, by default)."""
    user = factories.user(db, *(roles or (Role.PRACTITIONER,)), username=username)
    user.full_name = username.capitalize() + " Test"
    db.commit()
    assert sign_in(client, username, factories.PASSWORD).status_code == 303
    return user


def load(
    db: Session,
    measure_id: uuid.UUID,
    folder: Path,
    text: str | list[int] | list[str],
    *,
    name: str = "v.csv",
) -> None:
    """Import values: monthly whole-place values from January 2024, or a CSV's own text."""
    rows = text if isinstance(text, str) else make.months(text)
    values.import_values(
        db, measure_id=measure_id, path=make.values_csv(folder, rows, name=name), by="analyst", at=MOMENT
    )
    db.commit()


def page_text(page: str) -> str:
    """The words a reader sees: no tags, and no chart specs."""
    shown = re.sub(r"<script[^>]*>.*?</script>", " ", page, flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", shown)).split())


def test_the_place_scorecard_has_a_tile_per_indicator_with_its_latest_value_variation_target_and_owner(
    client: TestClient, db: Session, tmp_path: Path
) -> None:
    owner = make.owner(db)
    owner.full_name = "Jo Owner"
    indicator = make.indicator(db, who=owner, targets={"2024-09": Decimal(9)})
    load(db, indicator.id, tmp_path, [*STEADY, 2])
    signed_in(client, db)
    page = client.get("/outcomes/scorecard")
    assert page.status_code == 200
    text = page_text(page.text)
    result = framework.result(db, indicator.result_id)  # type: ignore[arg-type]
    assert f"{result.title} Priority" in text
    assert (
        "Pupils persistently absent Chart and values (Pupils persistently absent) Turn the curve "
        "(Pupils persistently absent) Latest value 2 % in 2024-09"
    ) in text
    assert "Variation Special cause: concern Target Target not met 9 % for 2024-09 Owner Jo Owner" in text
    spark = chart_spec(page.text, f"spark-{indicator.id}")
    assert [row["value"] for rows in spark["datasets"].values() for row in rows] == [*STEADY, 2]  # type: ignore[attr-defined]
    assert (
        'aria-label="Small chart of Pupils persistently absent. 9 values from 2024-01 to 2024-09' in page.text
    )


def test_a_tile_with_one_value_says_not_enough_data_and_one_on_the_agenda_says_what_is_missing(
    client: TestClient, db: Session, tmp_path: Path
) -> None:
    one_value = make.indicator(db)
    load(db, one_value.id, tmp_path, [7])
    make.indicator(db, on_data_agenda=True, data_agenda_note="Schools do not send absence yet.")
    db.commit()
    signed_in(client, db)
    text = page_text(client.get("/outcomes/scorecard").text)
    assert "Latest value 7 % in 2024-01 Variation Not enough data Target No target" in text
    assert "Data development agenda Its data do not yet exist: Schools do not send absence yet." in text


def test_a_programme_scorecard_groups_its_measures_by_kind(
    client: TestClient, db: Session, tmp_path: Path
) -> None:
    programme = make.programme(db)
    how_much = make.measure(db, kind=MeasureKind.HOW_MUCH, of=programme)
    better_off = make.measure(db, kind=MeasureKind.BETTER_OFF, of=programme)
    load(db, better_off.id, tmp_path, STEADY)
    signed_in(client, db)
    page = client.get(f"/outcomes/programmes/{programme.id}/scorecard")
    assert page.status_code == 200
    text = page_text(page.text)
    assert (
        text.index("How much did we do?") < text.index(how_much.title) < text.index("Is anyone better off?")
    )
    assert text.index("Is anyone better off?") < text.index(better_off.title)
    assert "How well did we do it?" not in text
    assert "Latest value 11 % in 2024-08 Values so far Variation Common cause Target No target" in text
    assert "Turn the curve" not in text


def test_a_measure_page_draws_its_xmr_chart_and_tables_each_point(
    client: TestClient, db: Session, tmp_path: Path
) -> None:
    indicator = make.indicator(db)
    load(db, indicator.id, tmp_path, [*STEADY, 2])
    signed_in(client, db)
    page = client.get(f"/outcomes/measures/{indicator.id}")
    assert page.status_code == 200
    spec = chart_spec(page.text, "xmr-chart")
    assert "XmR chart of Pupils persistently absent for the whole place" in str(spec["description"])
    text = page_text(page.text)
    assert "The mean is 9.56 and the process limits are 4.24 and 14.88, from every value." in text
    assert "Read the limits with care: Making Data Count advises at least 15 values" in text
    assert (
        "2024-09 2 9.56 4.24 14.88 a (outside the process limits) Special cause: concern Imported"
    ) in text
    assert "2024-01 10 9.56 4.24 14.88 b (a run on one side of the mean) Special cause: improvement" in text
    assert f'href="/outcomes/measures/{indicator.id}/chart.png"' in page.text


def test_a_measure_page_marks_where_the_definition_changed(client: TestClient, db: Session) -> None:
    indicator = make.indicator(db)
    for version, (reason, months) in enumerate(
        (("", range(1, 5)), ("The threshold changed.", range(5, 9))), 1
    ):
        definitions.define(
            db,
            measure_id=indicator.id,
            key="absence",
            parameters={"threshold": version},
            description=f"Version {version}.",
            reason=reason,
            by="ana",
            at=MOMENT,
        )
        computed = [ComputedValue(f"2024-{month:02d}", Decimal(STEADY[month - 1])) for month in months]
        values.record_computed(db, measure_id=indicator.id, values=computed, by="ana", at=MOMENT)
    db.commit()
    signed_in(client, db)
    page = client.get(f"/outcomes/measures/{indicator.id}")
    spec = chart_spec(page.text, "xmr-chart")
    assert {"period": "2024-05", "label": "Definition v2"} in [
        row
        for rows in spec["datasets"].values()
        for row in rows  # type: ignore[attr-defined]
    ]
    text = page_text(page.text)
    assert "From 2024-05: version 2, changed by ana" in text and "The threshold changed." in text
    assert "v2 Version 2. ana, 2 Nov 2026, 09:30 UTC The threshold changed." in text


def test_a_measure_page_lists_its_neighbourhoods_and_shows_one_with_its_replaced_values(
    client: TestClient, db: Session, tmp_path: Path
) -> None:
    indicator = make.indicator(db)
    whole = "".join(f"{p},{v},\n" for p, v in make.months(STEADY))
    north = "".join(f"{p},{v},Northgate\n" for p, v in make.months(STEADY))
    load(db, indicator.id, tmp_path, "period,value,neighbourhood\n" + whole + north)
    corrected = "period,value,neighbourhood\n2024-02,30,Northgate\n"
    values.import_values(
        db,
        measure_id=indicator.id,
        path=make.values_csv(tmp_path, corrected, name="fix.csv"),
        by="bo",
        at=LATER,
    )
    db.commit()
    signed_in(client, db)
    whole = page_text(client.get(f"/outcomes/measures/{indicator.id}").text)
    assert "The whole place (shown)" in whole and "No value in this series has been replaced." in whole
    page = client.get(f"/outcomes/measures/{indicator.id}?neighbourhood=Northgate")
    assert page.status_code == 200
    text = page_text(page.text)
    assert "XmR chart: Northgate" in text
    assert "Northgate (shown)" in text
    assert "2024-02 11 v.csv analyst, 2 Nov 2026, 09:30 UTC bo, 2 Dec 2026, 09:30 UTC, from fix.csv" in text
    assert client.get(f"/outcomes/measures/{indicator.id}?neighbourhood=Southgate").status_code == 404


def test_the_warnings_page_shows_the_owners_own_warnings_and_marks_one_read(
    client: TestClient, db: Session, tmp_path: Path
) -> None:
    owner = make.owner(db)
    mine = make.indicator(db, who=owner)
    theirs = make.indicator(db)
    for one in (mine, theirs):
        load(db, one.id, tmp_path, [*STEADY, 2])
    db.commit()
    assert sign_in(client, owner.username, factories.PASSWORD).status_code == 303
    assert "You have 1 unread early warning." in page_text(client.get("/outcomes/scorecard").text)
    text = page_text(client.get("/outcomes/warnings").text)
    assert "1 unread." in text
    assert "Pupils persistently absent 2024-09 a (outside the process limits) 2 Nov 2026, 09:30 UTC" in text
    assert text.count("Mark as read") == 1
    warning = warnings.warnings_for(db, owner.username)[0]
    response = post_form(client, f"/outcomes/warnings/{warning.id}/read", {}, from_page="/outcomes/warnings")
    assert (response.status_code, response.headers["location"]) == (303, "/outcomes/warnings?done=read")
    text = page_text(client.get("/outcomes/warnings?done=read").text)
    assert "The warning is marked as read." in text and "0 unread." in text and "Mark as read" not in text
    db.expire_all()
    assert warnings.warnings_for(db, owner.username)[0].read_at is not None


def test_another_persons_warning_cannot_be_marked_read(
    client: TestClient, db: Session, tmp_path: Path
) -> None:
    owner = make.owner(db)
    indicator = make.indicator(db, who=owner)
    load(db, indicator.id, tmp_path, [*STEADY, 2])
    signed_in(client, db)
    warning = warnings.warnings_for(db, owner.username)[0]
    response = post_form(client, f"/outcomes/warnings/{warning.id}/read", {}, from_page="/outcomes/warnings")
    assert response.status_code == 404
    db.expire_all()
    assert warnings.warnings_for(db, owner.username)[0].read_at is None


def test_the_scorecards_need_a_signed_in_user(client: TestClient) -> None:
    response = client.get("/outcomes/scorecard", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_neighbourhood_the_place_knows_is_named_not_coded(
    client: TestClient, db: Session, tmp_path: Path
) -> None:
    indicator = make.indicator(db)
    load(
        db,
        indicator.id,
        tmp_path,
        "period,value,neighbourhood\n" + "".join(f"{p},{v},N7\n" for p, v in make.months(STEADY)),
    )
    geography.replace_neighbourhoods(db, [NeighbourhoodRow("N7", "Old Town", ("RF1 7",), 900)], now=LATER)
    db.commit()
    signed_in(client, db)

    text = page_text(client.get(f"/outcomes/measures/{indicator.id}?neighbourhood=N7").text)

    assert "XmR chart: Old Town" in text
    assert "N7" not in text


def test_values_computed_to_many_places_are_shown_to_three_significant_figures(
    client: TestClient, db: Session, tmp_path: Path
) -> None:
    indicator = make.indicator(db)
    load(db, indicator.id, tmp_path, ["12.3456", "13.6691", "208.1688"])
    signed_in(client, db)
    tile = page_text(client.get("/outcomes/scorecard").text)
    assert "208 " in tile and "208.1688" not in tile
    table = page_text(client.get(f"/outcomes/measures/{indicator.id}").text)
    assert "2024-01 12.3" in table and "2024-02 13.7" in table and "13.6691" not in table
    download = client.get(f"/outcomes/measures/{indicator.id}/values.csv").text
    assert "13.6691" in download  # the files keep every place
