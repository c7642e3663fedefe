"""What the scorecards and a measure's page are made of, and their downloads: the tiles of the place's indicators,
of a programme's performance measures and of a partnership's results and programmes, a measure's series read as an
XmR chart, and these as CSV, Excel and PNG. The pages and the downloads read the same tiles and the same chart, so a download says what the page said."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from wholeplace.core import geography
from wholeplace.core import service as core
from wholeplace.core.errors import ConflictError, NotFoundError
from wholeplace.outcomes import charts, scorecard
from wholeplace.outcomes.models import Measure, Partnership, Programme, Result
from wholeplace.outcomes.schemas import PERFORMANCE_KINDS, MeasureKind, Series
from wholeplace.outcomes.scorecard import Charted, Tile
from wholeplace.outcomes.service import framework, partnerships, values
from wholeplace.outcomes.spc import Polarity
from wholeplace.sources.standardise import FORMULA_START
from wholeplace.web.access import signed_in
from wholeplace.web.requests import Db, Now

SCORECARD = "/outcomes/scorecard"
PROGRAMMES = "/outcomes/programmes"
MEASURES = "/outcomes/measures"
PARTNERSHIPS = "/outcomes/partnerships"
VALUE_HEADINGS = (
    "period",  # the first four as an import reads them, so the file can go back in
    "value",
    "neighbourhood",
    "group",
    "definition version",
    "source",
    "recorded by",
    "recorded at",
)
EXCEL = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA = re.compile(FORMULA_START)
Cell = str | Decimal | int | None

router = APIRouter()


@dataclass(frozen=True)
class Section:
    """A heading of a scorecard (a result, or a kind of performance measure) with its tiles."""

    heading: str
    href: str | None
    tiles: list[Tile]
    is_priority: bool = False


@dataclass(frozen=True)
class Chart:
    """A measure's series for a neighbourhood and group, read as an XmR chart."""

    series: Series
    points: list[Charted]


# ---------------------------------------------------------------- what the pages and downloads are made of


def place_sections(db: Session) -> list[Section]:
    """A section for each result, the priorities first, with a tile for each of its indicators."""
    return _result_sections(db, framework.results(db))


def programme_sections(db: Session, programme: Programme) -> list[Section]:
    """A section for each kind of performance measure (how much, how well, better off) that the programme has."""
    measures = framework.measures_of(db, programme.id)
    tiles = _tiles(db, [(one, programme.name) for one in measures])
    return [
        Section(
            heading=scorecard.KIND_LABELS[kind],
            href=None,
            tiles=[tiles[one.id] for one in measures if one.kind == kind],
        )
        for kind in PERFORMANCE_KINDS
        if any(one.kind == kind for one in measures)
    ]


@dataclass(frozen=True)
class PartnershipScorecard:
    """A partnership's scorecard: a section for each result it owns, then one for each programme it oversees."""

    results: list[Section]
    programmes: list[Section]

    @property
    def sections(self) -> list[Section]:
        return [*self.results, *self.programmes]


def partnership_scorecard(db: Session, partnership: Partnership) -> PartnershipScorecard:
    """The partnership's results, the priorities first, each with a tile for each of its indicators (as on the
    place's scorecard); then its programmes, each with a tile for each of its performance measures in the order
    how much, how well, better off (as on the programme's scorecard)."""
    programmes = partnerships.programmes_of(db, partnership.id)
    measures = {one.id: framework.measures_of(db, one.id) for one in programmes}
    tiles = _tiles(db, [(one, programme.name) for programme in programmes for one in measures[programme.id]])
    return PartnershipScorecard(
        results=_result_sections(db, partnerships.results_of(db, partnership.id)),
        programmes=[
            Section(
                heading=programme.name,
                href=f"{PROGRAMMES}/{programme.id}/scorecard",
                tiles=[tiles[one.id] for one in measures[programme.id]],
            )
            for programme in programmes
        ],
    )


