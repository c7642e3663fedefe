"""The Total Place count: all the public money spent in the place, from the lake's spend lines, counted with DuckDB
to the penny: by agency and theme, per head by neighbourhood, the prevention share of each theme, the trend by
financial year, and the lines behind any of those figures.

The counting functions are pure: a DuckDB connection holding a `spend_line` relation (the lake's view, or any
table of spend lines in the standard's columns) in, dataclasses and Arrow tables out. `place_spend` gathers that
connection and the place's neighbourhoods for the pages and the commands.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy.orm import Session

from wholeplace.core import geography
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake

LINE_FIELDS = (
    "agency",
    "service",
    "period",
    "area",
    "cost_type",
    "theme",
    "prevention_or_response",
    "focus",
)
# A drill-down's value for a field left blank, such as the area of a line not placed in a neighbourhood.
NOT_GIVEN = "(not given)"
LINE_ORDER = (
    "agency NULLS LAST, theme NULLS LAST, period NULLS LAST, area NULLS LAST, service NULLS LAST, "
    "cost_type NULLS LAST, amount DESC, prevention_or_response NULLS LAST, focus NULLS LAST, source NULLS LAST"
)
# Pounds to the penny: each line is rounded to pennies once, and every sum is exact from there.
PENNIES = "DECIMAL(18, 2)"
ZERO = Decimal("0.00")

_FINANCIAL_YEAR = re.compile(r"^(?:FY\s*)?(\d{4})\s*[-/]\s*(\d{2}|\d{4})$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-\d{2})?$")
FIRST_MONTH_OF_FINANCIAL_YEAR = 4  # April


# ---------------------------------------------------------------- what the count gives


@dataclass(frozen=True)
class Neighbourhood:
    """A neighbourhood as the count needs it: its code, name and population estimate (None when unknown)."""

    code: str
    name: str
    residents: int | None


@dataclass(frozen=True)
class Total:
    """Money spent under one name (an agency, a theme, a year); `name` is None where the lines leave it blank."""

    name: str | None
    amount: Decimal
    lines: int


@dataclass(frozen=True)
class Cell:
    """What one agency spent on one theme."""

    agency: str | None
    theme: str | None
    amount: Decimal
    lines: int


@dataclass(frozen=True)
class AreaSpend:
    """Money spent in one neighbourhood. `code` None holds the lines that are not placed; `name` None a code the
    place's geography does not hold."""

    code: str | None
    name: str | None
    residents: int | None
    amount: Decimal
    lines: int

    @property
    def placed(self) -> bool:
        return self.code is not None

    @property
    def per_head(self) -> Decimal | None:
        """Pounds per resident, unrounded; None where the population is not known (or the lines not placed)."""
        if not self.placed or not self.residents:
            return None
        return self.amount / self.residents


@dataclass(frozen=True)
class ThemeShare:
    """A theme's spend split by whether it prevents need or responds to it; `unclassified` is neither."""

    theme: str | None
    prevention: Decimal
    response: Decimal
    unclassified: Decimal

    @property
    def amount(self) -> Decimal:
        return self.prevention + self.response + self.unclassified

    @property
    def share(self) -> Decimal | None:
        """The prevention share of the theme's spend, 0 to 1; None where it means nothing: nothing spent, or
        credits making a part negative."""
        parts = (self.prevention, self.response, self.unclassified)
        if self.amount <= 0 or any(part < 0 for part in parts):
            return None
        return self.prevention / self.amount


@dataclass(frozen=True)
class YearTotal:
    """One financial year's spend (or a period that is not a financial year, as written)."""

    year: str | None
    amount: Decimal
    prevention: Decimal
    lines: int

    @property
    def prevention_share(self) -> Decimal | None:
        if self.amount <= 0 or self.prevention < 0 or self.prevention > self.amount:
            return None
        return self.prevention / self.amount


@dataclass(frozen=True)
class Count:
    """The Total Place count of one year (or of every year, `year` None)."""

    year: str | None
    amount: Decimal
    lines: int
    cells: list[Cell]
    agencies: list[Total]
    themes: list[Total]
    areas: list[AreaSpend]
    prevention: list[ThemeShare]
    years: list[YearTotal]  # every year, whichever is counted: the trend
    residents: int | None  # the place's population: None unless every neighbourhood's is known

    @property
    def per_head(self) -> Decimal | None:
        return self.amount / self.residents if self.residents else None

    @property
    def not_placed(self) -> AreaSpend | None:
        return next((area for area in self.areas if not area.placed), None)


