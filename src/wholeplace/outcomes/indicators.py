"""The computations that make a measure's values from the linked data, registered by the key a definition names.
Each has its parameters (checked, with defaults), says in plain words what it counts, and computes with DuckDB
over Arrow tables: values by period (financial years or calendar quarters), for each neighbourhood and for the
whole place, and by age band where asked. Pure: data in, values out, no database of ours and no web, so that it
can be tested exhaustively and run from a notebook.

Rules every computation keeps:
- A person's neighbourhood is that of the postcode on their most recent record that has one; a record is as
  recent as its `updated_at` or its latest dated event or involvement, and otherwise the day its extract was
  loaded. Their date of birth comes from their most recent record that gives one.
- The same person's events of one type on the same day count once: two records of one incident are not two.
- A share is given per `per` people (100: a percentage); a value is rounded half up to four decimal places."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]

from wholeplace.coordination.service.closure import ClosedNeed
from wholeplace.outcomes import household_outcomes, periods
from wholeplace.outcomes.household_outcomes import BetterOff
from wholeplace.outcomes.periods import Period, PeriodKind
from wholeplace.outcomes.schemas import ComputedValue
from wholeplace.outcomes.small_numbers import SMALLEST_SHOWN, withhold_small

RECORDS = pa.schema(
    [
        ("source", pa.string()),
        ("record_id", pa.string()),
        ("person_id", pa.string()),
        ("household_id", pa.string()),
        ("postcode", pa.string()),
        ("neighbourhood", pa.string()),
        ("date_of_birth", pa.date32()),
        ("sex", pa.string()),
        ("updated_at", pa.date32()),
        ("loaded_on", pa.date32()),
    ]
)
EVENTS = pa.schema(
    [
        ("source", pa.string()),
        ("record_id", pa.string()),
        ("type", pa.string()),
        ("date", pa.date32()),
        ("role", pa.string()),
    ]
)
INVOLVEMENTS = pa.schema(
    [
        ("source", pa.string()),
        ("record_id", pa.string()),
        ("type", pa.string()),
        ("start", pa.date32()),
        ("end", pa.date32()),
    ]
)
NEIGHBOURHOODS = pa.schema([("code", pa.string()), ("residents", pa.int64())])
CLOSED_NEEDS = pa.schema(
    [
        ("plan_id", pa.string()),
        ("closed_on", pa.date32()),
        ("outcome_area", pa.string()),
        ("result", pa.string()),
        ("sustainment", pa.string()),
        ("agencies", pa.list_(pa.string())),
    ]
)

PLACES = Decimal("0.0001")
FINANCIAL_YEAR, QUARTER = "financial_year", "quarter"
PERIOD_KINDS = {FINANCIAL_YEAR: PeriodKind.FINANCIAL_YEAR, QUARTER: PeriodKind.QUARTER}
PERIOD_MONTHS = {FINANCIAL_YEAR: 12, QUARTER: 3}
EVERYONE, AGE_BAND = "everyone", "age_band"
AGE_BANDS = ((5, "0-4"), (11, "5-10"), (16, "11-15"), (18, "16-17"), (25, "18-24"), (65, "25-64"))
OLDEST_BAND = "65+"
UNKNOWN_AGE = "age unknown"
LONGEST_TYPE = 100
AREA = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
TYPE_FORBIDS = re.compile(r"[,;:=\n]")


# ---------------------------------------------------------------- the data the computations read


@dataclass(frozen=True)
class LinkedData:
    """What the computations read: every linked person record with its person and household (`household_id`
    empty for someone in none), the neighbourhood its postcode lies in, its date of birth and sex, the dates that say
    how recent it is; the records' events and involvements; the place's neighbourhoods with their residents
    (the population estimate rates per head divide by; empty where unknown); and the needs of the closed shared
    plans with the agencies that worked in each (no household: what the households roll up to)."""

    records: pa.Table
    events: pa.Table
    involvements: pa.Table
    neighbourhoods: pa.Table
    closed_needs: pa.Table = field(default_factory=CLOSED_NEEDS.empty_table)

    @classmethod
    def of(
        cls,
        *,
        records: Iterable[Mapping[str, Any]] = (),
        events: Iterable[Mapping[str, Any]] = (),
        involvements: Iterable[Mapping[str, Any]] = (),
        neighbourhoods: Iterable[Mapping[str, Any]] = (),
        closed_needs: Iterable[Mapping[str, Any]] = (),
    ) -> LinkedData:
        """From rows given as dictionaries; a column a row leaves out is empty."""
        return cls(
            records=_rows(records, RECORDS),
            events=_rows(events, EVENTS),
            involvements=_rows(involvements, INVOLVEMENTS),
            neighbourhoods=_rows(neighbourhoods, NEIGHBOURHOODS),
            closed_needs=_rows(closed_needs, CLOSED_NEEDS),
        )

    @classmethod
    def conformed(
        cls,
        *,
        records: pa.Table,
        events: pa.Table,
        involvements: pa.Table,
        neighbourhoods: pa.Table,
        closed_needs: pa.Table | None = None,
    ) -> LinkedData:
        """From tables that hold at least the columns needed (missing ones are taken as empty), cast to the
        types the computations expect."""
        return cls(
            records=_conform(records, RECORDS),
            events=_conform(events, EVENTS),
            involvements=_conform(involvements, INVOLVEMENTS),
            neighbourhoods=_conform(neighbourhoods, NEIGHBOURHOODS),
            closed_needs=CLOSED_NEEDS.empty_table()
            if closed_needs is None
            else _conform(closed_needs, CLOSED_NEEDS),
        )


def _rows(rows: Iterable[Mapping[str, Any]], schema: pa.Schema) -> pa.Table:
    listed = list(rows)
    return pa.table(
        {field.name: pa.array([row.get(field.name) for row in listed], field.type) for field in schema},
        schema=schema,
    )


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = [
        table.column(field.name).cast(field.type)
        if field.name in table.column_names
        else pa.nulls(table.num_rows, field.type)
        for field in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


@contextmanager
def workspace(data: LinkedData) -> Iterator[duckdb.DuckDBPyConnection]:
    """The linked data in DuckDB with each person resolved once (`people`: household, neighbourhood, date of
    birth) and their events and involvements (`person_events`, `person_involvements`), for any number of
    computations."""
    connection = duckdb.connect()
    try:
        connection.execute("SET enable_progress_bar = false")
        for name, table in (
            ("records", data.records),
            ("events", data.events),
            ("involvements", data.involvements),
            ("neighbourhoods", data.neighbourhoods),
            ("closed_needs", data.closed_needs),
        ):
            connection.register(name, table)
        connection.execute(_RESOLVE_PEOPLE)
        yield connection
    finally:
        connection.close()


_RESOLVE_PEOPLE = """
CREATE TEMP TABLE record_seen AS
WITH activity AS (
    SELECT source, record_id, max(day) AS last_active FROM (
        SELECT source, record_id, "date" AS day FROM events
        UNION ALL SELECT source, record_id, "start" FROM involvements
        UNION ALL SELECT source, record_id, "end" FROM involvements
    ) WHERE day IS NOT NULL GROUP BY source, record_id
)
SELECT r.*, coalesce(greatest(r.updated_at, a.last_active), r.loaded_on) AS seen_on
FROM records r LEFT JOIN activity a USING (source, record_id);