def _result_sections(db: Session, results: Sequence[Result]) -> list[Section]:
    found = [(result, framework.indicators_of(db, result.id)) for result in results]
    tiles = _tiles(db, [(one, result.title) for result, indicators in found for one in indicators])
    return [
        Section(
            heading=result.title,
            href=f"/outcomes/results/{result.id}",
            tiles=[tiles[one.id] for one in indicators],
            is_priority=result.is_priority,
        )
        for result, indicators in found
    ]


def _tiles(db: Session, measures: Sequence[tuple[Measure, str]]) -> dict[uuid.UUID, Tile]:
    """A tile for each measure, given with the title of the result or programme it belongs to."""
    series = values.whole_place_series(db, [one.id for one, _ in measures])
    owners: dict[str, str] = {}
    return {
        one.id: scorecard.tile(_measured(db, one, title, owners), series[one.id]) for one, title in measures
    }


def _measured(db: Session, measure: Measure, belongs_to: str, owners: dict[str, str]) -> scorecard.Measured:
    """A measure as a tile shows it; `owners` keeps the names already looked up."""
    if measure.owner not in owners:
        owners[measure.owner] = person_name(db, measure.owner)
    return scorecard.Measured(
        id=measure.id,
        title=measure.title,
        kind=MeasureKind(measure.kind),
        belongs_to=belongs_to,
        owner=owners[measure.owner],
        unit=measure.unit,
        polarity=Polarity(measure.polarity),
        targets={period: Decimal(value) for period, value in measure.targets.items()},
        on_data_agenda=measure.on_data_agenda,
        data_agenda_note=measure.data_agenda_note,
    )


def person_name(db: Session, username: str) -> str:
    """A user's full name, or the username itself if there is no such user any more."""
    user = core.find_user(db, username)
    return user.full_name if user is not None else username


def belongs_to(db: Session, measure: Measure) -> str:
    """The title of the measure's result, or the name of its programme."""
    if measure.programme_id is not None:
        return framework.programme(db, measure.programme_id).name
    assert measure.result_id is not None  # the table holds a measure to one or the other
    return framework.result(db, measure.result_id).title


def chart_of(db: Session, measure: Measure, *, neighbourhood: str | None, group: str | None) -> Chart:
    """The measure's series for a neighbourhood and group it has values for (None: the whole place, everyone)."""
    if (neighbourhood, group) != (None, None) and (neighbourhood, group) not in values.breakdowns(
        db, measure.id
    ):
        raise NotFoundError(
            "The measure has no values for that neighbourhood and group.",
            fix="Choose one from the list on the measure's page.",
        )
    series = values.series(db, measure_id=measure.id, neighbourhood=neighbourhood, group=group)
    return Chart(series=series, points=scorecard.chart(series.points, Polarity(measure.polarity)))


def xmr_spec(measure: Measure, chart: Chart, *, where: str) -> dict[str, Any]:
    """The XmR chart of the series, the targets drawn on the whole-place chart only, as they are set for it."""
    whole_place = (chart.series.neighbourhood, chart.series.group) == (None, None)
    return charts.xmr_chart(
        chart.points,
        change_points=chart.series.change_points,
        targets={period: Decimal(value) for period, value in measure.targets.items()} if whole_place else {},
        unit=measure.unit,
        description=f"XmR chart of {measure.title} for {where}: "
        + scorecard.describe(chart.points, measure.unit),
    )


def where_label(names: Mapping[str, str], neighbourhood: str | None, group: str | None) -> str:
    """ "the whole place", "Northgate", "Northgate, girls", "the whole place, girls": a neighbourhood by its name
    in `names` (the place's geography), else by the code its values carry."""
    named = names.get(neighbourhood, neighbourhood) if neighbourhood else "the whole place"
    return ", ".join([named, *([group] if group else [])])


def neighbourhood_names(db: Session) -> dict[str, str]:
    return {one.code: one.name for one in geography.neighbourhoods(db)}