@dataclass(frozen=True)
class LineFilter:
    """Which lines to show: each field None for any value, NOT_GIVEN for a blank one. `period` matches a line's
    period as written or its financial year, so "2025-26" finds the monthly lines of that year too."""

    agency: str | None = None
    theme: str | None = None
    period: str | None = None
    area: str | None = None

    def given(self) -> dict[str, str]:
        return {name: value for name, value in vars(self).items() if value is not None}


@dataclass(frozen=True)
class Line:
    source: str | None
    agency: str | None
    service: str | None
    period: str | None
    amount: Decimal
    area: str | None
    cost_type: str | None
    theme: str | None
    prevention_or_response: str | None
    focus: str | None


@dataclass(frozen=True)
class LinePage:
    """One page of the lines a filter matches, with how many match and what they add up to."""

    lines: list[Line]
    page: int
    pages: int
    size: int
    matched: int
    amount: Decimal

    @property
    def first(self) -> int:
        return (self.page - 1) * self.size + 1 if self.lines else 0


@dataclass(frozen=True)
class Cube:
    """The lines read once into a connection (see read_cube), and the years they fall in, earliest first."""

    connection: duckdb.DuckDBPyConnection
    years: list[str]


@dataclass
class PlaceSpend:
    """The place's current spend lines in a DuckDB connection, and its neighbourhoods."""

    connection: duckdb.DuckDBPyConnection
    neighbourhoods: list[Neighbourhood] = field(default_factory=list)


# ---------------------------------------------------------------- financial years


def financial_year(period: str | None) -> str | None:
    """The financial year a period falls in, written "2025-26": from a financial year in any of the usual
    spellings ("2025-26", "2025/26", "2025-2026", "FY2025-26") or a month ("2025-07", "2026-03-31"); None for
    anything else. A period that spells both ("2001-02") is taken as the financial year."""
    if period is None:
        return None
    text = period.strip()
    found = _FINANCIAL_YEAR.match(text)
    if found:
        start, end = int(found.group(1)), int(found.group(2))
        following = start + 1
        if end == following or (end < 100 and end == following % 100):
            return _financial_year_label(start)
    found = _MONTH.match(text)
    if found:
        year, month = int(found.group(1)), int(found.group(2))
        if 1 <= month <= 12:
            return _financial_year_label(year if month >= FIRST_MONTH_OF_FINANCIAL_YEAR else year - 1)
    return None


def year_of(period: str | None) -> str | None:
    """The year a line is counted in: its financial year, or its period as written when that is not one, so a
    line is never lost from the trend."""
    return financial_year(period) or (period.strip() if period and period.strip() else None)


def _financial_year_label(start: int) -> str:
    return f"{start}-{(start + 1) % 100:02d}"


# ---------------------------------------------------------------- the count