CREATE TEMP TABLE people AS
WITH ranked AS (
    SELECT *,
        row_number() OVER (PARTITION BY person_id, postcode IS NULL
                           ORDER BY seen_on DESC NULLS LAST, source, record_id) AS by_postcode,
        row_number() OVER (PARTITION BY person_id, date_of_birth IS NULL
                           ORDER BY seen_on DESC NULLS LAST, source, record_id) AS by_birth
    FROM record_seen
)
SELECT person_id,
    max(household_id) AS household_id,
    max(neighbourhood) FILTER (WHERE postcode IS NOT NULL AND by_postcode = 1) AS neighbourhood,
    max(date_of_birth) FILTER (WHERE date_of_birth IS NOT NULL AND by_birth = 1) AS date_of_birth
FROM ranked GROUP BY person_id;

CREATE TEMP TABLE person_events AS
SELECT r.person_id, e.type, e."date", lower(trim(e.role)) AS role
FROM events e JOIN records r USING (source, record_id) WHERE e."date" IS NOT NULL;

CREATE TEMP TABLE person_involvements AS
SELECT r.person_id, i.type, i."start", i."end" FROM involvements i JOIN records r USING (source, record_id);
"""


# ---------------------------------------------------------------- parameters


class ParameterError(ValueError):
    """A key or parameters that no computation accepts; `parameter` names the one at fault."""

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True)
class Parameter:
    """One parameter of a computation: `read` checks a value as kept (JSON) or as typed (text) and returns it
    as kept, or raises ValueError saying what is wrong; `as_text` writes it as a person types it."""

    name: str
    label: str
    hint: str
    default: Any
    read: Callable[[Any], Any]
    as_text: Callable[[Any], str] = str


def _whole_number(low: int, high: int) -> Callable[[Any], int]:
    def read(value: Any) -> int:
        text = value.strip().replace(",", "") if isinstance(value, str) else None
        if text is not None and text.isdigit():
            value = int(text)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"give a whole number from {low:,} to {high:,}")
        if not low <= value <= high:
            raise ValueError(f"give a whole number from {low:,} to {high:,}, not {value:,}")
        return value

    return read


def _with_thousands(value: Any) -> str:
    return f"{value:,}"


def _type_name(value: Any) -> str:
    """An event or involvement type as the lake holds it: codes such as `domestic_abuse_incident`, or a
    source's own words such as `Home care`."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("give a type, such as domestic_abuse_incident")
    text = " ".join(value.split())
    if len(text) > LONGEST_TYPE or TYPE_FORBIDS.search(text):
        raise ValueError(f"a type has at most {LONGEST_TYPE} characters and no , ; : or =")
    return text