# ---------------------------------------------------------------- downloads


@router.get(SCORECARD + ".csv")
@signed_in
def place_scorecard_csv(db: Db, now: Now) -> Response:
    """The place's scorecard as CSV: a row for each indicator."""
    return _csv(scorecard.EXPORT_HEADINGS, _rows(place_sections(db)), f"scorecard-{now:%Y-%m-%d}.csv")


@router.get(SCORECARD + ".xlsx")
@signed_in
def place_scorecard_xlsx(db: Db, now: Now) -> Response:
    return _excel(
        "Scorecard", scorecard.EXPORT_HEADINGS, _rows(place_sections(db)), f"scorecard-{now:%Y-%m-%d}.xlsx"
    )


@router.get(PROGRAMMES + "/{programme_id}/scorecard.csv")
@signed_in
def programme_scorecard_csv(db: Db, now: Now, programme_id: uuid.UUID) -> Response:
    """A programme's scorecard as CSV: a row for each performance measure."""
    programme = framework.programme(db, programme_id)
    rows = _rows(programme_sections(db, programme))
    return _csv(scorecard.EXPORT_HEADINGS, rows, f"scorecard-{_slug(programme.name)}-{now:%Y-%m-%d}.csv")


@router.get(PROGRAMMES + "/{programme_id}/scorecard.xlsx")
@signed_in
def programme_scorecard_xlsx(db: Db, now: Now, programme_id: uuid.UUID) -> Response:
    programme = framework.programme(db, programme_id)
    rows = _rows(programme_sections(db, programme))
    name = f"scorecard-{_slug(programme.name)}-{now:%Y-%m-%d}.xlsx"
    return _excel("Scorecard", scorecard.EXPORT_HEADINGS, rows, name)


@router.get(PARTNERSHIPS + "/{partnership_id}/scorecard.csv")
@signed_in
def partnership_scorecard_csv(db: Db, now: Now, partnership_id: uuid.UUID) -> Response:
    """A partnership's scorecard as CSV: a row for each indicator of its results, then for each performance
    measure of its programmes."""
    partnership = partnerships.partnership(db, partnership_id)
    rows = _rows(partnership_scorecard(db, partnership).sections)
    return _csv(scorecard.EXPORT_HEADINGS, rows, f"scorecard-{_slug(partnership.name)}-{now:%Y-%m-%d}.csv")


@router.get(PARTNERSHIPS + "/{partnership_id}/scorecard.xlsx")
@signed_in
def partnership_scorecard_xlsx(db: Db, now: Now, partnership_id: uuid.UUID) -> Response:
    partnership = partnerships.partnership(db, partnership_id)
    rows = _rows(partnership_scorecard(db, partnership).sections)
    name = f"scorecard-{_slug(partnership.name)}-{now:%Y-%m-%d}.xlsx"
    return _excel("Scorecard", scorecard.EXPORT_HEADINGS, rows, name)


@router.get(SCORECARD + ".png")
@signed_in
def place_scorecard_png(db: Db, now: Now) -> Response:
    """The place's scorecard as one image: a panel for each indicator."""
    place = core.get_place(db)
    title = f"Scorecard of {place.name}" if place else "Scorecard of the place"
    return _scorecard_png(title, place_sections(db), f"scorecard-{now:%Y-%m-%d}")


@router.get(PROGRAMMES + "/{programme_id}/scorecard.png")
@signed_in
def programme_scorecard_png(db: Db, now: Now, programme_id: uuid.UUID) -> Response:
    programme = framework.programme(db, programme_id)
    name = f"scorecard-{_slug(programme.name)}-{now:%Y-%m-%d}"
    return _scorecard_png(f"Scorecard: {programme.name}", programme_sections(db, programme), name)