def read_cube(connection: duckdb.DuckDBPyConnection) -> Cube:
    """The one pass over the lines: their pennies summed by period, agency, theme, area and prevention or
    response into a temporary table of the connection (replacing any cube read before), each period's year
    beside it, worked out once per distinct period rather than once per line."""
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE total_place_cells AS
        SELECT period, agency, theme, area, prevention_or_response,
               sum(amount) AS amount, count(*) AS lines
        FROM {_lines_from(connection)} AS line
        GROUP BY ALL
        """  # noqa: S608 - only our own column names are interpolated
    )
    periods = [
        row[0] for row in connection.execute("SELECT DISTINCT period FROM total_place_cells").fetchall()
    ]
    years = {period: year_of(period) for period in periods}
    connection.execute("CREATE OR REPLACE TEMP TABLE total_place_years (period VARCHAR, year VARCHAR)")
    if years:
        connection.executemany("INSERT INTO total_place_years VALUES (?, ?)", list(years.items()))
    connection.execute(
        """
        CREATE OR REPLACE TEMP VIEW total_place_cube AS
        SELECT c.*, y.year FROM total_place_cells c
        JOIN total_place_years y ON c.period IS NOT DISTINCT FROM y.period
        """
    )
    return Cube(connection, sorted({year for year in years.values() if year is not None}))


def count(cube: Cube, neighbourhoods: Sequence[Neighbourhood], *, year: str | None = None) -> Count:
    """The Total Place count of one year's lines, or every year's when `year` is None, summed from the cube."""
    connection = cube.connection
    where, parameters = ("WHERE year IS NOT DISTINCT FROM ?", [year]) if year is not None else ("", [])
    amount, lines = _one(
        connection,
        f"SELECT sum(amount), sum(lines) FROM total_place_cube {where}",  # noqa: S608 - our own filter
        parameters,
    )
    return Count(
        year=year,
        amount=_money(amount),
        lines=int(lines or 0),
        cells=[
            Cell(agency, theme, _money(total), int(n))
            for agency, theme, total, n in _grouped(connection, ("agency", "theme"), where, parameters)
        ],
        agencies=_totals(connection, "agency", where, parameters),
        themes=_totals(connection, "theme", where, parameters),
        areas=_areas(connection, neighbourhoods, where, parameters),
        prevention=_prevention(connection, where, parameters),
        years=_years(connection),
        residents=_population(neighbourhoods),
    )


def _grouped(
    connection: duckdb.DuckDBPyConnection, names: Sequence[str], where: str, parameters: list[Any]
) -> list[tuple[Any, ...]]:
    columns = ", ".join(names)
    return connection.execute(
        f"""
        SELECT {columns}, sum(amount), sum(lines) FROM total_place_cube {where}
        GROUP BY {columns} ORDER BY sum(amount) DESC, {columns} NULLS LAST
        """,  # noqa: S608 - only our own column names are interpolated
        parameters,
    ).fetchall()


def _totals(
    connection: duckdb.DuckDBPyConnection, name: str, where: str, parameters: list[Any]
) -> list[Total]:
    return [
        Total(value, _money(amount), int(lines))
        for value, amount, lines in _grouped(connection, (name,), where, parameters)
    ]


def _areas(
    connection: duckdb.DuckDBPyConnection,
    neighbourhoods: Sequence[Neighbourhood],
    where: str,
    parameters: list[Any],
) -> list[AreaSpend]:
    """Every neighbourhood (nothing spent is £0), then codes the geography does not hold, then the lines that
    are not placed: every line is in exactly one row."""
    spent = {
        area: (amount, lines) for area, amount, lines in _grouped(connection, ("area",), where, parameters)
    }
    known = {one.code for one in neighbourhoods}
    rows = [
        AreaSpend(one.code, one.name, one.residents, *_spent(spent.get(one.code)))
        for one in sorted(neighbourhoods, key=lambda one: one.code)
    ]
    rows += [
        AreaSpend(code, None, None, *_spent(found))
        for code, found in sorted(spent.items(), key=lambda item: str(item[0]))
        if code is not None and code not in known
    ]
    if None in spent:
        rows.append(AreaSpend(None, None, None, *_spent(spent[None])))
    return rows


def _spent(found: tuple[Any, Any] | None) -> tuple[Decimal, int]:
    return (ZERO, 0) if found is None else (_money(found[0]), int(found[1]))


def _prevention(connection: duckdb.DuckDBPyConnection, where: str, parameters: list[Any]) -> list[ThemeShare]:
    rows = connection.execute(
        f"""
        SELECT theme,
               coalesce(sum(amount) FILTER (WHERE prevention_or_response = 'prevention'), 0),
               coalesce(sum(amount) FILTER (WHERE prevention_or_response = 'response'), 0),
               coalesce(sum(amount) FILTER (
                   WHERE prevention_or_response IS NULL
                      OR prevention_or_response NOT IN ('prevention', 'response')), 0)
        FROM total_place_cube {where}
        GROUP BY theme ORDER BY sum(amount) DESC, theme NULLS LAST
        """,  # noqa: S608 - only our own filter is interpolated
        parameters,
    ).fetchall()
    return [ThemeShare(theme, _money(p), _money(r), _money(u)) for theme, p, r, u in rows]


def _years(connection: duckdb.DuckDBPyConnection) -> list[YearTotal]:
    rows = connection.execute(
        """
        SELECT year, sum(amount),
               coalesce(sum(amount) FILTER (WHERE prevention_or_response = 'prevention'), 0), sum(lines)
        FROM total_place_cube GROUP BY year ORDER BY year NULLS LAST
        """
    ).fetchall()
    return [YearTotal(year, _money(amount), _money(p), int(n)) for year, amount, p, n in rows]


def _population(neighbourhoods: Sequence[Neighbourhood]) -> int | None:
    if not neighbourhoods or any(one.residents is None for one in neighbourhoods):
        return None
    return sum(one.residents or 0 for one in neighbourhoods)


# ---------------------------------------------------------------- the lines behind a figure


def lines(
    connection: duckdb.DuckDBPyConnection, where: LineFilter, *, page: int = 1, size: int = 50
) -> LinePage:
    """One page of the lines a filter matches, ordered by agency, theme, period, area, service, cost type and
    amount (largest first); a page past the last gives the last."""
    lines_from = _lines_from(connection)
    condition, parameters = _condition(connection, where, lines_from)
    matched, amount = _one(
        connection,
        f"SELECT count(*), sum(amount) FROM {lines_from} AS line WHERE {condition}",  # noqa: S608
        parameters,
    )
    pages = max(1, -(-int(matched) // size))
    page = min(max(page, 1), pages)
    rows = connection.execute(
        f"""
        SELECT source, agency, service, period, amount, area, cost_type, theme, prevention_or_response, focus
        FROM {lines_from} AS line WHERE {condition}
        ORDER BY {LINE_ORDER}
        LIMIT ? OFFSET ?
        """,  # noqa: S608 - only our own column names and placeholders are interpolated
        [*parameters, size, (page - 1) * size],
    ).fetchall()
    return LinePage([Line(*row) for row in rows], page, pages, size, int(matched), _money(amount))


def lines_table(connection: duckdb.DuckDBPyConnection, where: LineFilter = LineFilter()) -> pa.Table:
    """Every line a filter matches, in the drill-down's order, as Arrow (amounts as decimals)."""
    table: pa.Table = lines_relation(connection, where).to_arrow_table()
    return table


