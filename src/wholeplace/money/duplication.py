"""Duplication: the households many agencies work with in a financial year, what their involvements and events cost
all the agencies together, and the services most often working with the same households. Aggregate figures only:
no household is listed, and a count below SMALLEST_SHOWN is suppressed with the figures that would reveal it.

Rules the figures keep:
- A household is a person's household on any of their records; someone in none is a household of their own.
- An involvement counts if it is open on any day of the year (one with no start began before it), and costs its
  annual price for the share of the year's days it is open. An event counts if it falls in the year; the same
  event on several members' records (one household, source, type and day) is one event, costed once.
- Only the sources the agencies name count, and only involvements and events with a type. The agencies working
  with a household are those whose sources record its counted involvements and events, priced or not; a cost is
  credited to the agency that bears it.
- Each kind and type has one price for every source, or for one source, which wins.
- Money is in pounds, as floats rounded to the penny when reported (each figure from the exact sums, so rounded
  parts may differ from a rounded whole by pennies); shares are fractions rounded to four places.
- A band of households, or the cost borne for the households MANY or more agencies work with, is shown only for at
  least SMALLEST_SHOWN households; so that subtracting the shown from the totals gives no smaller group away,
  the next smallest band is hidden too until the hidden ones add up to none or enough."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import duckdb
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]

from wholeplace.core.errors import InvalidInputError
from wholeplace.money.cost_book import PRICES, Kind
from wholeplace.money.deflators import parse_financial_year
from wholeplace.outcomes.indicators import LinkedData

SMALLEST_SHOWN = 5
MANY = 3
TOP_PAIRS = 15
BANDS = ("1", "2", "3", "4", "5 or more")
SHARE_PLACES = 4


@dataclass(frozen=True)
class Band:
    """The households a number of agencies work with; every figure None when suppressed."""

    agencies: str  # "1" to "4", or "5 or more"
    households: int | None
    counted: int | None  # their involvements and events in the year
    cost: float | None
    mean_cost: float | None  # per household
    share_of_cost: float | None  # of every household's cost (0 when nothing is costed)


@dataclass(frozen=True)
class AgencyCost:
    """What one agency bears for the households MANY or more agencies work with."""

    agency: str
    cost: float
    share: float  # of what the agency bears for every household


@dataclass(frozen=True)
class ServicePair:
    """Two services, "Agency: type" in alphabetical order, and the households both work with in the year."""

    first: str
    second: str
    households: int


@dataclass(frozen=True)
class Unpriced:
    """Counted involvements or events of a type that the prices do not cost."""

    kind: str
    type: str
    count: int


@dataclass(frozen=True)
class Duplication:
    year: tuple[date, date]  # first and last day
    households: int  # that any agency worked with in the year
    cost: float  # of all of them
    bands: tuple[Band, ...]  # by the number of agencies, one to five or more
    cost_by_agency_for_many: tuple[AgencyCost, ...] | None  # the most first; None when suppressed
    service_pairs: tuple[ServicePair, ...]  # the most shared first, at most TOP_PAIRS
    unpriced: tuple[Unpriced, ...]


def financial_year_bounds(label: str) -> tuple[date, date]:
    """The first and last day of a financial year written as "2025-26"."""
    start = parse_financial_year(label)
    return date(start, 4, 1), date(start + 1, 3, 31)


def duplication(
    linked: LinkedData,
    *,
    agencies: Mapping[str, str],
    prices: pa.Table,
    year: tuple[date, date],
    smallest_shown: int = SMALLEST_SHOWN,
) -> Duplication:
    """The households the agencies (by source) work with in the year, what they cost at the prices, and the
    services most often working with the same households."""
    first, last = year
    if last < first:
        raise ValueError(f"The year ends ({last}) before it starts ({first}).")
    if smallest_shown < 1:
        raise ValueError("The smallest number shown must be at least 1.")
    with _costed(linked, agencies, checked_prices(prices), year) as connection:
        bands = _band_totals(connection)
        agency_costs = _agency_costs(connection)
        pairs = _service_pairs(connection, smallest_shown)
        unpriced = _unpriced(connection)
    households = [count for count, _, _ in bands]
    hidden, many_shown = _suppression(households, smallest_shown)
    total = sum(cost for _, _, cost in bands)
    return Duplication(
        year=year,
        households=sum(households),
        cost=round(total, 2),
        bands=tuple(
            _band(label, *totals, total, hidden=index in hidden)
            for index, (label, totals) in enumerate(zip(BANDS, bands, strict=True))
        ),
        cost_by_agency_for_many=agency_costs if many_shown else None,
        service_pairs=pairs,
        unpriced=unpriced,
    )


def checked_prices(prices: pa.Table) -> pa.Table:
    """The prices with the columns read, in their types, or an error naming the first problem."""
    missing = [name for name in PRICES.names if name not in prices.column_names]
    if missing:
        raise InvalidInputError(
            f"The prices have no {', '.join(missing)} column.",
            field="prices",
            fix=f"Give the prices as a table of {', '.join(PRICES.names)}, as a cost book makes them.",
        )
    checked = prices.select(PRICES.names).cast(PRICES)
    seen: set[tuple[str, str | None, str]] = set()
    for row in checked.to_pylist():
        problem = _price_problem(row, seen)
        if problem:
            where = f" in {row['source']}" if row["source"] else ""
            raise InvalidInputError(
                f"The price of {row['kind']} {row['type']!r}{where} {problem}.",
                field="prices",
                fix="Give each kind and type (and source) one price, borne by an agency, of zero or more.",
            )
        seen.add((row["kind"], row["source"], row["type"]))
    return checked


def _price_problem(row: Mapping[str, object], seen: set[tuple[str, str | None, str]]) -> str | None:
    amount = row["amount"]
    if row["kind"] not in set(Kind):
        return "is of neither an event nor an involvement"
    if not row["type"] or not row["agency"]:
        return "needs a type and the agency that bears it"
    if not isinstance(amount, float) or not math.isfinite(amount) or amount < 0:
        return "needs an amount of zero or more"
    if (row["kind"], row["source"], row["type"]) in seen:
        return "is given twice"
    return None


@contextmanager
def priced_workspace(
    linked: LinkedData, agencies: Mapping[str, str], prices: pa.Table
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection holding the linked `records`, `events` and `involvements`, the `prices`, and the agency of
    each counted source (`agency_of`)."""
    connection = duckdb.connect()
    try:
        connection.execute("SET enable_progress_bar = false")
        for name, table in (
            ("records", linked.records),
            ("events", linked.events),
            ("involvements", linked.involvements),
            ("prices", prices),
            (
                "agency_of",
                pa.table(
                    {"source": list(agencies), "agency": list(agencies.values())},
                    schema=pa.schema([("source", pa.string()), ("agency", pa.string())]),
                ),
            ),
        ):
            connection.register(name, table)
        yield connection
    finally:
        connection.close()