@router.get(PARTNERSHIPS + "/{partnership_id}/scorecard.png")
@signed_in
def partnership_scorecard_png(db: Db, now: Now, partnership_id: uuid.UUID) -> Response:
    partnership = partnerships.partnership(db, partnership_id)
    name = f"scorecard-{_slug(partnership.name)}-{now:%Y-%m-%d}"
    sections = partnership_scorecard(db, partnership).sections
    return _scorecard_png(f"Scorecard: {partnership.name}", sections, name)


def _scorecard_png(title: str, sections: Sequence[Section], name: str) -> Response:
    spec = charts.scorecard_image(title, [(section.heading, section.tiles) for section in sections])
    return Response(
        charts.png(spec, width=None),
        media_type="image/png",
        headers={"Content-Disposition": f'attachment; filename="{name}.png"'},
    )


@router.get(MEASURES + "/{measure_id}/values.csv")
@signed_in
def values_csv(db: Db, now: Now, measure_id: uuid.UUID) -> Response:
    """Every value of a measure, for every neighbourhood and group, as a file the import takes back."""
    measure = framework.measure(db, measure_id)
    return _csv(VALUE_HEADINGS, _value_rows(db, measure), f"{_slug(measure.title)}-{now:%Y-%m-%d}.csv")


@router.get(MEASURES + "/{measure_id}/values.xlsx")
@signed_in
def values_xlsx(db: Db, now: Now, measure_id: uuid.UUID) -> Response:
    measure = framework.measure(db, measure_id)
    name = f"{_slug(measure.title)}-{now:%Y-%m-%d}.xlsx"
    return _excel("Values", VALUE_HEADINGS, _value_rows(db, measure), name)


@router.get(MEASURES + "/{measure_id}/chart.png")
@signed_in
def chart_png(db: Db, measure_id: uuid.UUID, neighbourhood: str = "", group: str = "") -> Response:
    """The measure's XmR chart as a PNG image, drawn from the spec its page shows."""
    measure = framework.measure(db, measure_id)
    chart = chart_of(db, measure, neighbourhood=neighbourhood.strip() or None, group=group.strip() or None)
    if not any(point.limits for point in chart.points):
        raise ConflictError(
            "An XmR chart needs at least two values for its limits.",
            fix="Import more of the measure's values, then download the chart again.",
        )
    where = where_label(neighbourhood_names(db), chart.series.neighbourhood, chart.series.group)
    image = charts.png(xmr_spec(measure, chart, where=where))
    return Response(
        image,
        media_type="image/png",
        headers={"Content-Disposition": f'attachment; filename="{_slug(measure.title)}-xmr.png"'},
    )


def _rows(sections: Iterable[Section]) -> list[tuple[Cell, ...]]:
    return [scorecard.export_row(one) for section in sections for one in section.tiles]


def _value_rows(db: Session, measure: Measure) -> list[tuple[Cell, ...]]:
    return [
        (
            one.period,
            one.value,
            one.neighbourhood,
            one.population_group,
            one.definition_version,
            one.source,
            one.recorded_by,
            _moment(one.recorded_at),
        )
        for one in values.every_value(db, measure.id)
    ]


def _moment(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def _csv(headings: Sequence[str], rows: Iterable[Sequence[Cell]], filename: str) -> Response:
    """A CSV download; text a spreadsheet would run as a formula gets a quote before it, numbers stay numbers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headings)
    writer.writerows([_csv_cell(cell) for cell in row] for row in rows)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _csv_cell(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, str):
        return "'" + cell if FORMULA.match(cell) else cell
    return str(cell)


def _excel(
    sheet_title: str, headings: Sequence[str], rows: Iterable[Sequence[Cell]], filename: str
) -> Response:
    """An Excel workbook of one sheet: headings in bold, numbers as numbers, text always as text."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = sheet_title
    sheet.append(list(headings))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    # openpyxl takes text starting with "=" for a formula; nothing here is one.
    for line in sheet.iter_rows():
        for cell in line:
            if cell.data_type == "f":
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        buffer.getvalue(),
        media_type=EXCEL,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "measure"