def lines_relation(
    connection: duckdb.DuckDBPyConnection, where: LineFilter = LineFilter()
) -> duckdb.DuckDBPyRelation:
    """Every line a filter matches, in the drill-down's order and the standard's columns (amount after period),
    as a DuckDB relation: read as it is consumed, so it can be written out without being held whole."""
    lines_from = _lines_from(connection)
    condition, parameters = _condition(connection, where, lines_from)
    return connection.sql(
        f"""
        SELECT {", ".join(LINE_FIELDS[:3])}, amount, {", ".join(LINE_FIELDS[3:])}
        FROM {lines_from} AS line WHERE {condition}
        ORDER BY {LINE_ORDER}
        """,  # noqa: S608 - only our own column names and placeholders are interpolated
        params=parameters,
    )


def _condition(
    connection: duckdb.DuckDBPyConnection, where: LineFilter, lines_from: str
) -> tuple[str, list[Any]]:
    terms, parameters = ["TRUE"], []
    for name in ("agency", "theme", "area"):
        value = getattr(where, name)
        if value == NOT_GIVEN:
            terms.append(f"{name} IS NULL")
        elif value is not None:
            terms.append(f"{name} = ?")
            parameters.append(value)
    if where.period == NOT_GIVEN:
        terms.append("period IS NULL")
    elif where.period is not None:
        periods = [
            period
            for (period,) in connection.execute(
                f"SELECT DISTINCT period FROM {lines_from} AS line"  # noqa: S608
            ).fetchall()
            if period == where.period or year_of(period) == where.period
        ]
        terms.append("list_contains(?, period)")
        parameters.append(periods)
    return " AND ".join(terms), parameters


# ---------------------------------------------------------------- reading the lines


def _lines_from(connection: duckdb.DuckDBPyConnection) -> str:
    """The spend lines as a subquery in the standard's columns, amounts in pennies: a field no source mapped is
    blank, and a connection without any spend lines gives none."""
    found = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'spend_line'"
    ).fetchall()
    present = (
        {row[0] for row in connection.execute("DESCRIBE spend_line").fetchall()} if found[0][0] else set()
    )
    columns = [
        f"CAST({name} AS VARCHAR) AS {name}" if name in present else f"CAST(NULL AS VARCHAR) AS {name}"
        for name in ("source", *LINE_FIELDS)
    ]
    listed = ", ".join(columns)
    if "amount" not in present:
        return f"(SELECT {listed}, CAST(NULL AS {PENNIES}) AS amount WHERE FALSE)"
    return f"(SELECT {listed}, CAST(amount AS {PENNIES}) AS amount FROM spend_line)"  # noqa: S608


def _one(connection: duckdb.DuckDBPyConnection, sql: str, parameters: list[Any]) -> tuple[Any, ...]:
    found: tuple[Any, ...] = connection.execute(sql, parameters).fetchall()[0]
    return found


def _money(value: Any) -> Decimal:
    return ZERO if value is None else Decimal(value).quantize(ZERO)


# ---------------------------------------------------------------- the place's spend


@contextmanager
def place_spend(db: Session, lake: Lake) -> Iterator[PlaceSpend]:
    """The place's current spend lines (the latest batch of each source's lines) and its neighbourhoods."""
    neighbourhoods = [
        Neighbourhood(one.code, one.name, one.residents) for one in geography.neighbourhoods(db)
    ]
    with lake.connect(sources.lake_batches(db)) as connection:
        yield PlaceSpend(connection, neighbourhoods)
