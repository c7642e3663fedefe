"""Pages of the money domain. The Total Place page: all the public money spent in the place in a year, by agency
and theme (a flow diagram and its tables), per head by neighbourhood, the prevention share of each theme and the
trend by year, each table downloadable as CSV; and the spend lines behind any figure, page by page.

Spend lines are aggregate public money, not personal data: no disclosure decision stands in front of them."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from starlette.requests import Request

from wholeplace.core import service as core
from wholeplace.core.errors import InvalidInputError, NotFoundError
from wholeplace.core.roles import Role
from wholeplace.money import spend
from wholeplace.sources import standardise
from wholeplace.sources.lake import Lake
from wholeplace.web.access import allow
from wholeplace.web.pagination import pagination
from wholeplace.web.requests import Db
from wholeplace.web.templating import NavigationEntry, render

TOTAL_PLACE = "/money/total-place"
LINES = f"{TOTAL_PLACE}/lines"
READERS = (Role.FINANCE_LEAD, Role.PROGRAMME_MANAGER, Role.ANALYST, Role.ADMINISTRATOR)
NAVIGATION = [NavigationEntry("Total Place", TOTAL_PLACE, frozenset(READERS))]
EVERY_YEAR = "all"
LINES_PAGE_SIZE = 50
CHART_FONT = "arial, sans-serif"
# GOV.UK's colours, for the themes of the flow diagram (more themes than colours share them in turn).
THEME_COLOURS = (
    "#1d70b8",
    "#00703c",
    "#d4351c",
    "#f47738",
    "#4c2c92",
    "#28a197",
    "#912b88",
    "#b58840",
    "#d53880",
    "#505a5f",
    "#85994b",
    "#003078",
)
FLOW_NODE_GAP = 12  # pixels between two agencies, or two themes
FLOW_ROW_HEIGHT = 34  # pixels a name needs, so the height fits the longer column
FLOW_LEAST_HEIGHT = 320
FIELD_LABELS = {
    "agency": "Agency",
    "theme": "Theme",
    "period": "Period",
    "area": "Neighbourhood",
}

router = APIRouter()


# ---------------------------------------------------------------- the Total Place page


@router.get(TOTAL_PLACE, response_class=HTMLResponse)
@allow(*READERS)
def total_place_page(request: Request, db: Db, year: str = "") -> Response:
    with spend.place_spend(db, _lake(request)) as place:
        cube = spend.read_cube(place.connection)
        chosen, error = _chosen_year(year, cube.years)
        counted = spend.count(cube, place.neighbourhoods, year=chosen)
    found = core.get_place(db)
    title = "Total Place"
    context = {
        "title": f"Error: {title}" if error else title,
        "place": found.name if found else "the place",
        "count": counted,
        "headline": _headline(counted),
        "errors": {"year": error} if error else {},
        "year_items": _year_items(cube.years, chosen),
        "flow_chart": _flow_chart(counted),
        "tables": {
            name: {"columns": columns, "rows": rows_of(counted, chosen), "download": _download(name, chosen)}
            for name, (columns, rows_of) in TABLES.items()
        },
        "neighbourhoods_known": bool(place.neighbourhoods),
    }
    return render(request, "money/total_place.html", context, status_code=400 if error else 200)


def _chosen_year(given: str, years: Sequence[str]) -> tuple[str | None, str | None]:
    """The year to count (None for every year) and, for a year with no spend, the message; by default the
    latest year, since spend per head means most for one year."""
    if given == EVERY_YEAR:
        return None, None
    if not given:
        return (years[-1] if years else None), None
    chosen = spend.year_of(given)
    if chosen in years:
        return chosen, None
    return (years[-1] if years else None), f"Choose a year from the list; there is no spend in {given}"


def _headline(counted: spend.Count) -> list[dict[str, Any]]:
    """The summary of the count: the total, per head, how many lines and agencies, and what is not placed."""
    per_head = counted.per_head
    rows = [
        {"key": {"text": "Public spend"}, "value": {"text": _pounds(counted.amount)}},
        {
            "key": {"text": "Spend per head"},
            "value": {
                "text": f"{_pounds(per_head, pennies=True)} for each of {counted.residents:,} residents"
                + ("" if counted.year or len(counted.years) < 2 else f", over the {len(counted.years)} years")
                if per_head is not None and counted.residents
                else "Not known: the population of every neighbourhood is needed"
            },
        },
        {
            "key": {"text": "Counted from"},
            "value": {"text": f"{counted.lines:,} spend lines of {len(counted.agencies):,} agencies"},
        },
    ]
    unplaced = counted.not_placed
    if unplaced is not None:
        rows.append(
            {
                "key": {"text": "Not placed in a neighbourhood"},
                "value": {
                    "text": f"{_pounds(unplaced.amount)} ({_share(_part(unplaced.amount, counted.amount))}), "
                    "counted in the total but in no neighbourhood"
                },
            }
        )
    return rows


def _download(name: str, year: str | None) -> str:
    return f"{TOTAL_PLACE}/{name}.csv" + ("" if name == "years" else _query(year=year or EVERY_YEAR))


def _year_items(years: Sequence[str], chosen: str | None) -> list[dict[str, Any]]:
    items = [{"value": year, "text": year, "selected": year == chosen} for year in reversed(years)]
    return [*items, {"value": EVERY_YEAR, "text": "Every year", "selected": chosen is None}]


# ---------------------------------------------------------------- the tables, as rows of cells


@dataclass(frozen=True)
class Column:
    heading: str
    numeric: bool = False


@dataclass(frozen=True)
class Row:
    """A row of a table: what the page shows in each cell (with a link where there are lines behind it) and what
    its CSV file holds."""

    shown: list[str]
    values: list[str | Decimal | int | None]
    about: str  # what the row is of, in words, for its link
    link: str | None = None  # the lines behind the row's money
    linked: int = -1  # which shown cell carries the link


AGENCY_COLUMNS = (
    Column("Agency"),
    Column("Spend", True),
    Column("Share of the total", True),
    Column("Lines", True),
)
CELL_COLUMNS = (Column("Agency"), Column("Theme"), Column("Spend", True), Column("Lines", True))
AREA_COLUMNS = (
    Column("Code"),
    Column("Neighbourhood"),
    Column("Residents", True),
    Column("Spend", True),
    Column("Spend per head", True),
)
PREVENTION_COLUMNS = (
    Column("Theme"),
    Column("Prevention", True),
    Column("Response", True),
    Column("Neither said", True),
    Column("Total", True),
    Column("Prevention share", True),
)
YEAR_COLUMNS = (
    Column("Year"),
    Column("Spend", True),
    Column("Prevention", True),
    Column("Prevention share", True),
    Column("Lines", True),
)


def _agency_rows(counted: spend.Count, year: str | None) -> list[Row]:
    return [
        Row(
            [
                _name(one.name),
                _pounds(one.amount),
                _share(_part(one.amount, counted.amount)),
                f"{one.lines:,}",
            ],
            [one.name, one.amount, _ratio(_part(one.amount, counted.amount)), one.lines],
            _name(one.name),
            _lines_link(year, agency=one.name),
            1,
        )
        for one in counted.agencies
    ]


def _cell_rows(counted: spend.Count, year: str | None) -> list[Row]:
    order = {one.name: index for index, one in enumerate(counted.agencies)}
    cells = sorted(counted.cells, key=lambda cell: (order[cell.agency], -cell.amount))
    return [
        Row(
            [_name(cell.agency), _label(cell.theme), _pounds(cell.amount), f"{cell.lines:,}"],
            [cell.agency, cell.theme, cell.amount, cell.lines],
            f"{_name(cell.agency)}, {_label(cell.theme)}",
            _lines_link(year, agency=cell.agency, theme=cell.theme),
            2,
        )
        for cell in cells
    ]


def _area_rows(counted: spend.Count, year: str | None) -> list[Row]:
    rows = []
    for area in counted.areas:
        per_head = area.per_head
        rows.append(
            Row(
                [
                    area.code or "",
                    _area_name(area),
                    "Not known" if area.residents is None else f"{area.residents:,}",
                    _pounds(area.amount),
                    "Not known" if per_head is None else _pounds(per_head, pennies=True),
                ],
                [area.code, _area_name(area), area.residents, area.amount, _pennies(per_head)],
                _area_name(area),
                _lines_link(year, area=area.code) if area.lines else None,
                3,
            )
        )
    return rows


def _prevention_rows(counted: spend.Count, year: str | None) -> list[Row]:
    return [
        Row(
            [
                _label(theme.theme),
                _pounds(theme.prevention),
                _pounds(theme.response),
                _pounds(theme.unclassified),
                _pounds(theme.amount),
                _share(theme.share),
            ],
            [
                theme.theme,
                theme.prevention,
                theme.response,
                theme.unclassified,
                theme.amount,
                _ratio(theme.share),
            ],
            _label(theme.theme),
            _lines_link(year, theme=theme.theme),
            4,
        )
        for theme in counted.prevention
    ]


def _year_rows(counted: spend.Count) -> list[Row]:
    return [
        Row(
            [
                year.year or "Not given",
                _pounds(year.amount),
                _pounds(year.prevention),
                _share(year.prevention_share),
                f"{year.lines:,}",
            ],
            [year.year, year.amount, year.prevention, _ratio(year.prevention_share), year.lines],
            year.year or "Not given",
            _lines_link(year.year or spend.NOT_GIVEN),
            1,
        )
        for year in counted.years
    ]


def _every_year_rows(counted: spend.Count, _year: str | None) -> list[Row]:
    return _year_rows(counted)


TABLES: dict[str, tuple[Sequence[Column], Callable[[spend.Count, str | None], list[Row]]]] = {
    "agencies": (AGENCY_COLUMNS, _agency_rows),
    "agencies-and-themes": (CELL_COLUMNS, _cell_rows),
    "neighbourhoods": (AREA_COLUMNS, _area_rows),
    "prevention": (PREVENTION_COLUMNS, _prevention_rows),
    "years": (YEAR_COLUMNS, _every_year_rows),
}


# ---------------------------------------------------------------- the lines behind a figure


@router.get(LINES, response_class=HTMLResponse)
@allow(*READERS)
def lines_page(
    request: Request,
    db: Db,
    agency: str | None = None,
    theme: str | None = None,
    period: str | None = None,
    area: str | None = None,
    page: int = 1,
) -> Response:
    where = _filter(agency=agency, theme=theme, period=period, area=area)
    with spend.place_spend(db, _lake(request)) as place:
        found = spend.lines(place.connection, where, page=page, size=LINES_PAGE_SIZE)
    areas = {one.code: one for one in place.neighbourhoods}
    given = where.given()
    context = {
        "title": "Spend lines" + (f", page {found.page}" if found.page > 1 else ""),
        "found": found,
        "filters": [
            {
                "label": FIELD_LABELS[name],
                "value": _filter_value(name, value, areas),
                "remove": f"{LINES}{_query(**{key: other for key, other in given.items() if key != name})}",
            }
            for name, value in given.items()
        ],
        "rows": [_line_cells(line, areas) for line in found.lines],
        "download": f"{LINES}.csv{_query(**given)}",
        "back": TOTAL_PLACE
        + _query(year=where.period if where.period and where.period != spend.NOT_GIVEN else ""),
        "pounds": _pounds,
        "pagination": pagination(
            lambda number: LINES + _query(**given, page=number if number > 1 else ""),
            page=found.page,
            pages=found.pages,
            label="Pages of spend lines",
        ),
    }
    return render(request, "money/lines.html", context)


@router.get(f"{LINES}.csv")
@allow(*READERS)
def lines_download(
    request: Request,
    db: Db,
    agency: str | None = None,
    theme: str | None = None,
    period: str | None = None,
    area: str | None = None,
) -> Response:
    where = _filter(agency=agency, theme=theme, period=period, area=area)
    with spend.place_spend(db, _lake(request)) as place:
        table = spend.lines_table(place.connection, where)
    return _csv_response("spend-lines.csv", _arrow_csv(table))


@router.get(TOTAL_PLACE + "/{name}.csv")
@allow(*READERS)
def table_download(request: Request, db: Db, name: str, year: str = "") -> Response:
    if name not in TABLES:
        raise NotFoundError(
            f"There is no Total Place table called {name!r}.", fix=f"The tables are: {', '.join(TABLES)}."
        )
    columns, rows_of = TABLES[name]
    with spend.place_spend(db, _lake(request)) as place:
        cube = spend.read_cube(place.connection)
        chosen, error = _chosen_year(year, cube.years)
        if error:
            raise InvalidInputError(error, field="year")
        counted = spend.count(cube, place.neighbourhoods, year=chosen)
    rows = rows_of(counted, chosen)
    file_name = f"total-place-{name}-{chosen or 'every-year'}.csv"
    return _csv_response(file_name, _table_csv(columns, (row.values for row in rows)))


def _filter(
    *, agency: str | None, theme: str | None, period: str | None, area: str | None
) -> spend.LineFilter:
    """The drill-down's filter from its query: a field absent or empty is any value."""
    return spend.LineFilter(
        agency=agency or None, theme=theme or None, period=period or None, area=area or None
    )