def _role(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    return _type_name(value).lower()


def _choice(*options: str) -> Callable[[Any], str]:
    def read(value: Any) -> str:
        text = value.strip().lower().replace(" ", "_") if isinstance(value, str) else value
        if text not in options:
            raise ValueError("choose one of " + ", ".join(options))
        return str(text)

    return read


def _needs(value: Any) -> dict[str, list[str]]:
    """Need areas and the event or involvement types that signal each: kept as {area: [type, ...]}, typed as
    "area: type, type; area: type" (a semicolon or a new line between areas)."""
    if isinstance(value, str):
        value = _needs_from_text(value)
    if not isinstance(value, Mapping) or not value:
        raise ValueError("give at least one need area with its types, such as housing: eviction")
    needs: dict[str, list[str]] = {}
    for area, types in value.items():
        if not isinstance(area, str) or not AREA.match(area.strip()):
            raise ValueError(f"{area!r} is not a need area: lower-case letters, digits and underscores")
        listed = [types] if isinstance(types, str) else types
        if not isinstance(listed, list) or not listed:
            raise ValueError(f"give the types that signal {area}")
        needs[area.strip()] = list(dict.fromkeys(_type_name(one) for one in listed))
    return needs


def _needs_from_text(text: str) -> dict[str, list[str]]:
    needs: dict[str, list[str]] = {}
    for part in re.split(r"[;\n]", text):
        if not part.strip():
            continue
        area, colon, types = part.partition(":")
        if not colon:
            raise ValueError(f"write {part.strip()!r} as area: type, type")
        needs[area.strip()] = [one for one in (piece.strip() for piece in types.split(",")) if one]
    return needs


def _needs_as_text(needs: Mapping[str, Sequence[str]]) -> str:
    return "; ".join(f"{area}: {', '.join(types)}" for area, types in needs.items())


PERIOD = Parameter(
    "period",
    "Periods",
    "financial_year (April to March) or quarter (calendar quarters)",
    FINANCIAL_YEAR,
    _choice(FINANCIAL_YEAR, QUARTER),
)
GROUP = Parameter(
    "group",
    "Groups",
    "everyone, or age_band: also by age at the start of each period",
    EVERYONE,
    _choice(EVERYONE, AGE_BAND),
)
PER_HUNDRED = Parameter(
    "per",
    "Per",
    "the share per this many people: 100 for a percentage",
    100,
    _whole_number(1, 1_000_000),
    _with_thousands,
)


# ---------------------------------------------------------------- the registry


Run = Callable[[duckdb.DuckDBPyConnection, Mapping[str, Any]], list[ComputedValue]]


@dataclass(frozen=True)
class Indicator:
    """A computation a definition can name by its key."""

    key: str
    title: str
    words: str  # what it counts, with {parameter} filled from the parameters as text
    parameters: tuple[Parameter, ...]
    run: Run
    # Parameters to describe the computation with before a measure gives its own, for those with no default.
    example: Mapping[str, Any] = field(default_factory=dict)

    def checked(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters checked, each missing one at its default."""
        known = {parameter.name: parameter for parameter in self.parameters}
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise ParameterError(
                f"{self.key} has no parameter {unknown[0]!r}; its parameters are {', '.join(known)}.",
                parameter=unknown[0],
            )
        checked: dict[str, Any] = {}
        for parameter in self.parameters:
            value = given.get(parameter.name, parameter.default)
            try:
                checked[parameter.name] = parameter.read(value)
            except ValueError as error:
                raise ParameterError(f"{parameter.label}: {error}.", parameter=parameter.name) from error
        return checked

    def describe(self, parameters: Mapping[str, Any]) -> str:
        """What the computation counts with these parameters, in plain words."""
        checked = self.checked(parameters)
        shown = {parameter.name: parameter.as_text(checked[parameter.name]) for parameter in self.parameters}
        return self.words.format(
            **shown,
            periods="financial year" if checked.get("period") == FINANCIAL_YEAR else "calendar quarter",
            groups=" and by age band" if checked.get("group") == AGE_BAND else "",
            role_words=f" as {checked['role']}" if checked.get("role") else "",
            area_words=f" in {', '.join(checked['areas'])}" if checked.get("areas") else "",
        )

    def as_text(self, parameters: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Each parameter's name and value as a person types it."""
        checked = self.checked(parameters)
        return [(parameter.name, parameter.as_text(checked[parameter.name])) for parameter in self.parameters]


def indicator(key: str) -> Indicator:
    """The computation registered under the key, or a ParameterError naming the keys there are."""
    found = REGISTRY.get(key.strip())
    if found is None:
        raise ParameterError(
            f"No computation is registered as {key.strip()!r}; the keys are {', '.join(REGISTRY)}.",
            parameter="key",
        )
    return found


def parameters_from_lines(lines: Iterable[str]) -> dict[str, str]:
    """Parameters typed as "name = value", one a line; blank lines are skipped."""
    given: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        name, equals, value = line.partition("=")
        name = name.strip()
        if not equals or not name:
            raise ParameterError(f"Line {number}, {line.strip()!r}, is not written as name = value.")
        if name in given:
            raise ParameterError(f"The parameter {name!r} is given twice.", parameter=name)
        given[name] = value.strip()
    return given


def compute(
    connection: duckdb.DuckDBPyConnection,
    key: str,
    parameters: Mapping[str, Any],
    *,
    smallest_shown: int = SMALLEST_SHOWN,
) -> list[ComputedValue]:
    """The values the computation under the key makes from a workspace, in period order: for the whole place
    first, then each neighbourhood by code, then by group; those resting on too few withheld (small_numbers)."""
    found = indicator(key)
    values = withhold_small(found.run(connection, found.checked(parameters)), smallest_shown)
    return sorted(values, key=lambda value: (value.period, value.neighbourhood or "", value.group or ""))


# ---------------------------------------------------------------- shared pieces of the computations


def _period_start(kind: str, day: str) -> str:
    if kind == QUARTER:
        return f"date_trunc('quarter', {day})::DATE"
    return f"make_date(year({day}) - (month({day}) < 4)::INTEGER, 4, 1)"


def _age_band(born: str, on: str) -> str:
    """The age band of someone born on `born` on the day `on`, as SQL."""
    age = f"(year({on}) - year({born}) - (strftime({on}, '%m%d') < strftime({born}, '%m%d'))::INTEGER)"
    bands = " ".join(f"WHEN {age} < {below} THEN '{label}'" for below, label in AGE_BANDS)
    return f"CASE WHEN {born} IS NULL THEN '{UNKNOWN_AGE}' {bands} ELSE '{OLDEST_BAND}' END"


def _group(parameters: Mapping[str, Any], born: str, on: str) -> str:
    return _age_band(born, on) if parameters["group"] == AGE_BAND else "NULL::VARCHAR"


def _periods_between(kind: str, first: date, last: date) -> list[Period]:
    """Every period of the kind from the one holding `first` to the one holding `last`."""
    period_kind = PERIOD_KINDS[kind]
    start = periods.parse(periods.text_of(period_kind, _start_of(kind, first)))
    end = _start_of(kind, last)
    found = [start]
    while found[-1].start < end:
        found.extend(periods.following(found[-1], 1))
    return found


def _start_of(kind: str, day: date) -> date:
    if kind == QUARTER:
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year - (day.month < periods.FINANCIAL_YEAR_STARTS), periods.FINANCIAL_YEAR_STARTS, 1)


def _with_periods(connection: duckdb.DuckDBPyConnection, kind: str, first: date, last: date) -> list[Period]:
    """Register the periods from `first` to `last` as `period_list` (period_start, period_end: the day after)."""
    listed = _periods_between(kind, first, last)
    connection.register(
        "period_list",
        pa.table(
            {
                "period_start": pa.array([period.start for period in listed], pa.date32()),
                "period_end": pa.array(
                    [periods.following(period, 1)[0].start for period in listed], pa.date32()
                ),
            }
        ),
    )
    return listed


def _date_range(
    connection: duckdb.DuckDBPyConnection, query: str, arguments: Sequence[Any]
) -> tuple[date, date] | None:
    first, last = connection.execute(query, list(arguments)).fetchall()[0]
    return None if first is None else (first, last)


def _tally(
    connection: duckdb.DuckDBPyConnection,
    units: str,
    arguments: Sequence[Any],
    *,
    sums: str,
    grouped: bool,
) -> list[tuple[date, str | None, str | None, int, int]]:
    """Sum `units` (rows of period_start, neighbourhood, grp and the two numbers `sums` adds up) for the whole
    place, each neighbourhood, and, when grouped, each group of each: (period start, neighbourhood or None,
    group or None, numerator, denominator)."""
    sets = ["(period_start)", "(period_start, neighbourhood)"]
    if grouped:
        sets += ["(period_start, grp)", "(period_start, neighbourhood, grp)"]
    rows = connection.execute(
        f"""
        SELECT period_start,
            CASE WHEN GROUPING(neighbourhood) = 0 THEN neighbourhood END,
            {"CASE WHEN GROUPING(grp) = 0 THEN grp END" if grouped else "NULL::VARCHAR"},
            {sums}
        FROM ({units}) units
        GROUP BY GROUPING SETS ({", ".join(sets)})
        HAVING GROUPING(neighbourhood) = 1 OR neighbourhood IS NOT NULL
        """,  # noqa: S608 - the SQL is ours; values are parameters
        list(arguments),
    ).fetchall()
    return [(start, place, group, int(top), int(bottom)) for start, place, group, top, bottom in rows]


def _shares(
    rows: Iterable[tuple[date, str | None, str | None, int, int]], kind: str, per: int
) -> list[ComputedValue]:
    return [
        ComputedValue(
            period=_period_text(kind, start),
            value=_ratio(numerator, denominator, per),
            neighbourhood=place,
            group=group,
            count=numerator,
            base=denominator,
        )
        for start, place, group, numerator, denominator in rows
        if denominator > 0
    ]


def _ratio(numerator: int, denominator: int, per: int) -> Decimal:
    return (Decimal(numerator) * per / Decimal(denominator)).quantize(PLACES, rounding=ROUND_HALF_UP)


def _period_text(kind: str, start: date) -> str:
    return periods.text_of(PERIOD_KINDS[kind], start)


# ---------------------------------------------------------------- share of people with an event


def share_of_people_with_event(
    connection: duckdb.DuckDBPyConnection, parameters: Mapping[str, Any]
) -> list[ComputedValue]:
    """Of the people with a record in a source (pupils on roll: a record in schools), the share who had an
    event of the type in each period, from the first period the event is recorded in for them to the last.
    The source's people are counted in every one of those periods: a source sends the people it holds now."""
    kind, event_type, source = parameters["period"], parameters["event_type"], parameters["population_source"]
    population = "SELECT DISTINCT person_id FROM records WHERE source = ?"
    hits = f"""
        SELECT DISTINCT person_id, {_period_start(kind, '"date"')} AS period_start FROM person_events
        WHERE type = ? AND person_id IN ({population})"""  # noqa: S608 - our own SQL; values are parameters
    found = _date_range(
        connection,
        f"SELECT min(period_start), max(period_start) FROM ({hits})",  # noqa: S608 - our own SQL
        [event_type, source],
    )
    if found is None:
        return []
    _with_periods(connection, kind, *found)
    units = f"""
        SELECT l.period_start, p.neighbourhood, {_group(parameters, "p.date_of_birth", "l.period_start")} AS grp,
            h.person_id IS NOT NULL AS had_event
        FROM period_list l
        CROSS JOIN (SELECT people.* FROM people WHERE person_id IN ({population})) p
        LEFT JOIN ({hits}) h ON h.person_id = p.person_id AND h.period_start = l.period_start"""  # noqa: S608 - our own SQL; values are parameters
    rows = _tally(
        connection,
        units,
        [source, event_type, source],
        sums="count_if(had_event), count(*)",
        grouped=parameters["group"] == AGE_BAND,
    )
    return _shares(rows, kind, parameters["per"])


# ---------------------------------------------------------------- repeat events


def repeat_events_within(
    connection: duckdb.DuckDBPyConnection, parameters: Mapping[str, Any]
) -> list[ComputedValue]:
    """Of the people with an event of the type (in the role, if one is named) in a period, the share with a
    further one within the months given. An event counts only once its months have passed by the latest event
    of the type recorded: until then a repeat could still come."""
    kind, months = parameters["period"], parameters["months"]
    incidents = """
        SELECT DISTINCT person_id, "date" FROM person_events
        WHERE type = ? AND (? = '' OR role = ?)"""
    units = f"""
        WITH followed AS (
            SELECT person_id, "date", lead("date") OVER (PARTITION BY person_id ORDER BY "date") AS next_date
            FROM ({incidents})
        ),
        eligible AS (
            SELECT person_id, {_period_start(kind, '"date"')} AS period_start,
                coalesce(next_date <= ("date" + INTERVAL ({months}) MONTH)::DATE, false) AS repeated
            FROM followed
            WHERE ("date" + INTERVAL ({months}) MONTH)::DATE
                <= (SELECT max("date") FROM person_events WHERE type = ?)
        ),
        victims AS (
            SELECT person_id, period_start, bool_or(repeated) AS repeated FROM eligible GROUP BY ALL
        )
        SELECT v.period_start, p.neighbourhood, {_group(parameters, "p.date_of_birth", "v.period_start")} AS grp,
            v.repeated
        FROM victims v JOIN people p USING (person_id)"""  # noqa: S608 - our own SQL; values are parameters
    event_type, role = parameters["event_type"], parameters["role"]
    rows = _tally(
        connection,
        units,
        [event_type, role, role, event_type],
        sums="count_if(repeated), count(*)",
        grouped=parameters["group"] == AGE_BAND,
    )
    return _shares(rows, kind, parameters["per"])


# ---------------------------------------------------------------- households with needs


def households_with_needs(
    connection: duckdb.DuckDBPyConnection, parameters: Mapping[str, Any]
) -> list[ComputedValue]:
    """The households with at least the number of needs given in each period: a need is signalled when any
    member has an event of one of its types in the period, or an involvement of one of them open during it.
    The periods run from the first to the last event of any type the data hold. A household lies in the
    neighbourhood most of its members live in (the first by code on a tie); someone in no household is a
    household of their own."""
    kind = parameters["period"]
    found = _date_range(connection, 'SELECT min("date"), max("date") FROM person_events', [])
    if found is None:
        return []
    listed = _with_periods(connection, kind, *found)
    connection.register(
        "need_types",
        pa.table(
            {
                "area": pa.array(
                    [area for area, types in parameters["needs"].items() for _ in types], pa.string()
                ),
                "type": pa.array(
                    [one for types in parameters["needs"].values() for one in types], pa.string()
                ),
            }
        ),
    )
    units = f"""
        WITH members AS (
            SELECT person_id, coalesce(household_id, 'person ' || person_id) AS household, neighbourhood FROM people
        ),
        homes AS (
            SELECT household, neighbourhood FROM (
                SELECT household, neighbourhood, count(*) AS living FROM members
                WHERE neighbourhood IS NOT NULL GROUP BY ALL
            ) QUALIFY row_number() OVER (PARTITION BY household ORDER BY living DESC, neighbourhood) = 1
        ),
        signals AS (
            SELECT e.person_id, t.area, {_period_start(kind, 'e."date"')} AS period_start
            FROM person_events e JOIN need_types t USING (type)
            UNION ALL
            SELECT i.person_id, t.area, l.period_start
            FROM person_involvements i JOIN need_types t USING (type)
            JOIN period_list l ON (i."start" IS NULL OR i."start" < l.period_end)
                AND (i."end" IS NULL OR i."end" >= l.period_start)
        ),
        needs AS (
            SELECT m.household, s.period_start, count(DISTINCT s.area) AS needs
            FROM signals s JOIN members m USING (person_id) GROUP BY ALL
        )
        SELECT n.period_start, h.neighbourhood, NULL::VARCHAR AS grp
        FROM needs n LEFT JOIN homes h USING (household)
        WHERE n.needs >= ?"""  # noqa: S608 - our own SQL; values are parameters
    counts = {
        (start, place): households
        for start, place, _group, households, _ in _tally(
            connection, units, [parameters["at_least"]], sums="count(*), count(*)", grouped=False
        )
    }
    codes = [row[0] for row in connection.execute("SELECT code FROM neighbourhoods ORDER BY code").fetchall()]
    return [
        ComputedValue(
            period=period.text,
            value=Decimal(counts.get((period.start, place), 0)),
            neighbourhood=place,
            count=counts.get((period.start, place), 0),
        )
        for period in listed
        for place in [None, *codes]
    ]


# ---------------------------------------------------------------- events per 1,000 residents


def events_per_thousand(
    connection: duckdb.DuckDBPyConnection, parameters: Mapping[str, Any]
) -> list[ComputedValue]:
    """Events of the type per `per` residents in each period, from the first period the type is recorded in to
    the last: for each neighbourhood with a population estimate, and for the place as those neighbourhoods
    together. Only the events of people living in one of them count, so that the events and the residents are
    of the same people."""
    kind, event_type = parameters["period"], parameters["event_type"]
    placed = "SELECT code, residents FROM neighbourhoods WHERE residents > 0"
    if not connection.execute(placed).fetchall():
        raise ParameterError(
            "The place's neighbourhoods have no population estimates to divide by.", parameter="per"
        )
    found = _date_range(
        connection, 'SELECT min("date"), max("date") FROM person_events WHERE type = ?', [event_type]
    )
    if found is None:
        return []
    _with_periods(connection, kind, *found)
    units = f"""
        WITH counted AS (
            SELECT {_period_start(kind, 'e."date"')} AS period_start, p.neighbourhood, count(*) AS events
            FROM (SELECT DISTINCT person_id, "date" FROM person_events WHERE type = ?) e
            JOIN people p USING (person_id)
            GROUP BY ALL
        )
        SELECT l.period_start, n.code AS neighbourhood, NULL::VARCHAR AS grp,
            coalesce(c.events, 0) AS events, n.residents
        FROM period_list l CROSS JOIN ({placed}) n
        LEFT JOIN counted c ON c.period_start = l.period_start AND c.neighbourhood = n.code"""  # noqa: S608 - our own SQL; values are parameters
    rows = _tally(connection, units, [event_type], sums="sum(events), sum(residents)", grouped=False)
    return _shares(rows, kind, parameters["per"])


# ---------------------------------------------------------------- households rolled up from closed plans


def closed_plans(connection: duckdb.DuckDBPyConnection, parameters: Mapping[str, Any]) -> list[ComputedValue]:
    """Families whose shared plan, with an action of the agency's, closed in each financial year."""
    counted = household_outcomes.plans_closed(_closed_needs(connection), agency=parameters["agency"])
    return [ComputedValue(period=year, value=value, count=int(value)) for year, value in counted.items()]


def closed_plan_outcomes(
    connection: duckdb.DuckDBPyConnection, parameters: Mapping[str, Any]
) -> list[ComputedValue]:
    """The share of closed plans' needs that were better off, among the plans the agency worked in."""
    rule = BetterOff(
        areas=frozenset(parameters["areas"]),
        counted=frozenset(parameters["counted"]),
        sustained_only=parameters["sustained_only"],
    )
    tally = household_outcomes.better_off_tally(
        _closed_needs(connection), agency=parameters["agency"], rule=rule
    )
    return [
        ComputedValue(
            period=year,
            value=household_outcomes.percentage(better_off, counted),
            count=better_off,
            base=counted,
        )
        for year, (better_off, counted) in tally.items()
    ]


def _closed_needs(connection: duckdb.DuckDBPyConnection) -> list[ClosedNeed]:
    return [
        ClosedNeed(
            plan_id=uuid.UUID(row["plan_id"]),
            closed_on=row["closed_on"],
            outcome_area=row["outcome_area"],
            result=row["result"],
            sustainment=row["sustainment"],
            agencies=frozenset(row["agencies"] or ()),
        )
        for row in connection.sql("SELECT * FROM closed_needs").to_arrow_table().to_pylist()
    ]


def _agency_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("give the name of the agency whose programme it is")
    return " ".join(value.split())


def _codes(value: Any) -> list[str]:
    listed = [part for part in re.split(r"[,\s]+", value) if part] if isinstance(value, str) else value
    if not isinstance(listed, list) or not all(isinstance(code, str) and AREA.match(code) for code in listed):
        raise ValueError("give codes such as education, housing, separated by commas")
    return list(dict.fromkeys(listed))


def _results(value: Any) -> list[str]:
    listed = _codes(value)
    if not listed or not set(listed) <= set(household_outcomes.RESULTS):
        raise ValueError("give one or more of " + ", ".join(household_outcomes.RESULTS))
    return listed


def _yes_or_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in {"yes", "no", "true", "false"}:
        raise ValueError("give yes or no")
    return text in {"yes", "true"}


def _codes_as_text(value: Any) -> str:
    return ", ".join(value)


def _yes_or_no_as_text(value: Any) -> str:
    return "yes" if value else "no"


AGENCY_EXAMPLE = {"agency": "the programme's agency"}
AGENCY = Parameter(
    "agency", "Agency", "the agency whose programme worked with the families", "", _agency_name
)


# ---------------------------------------------------------------- what is registered


DEFAULT_NEEDS: dict[str, list[str]] = {
    "education": ["school_exclusion", "persistent_absence"],
    "health": [
        "emergency_attendance",
        "Home care",
        "Reablement",
        "Day care",
        "Direct payment",
        "Residential care",
        "ESA",
    ],
    "substance_use": ["antisocial_behaviour"],
    "childrens_safety": ["concern_for_child", "child_in_need", "child_protection", "looked_after"],
    "crime": ["Community Order", "Licence"],
    "domestic_abuse": ["domestic_abuse_incident"],
    "housing": ["homelessness_application", "eviction"],
    "financial_stability": ["food_bank_visit", "UC", "JSA"],
}

REGISTRY: dict[str, Indicator] = {
    indicator.key: indicator
    for indicator in (
        Indicator(
            "share_of_people_with_event",
            "Share of a source's people with an event",
            "Of the people with a record in {population_source}, how many per {per} had a {event_type} event "
            "in the {periods}, for the place and each neighbourhood{groups}.",
            (
                Parameter(
                    "event_type", "Event type", "the event that counts", "persistent_absence", _type_name
                ),
                Parameter(
                    "population_source",
                    "Source of the people counted",
                    "whose people are counted: schools for pupils on roll",
                    "schools",
                    _type_name,
                ),
                PERIOD,
                GROUP,
                PER_HUNDRED,
            ),
            share_of_people_with_event,
        ),
        Indicator(
            "repeat_events_within",
            "Repeat events within a number of months",
            "Of the people with a {event_type} event{role_words} in the {periods}, how many per {per} had "
            "another within {months} months, for the place and each neighbourhood{groups}.",
            (
                Parameter(
                    "event_type", "Event type", "the event that counts", "domestic_abuse_incident", _type_name
                ),
                Parameter(
                    "role", "Role", "the person's part in it, such as victim; empty for any", "victim", _role
                ),
                Parameter(
                    "months", "Months", "how soon another event counts as a repeat", 12, _whole_number(1, 120)
                ),
                PERIOD,
                GROUP,
                PER_HUNDRED,
            ),
            repeat_events_within,
        ),
        Indicator(
            "households_with_needs",
            "Households with several needs",
            "Households with at least {at_least} of the needs ({needs}) signalled by their members' events or "
            "open involvements in the {periods}, for the place and each neighbourhood.",
            (
                Parameter(
                    "needs",
                    "Needs and their signals",
                    "each need area with the event and involvement types that signal it: area: type, type; ...",
                    DEFAULT_NEEDS,
                    _needs,
                    _needs_as_text,
                ),
                Parameter(
                    "at_least", "At least", "how many needs a household must have", 3, _whole_number(1, 50)
                ),
                PERIOD,
            ),
            households_with_needs,
        ),
        Indicator(
            "events_per_thousand",
            "Events per 1,000 residents",
            "{event_type} events per {per} residents in the {periods}, for the place and each neighbourhood, "
            "by the neighbourhoods' population estimates.",
            (
                Parameter(
                    "event_type", "Event type", "the event that counts", "emergency_attendance", _type_name
                ),
                Parameter(
                    "per",
                    "Per",
                    "residents the count is given per",
                    1000,
                    _whole_number(1, 1_000_000),
                    _with_thousands,
                ),
                PERIOD,
            ),
            events_per_thousand,
        ),
        Indicator(
            "closed_plans",
            "Families whose shared plan closed",
            "Families whose shared plan, with an action of {agency}'s, closed in the financial year.",
            (AGENCY,),
            closed_plans,
            example=AGENCY_EXAMPLE,
        ),
        Indicator(
            "closed_plan_outcomes",
            "Needs better off when the plan closed",
            "Of the needs{area_words} of the shared plans closed in the financial year that {agency} worked in, "
            "how many per 100 were {counted} (counted only once the sustainment check found it held: "
            "{sustained_only}).",
            (
                AGENCY,
                Parameter(
                    "areas",
                    "Outcome areas",
                    "the plans' outcome areas counted, separated by commas; empty for every area",
                    [],
                    _codes,
                    _codes_as_text,
                ),
                Parameter(
                    "counted",
                    "Counted as better off",
                    "achieved, partly_achieved or not_achieved, separated by commas",
                    ["achieved"],
                    _results,
                    _codes_as_text,
                ),
                Parameter(
                    "sustained_only",
                    "Only when it held",
                    "yes to count a need only once the sustainment check found it held",
                    False,
                    _yes_or_no,
                    _yes_or_no_as_text,
                ),
            ),
            closed_plan_outcomes,
            example=AGENCY_EXAMPLE,
        ),
    )
}
