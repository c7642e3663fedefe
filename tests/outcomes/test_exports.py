"""The downloads through the app, on SQLite and PostgreSQL: scorecards as CSV and Excel with a row for each measure,
a measure's values as a file the import takes back, and its XmR chart as a PNG."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.outcomes import factories as make
from tests.outcomes.test_scorecard_views import STEADY, load, signed_in
from tests.support.factories import MOMENT
from wholeplace.outcomes.schemas import MeasureKind
from wholeplace.outcomes.scorecard import EXPORT_HEADINGS
from wholeplace.outcomes.service import framework, values

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _csv_rows(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body)))


def test_the_place_scorecard_downloads_as_csv_with_a_row_for_each_indicator(
    client: TestClient, db: Session, tmp_path: Path
) -> None:
    concern = make.indicator(db, targets={"2024-09": Decimal(9)})
    load(db, concern.id, tmp_path, [*STEADY, 2])
    make.indicator(db, on_data_agenda=True, data_agenda_note="No feed yet.")
    db.commit()
    signed_in(client, db)
    response = client.get("/outcomes/scorecard.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="scorecard-2026-11-02.csv"'
    rows = _csv_rows(response.text)
    assert list(rows[0]) == list(EXPORT_HEADINGS)
    by_status = {row["Variation"]: row for row in rows}
    assert len(rows) == 2
    assert concern.result_id is not None
    assert by_status["Special cause: concern"] == {
        "Result or programme": framework.result(db, concern.result_id).title,
        "Measure": "Pupils persistently absent",
        "Kind": "Indicator",
        "Owner": "Sam Test",
        "Unit": "%",
        "Polarity": "Higher is better",
        "Latest period": "2024-09",
        "Latest value": "2",
        "Variation": "Special cause: concern",
        "Target": "9",
        "Target status": "Target not met",
    }
    agenda = by_status["On the data development agenda"]
    assert (agenda["Latest value"], agenda["Target status"]) == ("", "No value yet")


def test_a_programme_scorecard_downloads_as_excel_with_numbers_as_numbers_and_formulas_as_text(
    client: TestClient, db: Session, tmp_path: Path
) -> None:
    programme = make.programme(db)
    measure = make.measure(db, kind=MeasureKind.HOW_WELL, of=programme)
    measure.title = '=HYPERLINK("http://example.invalid")'
    load(db, measure.id, tmp_path, [10, -3])
    signed_in(client, db)
    response = client.get(f"/outcomes/programmes/{programme.id}/scorecard.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == EXPORT_HEADINGS
    assert len(rows) == 2
    row = dict(zip(EXPORT_HEADINGS, rows[1], strict=True))
    assert (row["Result or programme"], row["Kind"], row["Latest period"]) == (
        programme.name,
        "How well did we do it?",
        "2024-02",
    )
    assert row["Latest value"] == -3
    assert row["Measure"] == '=HYPERLINK("http://example.invalid")'
    assert sheet["B2"].data_type == "s"
    as_csv = _csv_rows(client.get(f"/outcomes/programmes/{programme.id}/scorecard.csv").text)
    assert (as_csv[0]["Measure"], as_csv[0]["Latest value"]) == (
        '\'=HYPERLINK("http://example.invalid")',
        "-3",
    )


def test_a_measures_values_download_goes_back_in_through_the_import(
    client: TestClient, db: Session, tmp_path: Path
) -> None:
    original = make.indicator(db)
    whole = "".join(f"{p},{v},,\n" for p, v in make.months(STEADY))
    girls = "".join(f"{p},{v},Northgate,Girls\n" for p, v in make.months([3, 4, 5]))
    load(db, original.id, tmp_path, "period,value,neighbourhood,group\n" + whole + girls)
    signed_in(client, db)
    response = client.get(f"/outcomes/measures/{original.id}/values.csv")
    assert response.status_code == 200
    assert list(_csv_rows(response.text)[0])[:4] == ["period", "value", "neighbourhood", "group"]
    downloaded = tmp_path / "downloaded.csv"
    downloaded.write_bytes(response.content)
    copy = make.indicator(db)
    summary = values.import_values(db, measure_id=copy.id, path=downloaded, by="analyst", at=MOMENT)
    assert summary.added == 11
    assert (
        values.breakdowns(db, copy.id)
        == values.breakdowns(db, original.id)
        == [
            (None, None),
            ("Northgate", "Girls"),
        ]
    )
    for neighbourhood, group in values.breakdowns(db, original.id):
        assert [
            (p.period, p.value)
            for p in values.series(db, measure_id=copy.id, neighbourhood=neighbourhood, group=group).points
        ] == [
            (p.period, p.value)
            for p in values.series(
                db, measure_id=original.id, neighbourhood=neighbourhood, group=group
            ).points
        ]
    book = load_workbook(io.BytesIO(client.get(f"/outcomes/measures/{original.id}/values.xlsx").content))
    assert book.active is not None and book.active.max_row == 12


def test_a_measures_xmr_chart_downloads_as_a_png(client: TestClient, db: Session, tmp_path: Path) -> None:
    indicator = make.indicator(db)
    rows = "".join(f"{p},{v},Northgate\n" for p, v in make.months(STEADY))
    load(db, indicator.id, tmp_path, "period,value,neighbourhood\n" + rows + "2024-01,5,\n")
    signed_in(client, db)
    response = client.get(f"/outcomes/measures/{indicator.id}/chart.png?neighbourhood=Northgate")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(PNG_SIGNATURE)
    whole_place = client.get(f"/outcomes/measures/{indicator.id}/chart.png")
    assert whole_place.status_code == 400
    assert "An XmR chart needs at least two values for its limits." in whole_place.text


def test_scorecards_download_as_an_image_a_panel_a_measure(
    client: TestClient, db: Session, tmp_path: Path
) -> None:
    indicator = make.indicator(db)
    load(db, indicator.id, tmp_path, STEADY)
    programme = make.programme(db)
    for kind in (MeasureKind.HOW_MUCH, MeasureKind.BETTER_OFF):
        make.measure(db, kind=kind, of=programme)
    db.commit()
    signed_in(client, db)

    place = client.get("/outcomes/scorecard.png")
    assert place.status_code == 200 and place.headers["content-type"] == "image/png"
    assert place.content.startswith(PNG_SIGNATURE)
    assert place.headers["content-disposition"] == 'attachment; filename="scorecard-2026-11-02.png"'
    one_panel = _png_height(place.content)
    assert "an image (PNG)" in client.get("/outcomes/scorecard").text

    two_panels = client.get(f"/outcomes/programmes/{programme.id}/scorecard.png")
    assert two_panels.status_code == 200 and _png_height(two_panels.content) > one_panel


def _png_height(image: bytes) -> int:
    return int.from_bytes(image[20:24], "big")  # the IHDR chunk: width, then height