def _filter_value(name: str, value: str, areas: dict[str, spend.Neighbourhood]) -> str:
    if value == spend.NOT_GIVEN:
        return "Not placed in a neighbourhood" if name == "area" else "Not given"
    if name == "area" and value in areas:
        return f"{areas[value].name} ({value})"
    return _label(value) if name == "theme" else value


def _line_cells(line: spend.Line, areas: dict[str, spend.Neighbourhood]) -> list[str]:
    return [
        _name(line.agency),
        _name(line.service),
        _name(line.period),
        "Not placed" if line.area is None else (areas[line.area].name if line.area in areas else line.area),
        _label(line.cost_type),
        _label(line.theme),
        _label(line.prevention_or_response),
        _label(line.focus),
        _pounds(line.amount, pennies=True),
    ]


# ---------------------------------------------------------------- the flow diagram (a Vega spec, drawn by app.js)


def _flow_chart(counted: spend.Count) -> dict[str, Any] | None:
    """Money flowing from each agency (left) to each theme (right), every band as wide as the money in it.
    Vega-Lite has no such chart, so this is a Vega spec: the bands' heights are worked out here, the width
    follows the page. Credits cannot be drawn as a band: only what an agency spent on a theme counts."""
    flows = [cell for cell in counted.cells if cell.amount > 0]
    if not flows:
        return None
    agencies = _ordered((_name(cell.agency), cell.amount) for cell in flows)
    themes = _ordered((_label(cell.theme), cell.amount) for cell in flows)
    height = max(FLOW_LEAST_HEIGHT, FLOW_ROW_HEIGHT * max(len(agencies), len(themes)))
    total = sum(agencies.values(), Decimal(0))
    pixels = min(
        (height - FLOW_NODE_GAP * (len(column) - 1)) / float(total) for column in (agencies, themes)
    )  # one scale for both columns, so a band is as wide where it leaves as where it arrives
    agency_nodes = _nodes(agencies, pixels)
    theme_nodes = _nodes(themes, pixels)
    leaving = {node["name"]: node["y0"] for node in agency_nodes}
    arriving = {node["name"]: node["y0"] for node in theme_nodes}
    bands = []
    for agency in agencies:
        for theme in themes:
            amount = sum(
                (c.amount for c in flows if _name(c.agency) == agency and _label(c.theme) == theme),
                Decimal(0),
            )
            if not amount:
                continue
            thickness = float(amount) * pixels
            bands.append(
                {
                    "agency": agency,
                    "theme": theme,
                    "sy": leaving[agency] + thickness / 2,
                    "ty": arriving[theme] + thickness / 2,
                    "thickness": thickness,
                }
            )
            leaving[agency] += thickness
            arriving[theme] += thickness
    return _flow_spec(agency_nodes, theme_nodes, bands, height=height)