@contextmanager
def _costed(
    linked: LinkedData, agencies: Mapping[str, str], prices: pa.Table, year: tuple[date, date]
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection holding the year's counted involvements and events (`items`), their costs to the agencies
    that bear them (`charges`), and each household's agencies, items and cost (`household_totals`)."""
    first, last = year
    with priced_workspace(linked, agencies, prices) as connection:
        connection.execute(_HOUSEHOLDS)
        connection.execute(
            _ITEMS,
            {
                "first": first,
                "last": last,
                "days_in_year": (last - first).days + 1,
                "event": Kind.EVENT.value,
                "involvement": Kind.INVOLVEMENT.value,
            },
        )
        connection.execute(_CHARGES)
        connection.execute(_HOUSEHOLD_TOTALS)
        yield connection


_HOUSEHOLDS = """
CREATE TEMP TABLE households AS
SELECT person_id, coalesce(max(household_id), 'person ' || person_id) AS household
FROM records GROUP BY person_id"""

# `portion`: the share of its price an item costs, the part of the year it is open for an involvement.
_ITEMS = """
CREATE TEMP TABLE items AS
SELECT row_number() OVER () AS item, counted.*, a.agency AS worker
FROM (
    SELECT h.household, $involvement AS kind, i.source, i.type,
        (least(coalesce(i."end", $last), $last) - greatest(coalesce(i."start", $first), $first) + 1)::DOUBLE
            / $days_in_year AS portion
    FROM involvements i JOIN records r USING (source, record_id) JOIN households h USING (person_id)
    UNION ALL
    SELECT household, $event, source, type, 1.0 FROM (
        SELECT DISTINCT h.household, e.source, e.type, e."date"
        FROM events e JOIN records r USING (source, record_id) JOIN households h USING (person_id)
        WHERE e."date" BETWEEN $first AND $last
    )
) counted JOIN agency_of a USING (source)
WHERE counted.portion > 0 AND counted.type IS NOT NULL"""

_CHARGES = """
CREATE TEMP TABLE charges AS
SELECT it.item, p.agency AS bearer, p.amount * it.portion AS cost
FROM items it JOIN prices p
    ON p.kind = it.kind AND p.type = it.type AND (p.source IS NULL OR p.source = it.source)
QUALIFY (p.source IS NOT NULL) = bool_or(p.source IS NOT NULL) OVER (PARTITION BY it.item)"""

_HOUSEHOLD_TOTALS = """
CREATE TEMP TABLE household_totals AS
SELECT household, count(DISTINCT worker) AS agencies, count(*) AS items, coalesce(sum(c.cost), 0) AS cost
FROM items LEFT JOIN charges c USING (item)
GROUP BY household"""


def _band_totals(connection: duckdb.DuckDBPyConnection) -> list[tuple[int, int, float]]:
    """Households, items and cost for each band, the fewest agencies first."""
    found = {
        band: (int(households), int(items), float(cost))
        for band, households, items, cost in connection.execute(
            """SELECT least(agencies, $bands), count(*), sum(items), sum(cost)
            FROM household_totals GROUP BY ALL""",
            {"bands": len(BANDS)},
        ).fetchall()
    }
    return [found.get(band, (0, 0, 0.0)) for band in range(1, len(BANDS) + 1)]


def _agency_costs(connection: duckdb.DuckDBPyConnection) -> tuple[AgencyCost, ...]:
    rows = connection.execute(
        """SELECT c.bearer, coalesce(sum(c.cost) FILTER (WHERE h.agencies >= $many), 0), sum(c.cost)
        FROM charges c JOIN items USING (item) JOIN household_totals h USING (household)
        GROUP BY c.bearer HAVING sum(c.cost) > 0""",
        {"many": MANY},
    ).fetchall()
    costs = [
        AgencyCost(agency, round(many, 2), round(many / everyone, SHARE_PLACES))
        for agency, many, everyone in rows
    ]
    return tuple(sorted(costs, key=lambda cost: (-cost.cost, cost.agency)))


def _service_pairs(connection: duckdb.DuckDBPyConnection, smallest_shown: int) -> tuple[ServicePair, ...]:
    rows = connection.execute(
        """
        WITH services AS (SELECT DISTINCT household, worker || ': ' || type AS service FROM items),
        alphabetical AS (
            SELECT service, dense_rank() OVER (ORDER BY lower(service), service) AS place
            FROM (SELECT DISTINCT service FROM services)
        ),
        placed AS (SELECT * FROM services JOIN alphabetical USING (service))
        SELECT a.service, b.service, count(*) AS households
        FROM placed a JOIN placed b ON a.household = b.household AND a.place < b.place
        GROUP BY a.service, a.place, b.service, b.place
        HAVING count(*) >= $smallest_shown
        ORDER BY households DESC, a.place, b.place
        LIMIT $top""",
        {"smallest_shown": smallest_shown, "top": TOP_PAIRS},
    ).fetchall()
    return tuple(ServicePair(first, second, int(households)) for first, second, households in rows)


def _unpriced(connection: duckdb.DuckDBPyConnection) -> tuple[Unpriced, ...]:
    rows = connection.execute(
        "SELECT kind, type, count(*) FROM items ANTI JOIN charges USING (item) GROUP BY ALL ORDER BY kind, type"
    ).fetchall()
    return tuple(Unpriced(kind, kind_type, int(count)) for kind, kind_type, count in rows)


def _suppression(households: Sequence[int], smallest_shown: int) -> tuple[frozenset[int], bool]:
    """The bands to hide, and whether the cost for the households MANY or more agencies work with is shown.

    What is shown gives the hidden bands' sum away by subtraction: from the place's total, and, when the cost for
    many is shown, within the bands below MANY and within those from MANY on; each such sum must be none or at
    least `smallest_shown`."""
    apart = [range(MANY - 1), range(MANY - 1, len(households))]
    if sum(households[MANY - 1 :]) >= smallest_shown:
        hidden = _hidden(households, smallest_shown, apart)
        if not _gives_away(households, hidden, smallest_shown, apart):
            return hidden, True
    return _hidden(households, smallest_shown, [range(len(households))]), False


def _hidden(households: Sequence[int], smallest_shown: int, groups: Sequence[range]) -> frozenset[int]:
    hidden = {band for band, count in enumerate(households) if count < smallest_shown}
    for group in groups:
        while _gives_away(households, hidden, smallest_shown, [group]):
            shown = [band for band in group if band not in hidden]
            if not shown:
                break
            hidden.add(min(shown, key=lambda band: households[band]))
    return frozenset(hidden)


def _gives_away(
    households: Sequence[int], hidden: set[int] | frozenset[int], smallest_shown: int, groups: Sequence[range]
) -> bool:
    return any(
        0 < sum(households[band] for band in group if band in hidden) < smallest_shown for group in groups
    )


def _band(label: str, households: int, items: int, cost: float, total: float, *, hidden: bool) -> Band:
    if hidden:
        return Band(label, None, None, None, None, None)
    return Band(
        agencies=label,
        households=households,
        counted=items,
        cost=round(cost, 2),
        mean_cost=round(cost / households, 2),
        share_of_cost=round(cost / total, SHARE_PLACES) if total else 0.0,
    )