def _ordered(amounts: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for name, amount in amounts:
        totals[name] = totals.get(name, Decimal(0)) + amount
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def _nodes(totals: dict[str, Decimal], pixels: float) -> list[dict[str, Any]]:
    nodes, top = [], 0.0
    for name, amount in totals.items():
        size = float(amount) * pixels
        nodes.append({"name": name, "label": f"{name} {_short_pounds(amount)}", "y0": top, "y1": top + size})
        top += size + FLOW_NODE_GAP
    return nodes


def _flow_spec(
    agencies: list[dict[str, Any]], themes: list[dict[str, Any]], bands: list[dict[str, Any]], *, height: int
) -> dict[str, Any]:
    # The page's width less the padding; sized by hand ("none"), as thick curved bands would make Vega's own
    # fitting leave space for stroke bounds that nothing fills.
    container = "isFinite(containerSize()[0]) ? max(containerSize()[0] - 10, 300) : 640"
    # The marks are left out of the accessibility tree ("aria": False): the chart's container is one image with
    # its label, and the tables carry the figures.
    text = {"fontSize": {"value": 13}, "font": {"value": CHART_FONT}, "fill": {"value": "#0b0c0c"}}
    return {
        "$schema": "https://vega.github.io/schema/vega/v6.json",
        "description": "Flow diagram of the money each agency spent on each theme; the same figures are in the "
        "table of spend by agency and theme.",
        "height": height,
        "padding": 5,
        "autosize": {"type": "none"},
        "signals": [
            {"name": "width", "init": container, "on": [{"events": "window:resize", "update": container}]},
            {"name": "labelWidth", "update": "min(260, width * 0.34)"},
            {"name": "nodeWidth", "value": 14},
            {"name": "leftX", "update": "labelWidth"},
            {"name": "rightX", "update": "width - labelWidth - nodeWidth"},
        ],
        "data": [
            {"name": "agencies", "values": agencies},
            {"name": "themes", "values": themes},
            {
                "name": "bands",
                "values": bands,
                "transform": [
                    {"type": "formula", "as": "sx", "expr": "leftX + nodeWidth"},
                    {"type": "formula", "as": "tx", "expr": "rightX"},
                    {
                        "type": "linkpath",
                        "sourceX": "sx",
                        "sourceY": "sy",
                        "targetX": "tx",
                        "targetY": "ty",
                        "orient": "horizontal",
                        "shape": "diagonal",
                    },
                ],
            },
        ],
        "scales": [
            {
                "name": "colour",
                "type": "ordinal",
                "domain": [node["name"] for node in themes],
                "range": list(THEME_COLOURS),
            }
        ],
        "marks": [
            {
                "type": "path",
                "aria": False,
                "from": {"data": "bands"},
                "encode": {
                    "update": {
                        "path": {"field": "path"},
                        "stroke": {"scale": "colour", "field": "theme"},
                        "strokeWidth": {"field": "thickness"},
                        "strokeOpacity": {"value": 0.45},
                    }
                },
            },
            _flow_nodes("agencies", x="leftX", fill={"value": "#0b0c0c"}),
            _flow_nodes("themes", x="rightX", fill={"scale": "colour", "field": "name"}),
            _flow_labels("agencies", x="leftX - 6", align="right", text=text),
            _flow_labels("themes", x="rightX + nodeWidth + 6", align="left", text=text),
        ],
    }


def _flow_nodes(data: str, *, x: str, fill: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "rect",
        "aria": False,
        "from": {"data": data},
        "encode": {
            "update": {
                "x": {"signal": x},
                "width": {"signal": "nodeWidth"},
                "y": {"field": "y0"},
                "y2": {"signal": "max(datum.y1, datum.y0 + 1)"},
                "fill": fill,
            }
        },
    }


def _flow_labels(data: str, *, x: str, align: str, text: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "text",
        "aria": False,
        "from": {"data": data},
        "encode": {
            "update": {
                **text,
                "x": {"signal": x},
                "y": {"signal": "(datum.y0 + datum.y1) / 2"},
                "text": {"field": "label"},
                "align": {"value": align},
                "baseline": {"value": "middle"},
                "limit": {"signal": "labelWidth - 10"},
            }
        },
    }


# ---------------------------------------------------------------- CSV files


def _csv_response(file_name: str, lines: Iterator[str]) -> Response:
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )


def _table_csv(
    columns: Sequence[Column], rows: Iterable[Sequence[str | Decimal | int | None]]
) -> Iterator[str]:
    """A table as CSV: money to the penny, shares as fractions, text that a spreadsheet would run as a formula
    neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.heading for column in columns])
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    yield buffer.getvalue()


def _arrow_csv(table: pa.Table) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow([_csv_cell(value) for value in row.values()])
    yield buffer.getvalue()


def _csv_cell(value: str | Decimal | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        safe = standardise.neutralise_formulas(pa.array([value], pa.string()))[0].as_py()
        return str(safe)
    return str(value)


# ---------------------------------------------------------------- words and numbers


def _name(value: str | None) -> str:
    return value if value else "Not given"


def _label(code: str | None) -> str:
    """A code as words: "childrens_safety" is "Childrens safety"."""
    if not code:
        return "Not given"
    words = code.replace("_", " ")
    return words[:1].upper() + words[1:]


def _area_name(area: spend.AreaSpend) -> str:
    if not area.placed:
        return "Not placed in a neighbourhood"
    return area.name or "Not one of the place's neighbourhoods"


def _part(amount: Decimal, whole: Decimal) -> Decimal | None:
    return amount / whole if whole > 0 else None


def _ratio(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.0001"))


def _pennies(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(spend.ZERO)


def _pounds(value: Decimal | None, *, pennies: bool = False) -> str:
    if value is None:
        return "Not known"
    written = f"£{abs(value):,.2f}" if pennies else f"£{abs(value):,.0f}"
    return f"-{written}" if round(value, 2 if pennies else 0) < 0 else written


def _short_pounds(value: Decimal) -> str:
    for size, suffix in ((Decimal(1_000_000_000), "bn"), (Decimal(1_000_000), "m"), (Decimal(1_000), "k")):
        if abs(value) >= size:
            return f"£{value / size:,.1f}{suffix}"
    return f"£{value:,.0f}"


def _share(value: Decimal | None) -> str:
    return "Not known" if value is None else f"{value:.1%}"


def _lines_link(period: str | None, **given: str | None) -> str:
    """The drill-down to the lines of a period (None: of every period) behind a figure of an agency, theme or
    area; a blank one is asked for as NOT_GIVEN."""
    named = {name: spend.NOT_GIVEN if value is None else value for name, value in given.items()}
    return LINES + _query(**named, period=period)


def _query(**given: str | int | None) -> str:
    kept = {name: value for name, value in given.items() if value not in (None, "")}
    return f"?{urlencode(kept)}" if kept else ""


def _lake(request: Request) -> Lake:
    return Lake.in_data_dir(request.app.state.settings.data_dir)
