"""Cracks in the jigsaw: what follows one agency's event in the agencies of the place. For the people with a trigger
event (a school exclusion, say), what their involvements and events cost each agency in a window after it, against
a comparison group matched on age, sex and neighbourhood. Descriptive only: the difference is what followed the
event, not what it caused. Aggregate figures only: no person is listed, and a group of fewer than SMALLEST_SHOWN
people is suppressed with the figures that would reveal it.

Rules the figures keep:
- People. A person is a person_id of the records. Their date of birth, sex and neighbourhood are each the value on
  their most recent record that gives one: the latest updated_at, then loaded_on (a missing date last), then by
  source and record id.
- The cohort. A person is triggered by an event of the trigger's type on one of their records in a source of the
  trigger's agency, dated within the trigger's first and last days (either may be open) and no later than as_of
  (by default the latest event in the data); their index date is the earliest such.
- Matching. A triggered person's comparison people are up to `comparison_per_person` people of the same sex and
  neighbourhood born in the same year, before the index date, who never had that event from that agency (at any
  date): those with the lowest md5 of "triggered person_id|candidate person_id". One person may serve several
  triggered people. A triggered person whose date of birth, sex or neighbourhood is unknown, or who has no
  candidate, is unmatched: counted, then left out of every figure. Comparison people take their triggered
  person's index date and window.
- Follow-up. A window runs from the day after the index date to the same day `months` calendar months on, or to
  as_of if sooner; its observed years are its days / DAYS_PER_YEAR (none for an event on as_of: that person still
  counts among the people, but adds no years).
- Costs. Only the sources the agencies name count, and only events and involvements with a type. An event (one
  person, source, type and day, on however many records) in the window costs its price; an involvement (one
  person, source, type, start and end) costs its annual price for its days open in the window / DAYS_PER_YEAR
  (with no start it began before; with no end it is still open). Each kind and type has one price for every
  source, or for one source, which wins; a cost is credited to the agency that bears it. The cohort's events and
  involvements with no price are counted in `unpriced` (the comparison people's are not).
- Figures, for each agency that bears a cost, for the agencies other than the trigger's, for all of them, and for
  each type an agency bears. The cohort rate is the cohort's cost over their observed years (pounds per person
  per year); the comparison rate puts each triggered person's comparison people's mean cost over the same years;
  the difference (each figure from the exact sums, so it may differ from the rounded rates' by a penny) has an
  approximate 95% interval by linearising the ratio over the cohort (none for fewer than two people or no
  years); the excess is the cohort's cost beyond their comparison people's means, summed over the cohort, in
  pounds. A person has a cost of a row when a priced event or involvement it covers falls in their window, even
  at a price of zero, whose count is still shown; the comparison share with a cost averages each triggered
  person's share of comparison people with one. A type also gives its events, or years of involvement, per 100
  person-years. Money, rates and years are floats rounded to two places (the penny); shares are fractions
  rounded to four places; a rate with no years is None.
- Suppression. With fewer than SMALLEST_SHOWN people triggered nothing is shown but the trigger and as_of, not even
  the counts; with fewer matched, only how many were triggered (and unmatched, when none was matched). A row (an
  agency, a type, the other agencies, all of them) is hidden, its label kept and its figures None, when 1 to
  SMALLEST_SHOWN - 1 cohort people, or distinct comparison people, have its cost. So that subtraction gives no
  small group away: all agencies are shown only with the other agencies and the trigger's agency (all less the
  others is the trigger's agency); a hidden agency hides its types, which add up to it; and while the rows hidden
  within a shown total (the agencies within the other agencies, the types within their agency) have 1 to
  SMALLEST_SHOWN - 1 cohort, or comparison, people with a cost between them, the shown one with the fewest cohort
  people is hidden too."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]

from wholeplace.money.cost_book import Kind
from wholeplace.money.duplication import SHARE_PLACES, Unpriced, checked_prices, priced_workspace
from wholeplace.outcomes.indicators import LinkedData

SMALLEST_SHOWN = 5
COMPARISON_PER_PERSON = 5
DAYS_PER_YEAR = 365.25
Z_95 = 1.96
ALL_AGENCIES, OTHER_AGENCIES = "All agencies", "Other agencies"


@dataclass(frozen=True)
class Trigger:
    """The event that opens a window: one type of event in the sources of one agency."""

    agency: str
    event_type: str
    months: int = 12  # the window, from the day after the event to the same day `months` calendar months on
    first: date | None = None  # the earliest event counted; None: any
    last: date | None = None  # the latest event counted; None: any


@dataclass(frozen=True)
class Following:
    """What follows in one agency, the other agencies, all of them, or one type; every figure None when hidden."""

    label: str
    cohort_rate: float | None  # pounds per person per year of follow-up
    comparison_rate: float | None
    difference: float | None  # the cohort's rate less the comparison's
    interval: tuple[float, float] | None  # approximate 95%, of the difference
    excess: float | None  # pounds beyond the comparison over the cohort's follow-up
    cohort_with_cost: int | None  # people
    comparison_share_with_cost: float | None


@dataclass(frozen=True)
class TypeFollowing(Following):
    """One kind and type of involvement or event, with the agency that bears it; labelled "Agency: type"."""

    kind: str
    type: str
    agency: str
    cohort_per_100: float | None  # events, or years of involvement, per 100 person-years
    comparison_per_100: float | None


@dataclass(frozen=True)
class Cracks:
    trigger: Trigger
    as_of: date | None  # the end of the data; None when there is no event
    shown: bool  # False when fewer than SMALLEST_SHOWN people are triggered, or matched
    triggered: int | None
    unmatched: int | None
    cohort: int | None  # the matched triggered people
    comparison: int | None  # distinct comparison people
    person_years: float | None  # the cohort's observed follow-up
    mean_follow_up_days: float | None
    all_agencies: Following | None
    other_agencies: Following | None
    by_agency: tuple[Following, ...]  # the highest cohort rate first, then by name; the hidden last
    by_type: tuple[TypeFollowing, ...]  # the largest difference first; the hidden last
    unpriced: tuple[Unpriced, ...]


def cracks(
    linked: LinkedData,
    *,
    agencies: Mapping[str, str],
    prices: pa.Table,
    trigger: Trigger,
    as_of: date | None = None,
    comparison_per_person: int = COMPARISON_PER_PERSON,
    smallest_shown: int = SMALLEST_SHOWN,
) -> Cracks:
    """What the agencies (by source) bear, at the prices, in the window after the trigger event for the people who
    had it, against people like them who never did."""
    _check(trigger, comparison_per_person, smallest_shown)
    checked = checked_prices(prices)
    end = _latest_event(linked.events) if as_of is None else as_of
    if end is None:
        return _withheld(trigger, None, triggered=0, matched=0, smallest_shown=smallest_shown)
    with _followed(linked, agencies, checked, trigger, end, comparison_per_person) as connection:
        triggered = _count(connection, "SELECT count(*) FROM triggered")
        cohort = _cohort(connection)
        if min(triggered, len(cohort.people)) < smallest_shown:
            return _withheld(trigger, end, triggered, len(cohort.people), smallest_shown)
        comparison = _count(connection, "SELECT count(DISTINCT person_id) FROM matches")
        tallies = _tallies(connection.execute(_CHARGED).fetchall(), trigger.agency)
        unpriced = _unpriced(connection)
    all_agencies, other_agencies, by_agency, by_type = _rows(tallies, cohort, trigger.agency, smallest_shown)
    return Cracks(
        trigger=trigger,
        as_of=end,
        shown=True,
        triggered=triggered,
        unmatched=triggered - len(cohort.people),
        cohort=len(cohort.people),
        comparison=comparison,
        person_years=round(cohort.total_years, 2),
        mean_follow_up_days=round(math.fsum(cohort.days) / len(cohort.people), 2),
        all_agencies=all_agencies,
        other_agencies=other_agencies,
        by_agency=by_agency,
        by_type=by_type,
        unpriced=unpriced,
    )


def _check(trigger: Trigger, comparison_per_person: int, smallest_shown: int) -> None:
    if trigger.months < 1:
        raise ValueError("The window must be at least one month.")
    if trigger.first is not None and trigger.last is not None and trigger.last < trigger.first:
        raise ValueError(f"The trigger's events end ({trigger.last}) before they start ({trigger.first}).")
    if comparison_per_person < 1:
        raise ValueError("Each triggered person needs at least one comparison person.")
    if smallest_shown < 1:
        raise ValueError("The smallest number shown must be at least 1.")


def _latest_event(events: pa.Table) -> date | None:
    latest: date | None = pc.max(events.column("date")).as_py()
    return latest


def _withheld(
    trigger: Trigger, as_of: date | None, triggered: int, matched: int, smallest_shown: int
) -> Cracks:
    """No figures: too few people triggered, or matched. With enough triggered their number is given, and how many
    are unmatched when none is matched (otherwise it would give the few matched away)."""
    counted = triggered >= smallest_shown
    none_matched = counted and matched == 0
    return Cracks(
        trigger=trigger,
        as_of=as_of,
        shown=False,
        triggered=triggered if counted else None,
        unmatched=triggered if none_matched else None,
        cohort=0 if none_matched else None,
        comparison=None,
        person_years=None,
        mean_follow_up_days=None,
        all_agencies=None,
        other_agencies=None,
        by_agency=(),
        by_type=(),
        unpriced=(),
    )


# ---------------------------------------------------------------- the windows and their costs, in DuckDB


@contextmanager
def _followed(
    linked: LinkedData,
    agencies: Mapping[str, str],
    prices: pa.Table,
    trigger: Trigger,
    as_of: date,
    comparison_per_person: int,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection holding the triggered people (`triggered`), their comparison people (`matches`), the windows
    (`windows`, one per matched triggered person), the involvements and events in the windows of both groups
    (`items`) and their costs to the agencies that bear them (`charges`)."""
    with priced_workspace(linked, agencies, prices) as connection:
        for statement, parameters in _statements(trigger, as_of, comparison_per_person):
            connection.execute(statement, parameters)
        yield connection


def _statements(
    trigger: Trigger, as_of: date, comparison_per_person: int
) -> list[tuple[str, dict[str, Any]]]:
    event = {"agency": trigger.agency, "event_type": trigger.event_type}
    last = as_of if trigger.last is None else min(trigger.last, as_of)
    return [
        (_PEOPLE, {}),
        (_COUNTED, {}),
        (_TRIGGERED, {**event, "first": trigger.first or date.min, "last": last}),
        (_MATCHES, {**event, "per_person": comparison_per_person}),
        (_WINDOWS, {"months": trigger.months, "as_of": as_of}),
        (
            _ITEMS,
            {
                "event": Kind.EVENT.value,
                "involvement": Kind.INVOLVEMENT.value,
                "days_per_year": DAYS_PER_YEAR,
            },
        ),
        (_CHARGES, {}),
    ]


_PEOPLE = """
CREATE TEMP TABLE people AS
SELECT person_id,
    first(date_of_birth ORDER BY updated_at DESC NULLS LAST, loaded_on DESC NULLS LAST, source, record_id)
        FILTER (WHERE date_of_birth IS NOT NULL) AS date_of_birth,
    first(sex ORDER BY updated_at DESC NULLS LAST, loaded_on DESC NULLS LAST, source, record_id)
        FILTER (WHERE sex IS NOT NULL) AS sex,
    first(neighbourhood ORDER BY updated_at DESC NULLS LAST, loaded_on DESC NULLS LAST, source, record_id)
        FILTER (WHERE neighbourhood IS NOT NULL) AS neighbourhood
FROM records WHERE person_id IS NOT NULL
GROUP BY person_id"""

# The counted sources' events (undated ones too: they still bar a person from the comparison group) and
# involvements, each once per person.
_COUNTED = """
CREATE TEMP TABLE person_events AS
SELECT DISTINCT r.person_id, e.source, a.agency, e.type, e."date"
FROM events e JOIN records r USING (source, record_id) JOIN agency_of a USING (source)
WHERE r.person_id IS NOT NULL AND e.type IS NOT NULL;

CREATE TEMP TABLE person_involvements AS
SELECT DISTINCT r.person_id, i.source, i.type, i."start", i."end"
FROM involvements i JOIN records r USING (source, record_id) SEMI JOIN agency_of a USING (source)
WHERE r.person_id IS NOT NULL AND i.type IS NOT NULL"""

_TRIGGERED = """
CREATE TEMP TABLE triggered AS
SELECT person_id, min("date") AS index_date FROM person_events
WHERE agency = $agency AND type = $event_type AND "date" BETWEEN $first AND $last
GROUP BY person_id"""

_MATCHES = """
CREATE TEMP TABLE matches AS
SELECT t.person_id AS owner, c.person_id
FROM triggered t JOIN people p USING (person_id)
    JOIN people c ON c.sex = p.sex AND c.neighbourhood = p.neighbourhood
        AND year(c.date_of_birth) = year(p.date_of_birth) AND c.date_of_birth < t.index_date
WHERE c.person_id NOT IN (SELECT person_id FROM person_events WHERE agency = $agency AND type = $event_type)
QUALIFY row_number() OVER (PARTITION BY t.person_id ORDER BY md5(t.person_id || '|' || c.person_id), c.person_id)
    <= $per_person"""

_WINDOWS = """
CREATE TEMP TABLE windows AS
SELECT person_id AS owner, index_date + 1 AS first_day,
    least((index_date + INTERVAL ($months) MONTH)::DATE, $as_of) AS last_day, m.comparisons
FROM triggered JOIN (SELECT owner AS person_id, count(*) AS comparisons FROM matches GROUP BY owner) m
    USING (person_id)"""

# `units`: an event, or the years an involvement is open in the window.
_ITEMS = """
CREATE TEMP TABLE items AS
WITH followed AS (
    SELECT owner, owner AS person_id, true AS in_cohort, first_day, last_day FROM windows
    UNION ALL
    SELECT owner, m.person_id, false, first_day, last_day FROM matches m JOIN windows USING (owner)
)
SELECT row_number() OVER () AS item, counted.*
FROM (
    SELECT f.owner, f.person_id, f.in_cohort, $event AS kind, e.source, e.type, 1.0::DOUBLE AS units
    FROM followed f JOIN person_events e USING (person_id)
    WHERE e."date" BETWEEN f.first_day AND f.last_day
    UNION ALL
    SELECT f.owner, f.person_id, f.in_cohort, $involvement, i.source, i.type,
        (least(coalesce(i."end", f.last_day), f.last_day) - greatest(coalesce(i."start", f.first_day), f.first_day)
            + 1) / $days_per_year
    FROM followed f JOIN person_involvements i USING (person_id)
) counted
WHERE counted.units > 0"""

_CHARGES = """
CREATE TEMP TABLE charges AS
SELECT it.item, p.agency AS bearer, p.amount * it.units AS cost
FROM items it JOIN prices p
    ON p.kind = it.kind AND p.type = it.type AND (p.source IS NULL OR p.source = it.source)
QUALIFY (p.source IS NOT NULL) = bool_or(p.source IS NOT NULL) OVER (PARTITION BY it.item)"""

# In a fixed order, and with `fsum`, so that the order of the input rows changes no figure.
_CHARGED = """
SELECT it.owner, it.person_id, it.in_cohort, c.bearer, it.kind, it.type, fsum(c.cost), fsum(it.units)
FROM items it JOIN charges c USING (item)
GROUP BY ALL ORDER BY it.owner, it.person_id, it.in_cohort, c.bearer, it.kind, it.type"""


def _count(connection: duckdb.DuckDBPyConnection, query: str) -> int:
    row = connection.execute(query).fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class _Cohort:
    """The matched triggered people, in order, with their observed days and number of comparison people."""

    people: tuple[str, ...]
    days: tuple[int, ...]
    comparisons: tuple[int, ...]

    @property
    def years(self) -> list[float]:
        return [days / DAYS_PER_YEAR for days in self.days]

    @property
    def total_years(self) -> float:
        return math.fsum(self.years)


def _cohort(connection: duckdb.DuckDBPyConnection) -> _Cohort:
    rows = connection.execute(
        "SELECT owner, last_day - first_day + 1, comparisons FROM windows ORDER BY owner"
    ).fetchall()
    return _Cohort(
        people=tuple(owner for owner, _, _ in rows),
        days=tuple(int(days) for _, days, _ in rows),
        comparisons=tuple(int(comparisons) for _, _, comparisons in rows),
    )


def _unpriced(connection: duckdb.DuckDBPyConnection) -> tuple[Unpriced, ...]:
    rows = connection.execute(
        """SELECT kind, type, count(*) FROM items ANTI JOIN charges USING (item)
        WHERE in_cohort GROUP BY ALL ORDER BY kind, type"""
    ).fetchall()
    return tuple(Unpriced(kind, kind_type, int(count)) for kind, kind_type, count in rows)


# ---------------------------------------------------------------- the figures


@dataclass
class _Tally:
    """One row's costs and units by triggered person: the cohort's own, and their comparison people's summed."""

    cohort_cost: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    cohort_units: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    comparison_cost: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    comparison_units: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    comparison_with: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, owner: str, person: str, in_cohort: bool, cost: float, units: float) -> None:
        if in_cohort:
            self.cohort_cost[owner] += cost
            self.cohort_units[owner] += units
        else:
            self.comparison_cost[owner] += cost
            self.comparison_units[owner] += units
            self.comparison_with[owner].add(person)

    def people_with_cost(self) -> tuple[int, int]:
        """The cohort people, and the distinct comparison people, with a cost of the row."""
        return len(self.cohort_cost), len(set().union(*self.comparison_with.values()))


@dataclass(frozen=True)
class _Tallies:
    all_agencies: _Tally
    other_agencies: _Tally
    by_agency: dict[str, _Tally]
    by_type: dict[tuple[str, str, str], _Tally]  # by agency, kind and type


def _tallies(charged: Sequence[tuple[Any, ...]], trigger_agency: str) -> _Tallies:
    tallies = _Tallies(_Tally(), _Tally(), defaultdict(_Tally), defaultdict(_Tally))
    for owner, person, in_cohort, bearer, kind, kind_type, cost, units in charged:
        rows = [tallies.all_agencies, tallies.by_agency[bearer], tallies.by_type[bearer, kind, kind_type]]
        if bearer != trigger_agency:
            rows.append(tallies.other_agencies)
        for row in rows:
            row.add(owner, person, in_cohort, cost, units)
    return tallies


def _rows(
    tallies: _Tallies, cohort: _Cohort, trigger_agency: str, smallest_shown: int
) -> tuple[Following, Following, tuple[Following, ...], tuple[TypeFollowing, ...]]:
    """The rows for all agencies, the other agencies, each agency and each type, the hidden ones without figures."""
    agencies, types = sorted(tallies.by_agency), sorted(tallies.by_type)
    all_shown, other_shown, hidden_agencies, hidden_types = _suppression(
        tallies, agencies, types, trigger_agency, smallest_shown
    )
    by_agency = [
        _following(agency, tallies.by_agency[agency], cohort, hidden=index in hidden_agencies)
        for index, agency in enumerate(agencies)
    ]
    by_type = [
        _type_following(key, tallies.by_type[key], cohort, hidden=index in hidden_types)
        for index, key in enumerate(types)
    ]
    return (
        _following(ALL_AGENCIES, tallies.all_agencies, cohort, hidden=not all_shown),
        _following(OTHER_AGENCIES, tallies.other_agencies, cohort, hidden=not other_shown),
        tuple(
            sorted(by_agency, key=lambda row: (row.cohort_rate is None, -(row.cohort_rate or 0), row.label))
        ),
        tuple(
            sorted(
                by_type,
                key=lambda row: (
                    row.difference is None,
                    -(row.difference or 0),
                    row.agency,
                    row.kind,
                    row.type,
                ),
            )
        ),
    )


def _following(label: str, tally: _Tally, cohort: _Cohort, *, hidden: bool) -> Following:
    if hidden:
        return Following(label, None, None, None, None, None, None, None)
    years, total_years = cohort.years, cohort.total_years
    cost = [tally.cohort_cost.get(person, 0.0) for person in cohort.people]
    expected = _means(tally.comparison_cost, cohort)
    differences = [own - other for own, other in zip(cost, expected, strict=True)]
    with_cost = _means({owner: float(len(people)) for owner, people in tally.comparison_with.items()}, cohort)
    return Following(
        label=label,
        cohort_rate=_rate(math.fsum(cost), total_years),
        comparison_rate=_rate(math.fsum(expected), total_years),
        difference=_rate(math.fsum(differences), total_years),
        interval=_interval(differences, years),
        excess=round(math.fsum(differences), 2),
        cohort_with_cost=len(tally.cohort_cost),
        comparison_share_with_cost=round(math.fsum(with_cost) / len(cohort.people), SHARE_PLACES),
    )


def _type_following(
    key: tuple[str, str, str], tally: _Tally, cohort: _Cohort, *, hidden: bool
) -> TypeFollowing:
    agency, kind, kind_type = key
    following = _following(f"{agency}: {kind_type}", tally, cohort, hidden=hidden)
    own = [tally.cohort_units.get(person, 0.0) for person in cohort.people]
    expected = _means(tally.comparison_units, cohort)
    return TypeFollowing(
        **vars(following),
        kind=kind,
        type=kind_type,
        agency=agency,
        cohort_per_100=None if hidden else _rate(100 * math.fsum(own), cohort.total_years),
        comparison_per_100=None if hidden else _rate(100 * math.fsum(expected), cohort.total_years),
    )


def _means(summed: Mapping[str, float], cohort: _Cohort) -> list[float]:
    """For each triggered person, the mean over their comparison people of what is summed over them."""
    return [
        summed.get(person, 0.0) / comparisons
        for person, comparisons in zip(cohort.people, cohort.comparisons, strict=True)
    ]


def _rate(amount: float, years: float) -> float | None:
    return round(amount / years, 2) if years else None


def _interval(differences: Sequence[float], years: Sequence[float]) -> tuple[float, float] | None:
    """The ratio estimator's approximate 95% interval, by linearisation over the triggered people."""
    people, total_years = len(differences), math.fsum(years)
    if people < 2 or not total_years:
        return None
    difference = math.fsum(differences) / total_years
    spread = math.fsum(
        (own - difference * own_years) ** 2 for own, own_years in zip(differences, years, strict=True)
    )
    error = math.sqrt(people / (people - 1) * spread) / total_years
    return round(difference - Z_95 * error, 2), round(difference + Z_95 * error, 2)


# ---------------------------------------------------------------- suppression


def _suppression(
    tallies: _Tallies,
    agencies: Sequence[str],
    types: Sequence[tuple[str, str, str]],
    trigger_agency: str,
    smallest_shown: int,
) -> tuple[bool, bool, frozenset[int], frozenset[int]]:
    """Whether all agencies and the other agencies are shown, and the agencies and types (by their places in
    `agencies` and `types`) to hide.

    All agencies less the other agencies is the trigger's agency, so all are shown only with both. What is shown
    gives away the hidden rows' sum within a shown total: the agencies other than the trigger's within the other
    agencies (and, with all agencies shown, the trigger's agency is shown too), the types of a shown agency within
    it; each such sum must be none or at least `smallest_shown`. A hidden agency's types would add up to it, so they
    are hidden with it."""
    small = {
        label: _small(tally.people_with_cost(), smallest_shown)
        for label, tally in ((ALL_AGENCIES, tallies.all_agencies), (OTHER_AGENCIES, tallies.other_agencies))
    }
    trigger_small = trigger_agency in tallies.by_agency and _small(
        tallies.by_agency[trigger_agency].people_with_cost(), smallest_shown
    )
    other_shown = not small[OTHER_AGENCIES]
    all_shown = other_shown and not small[ALL_AGENCIES] and not trigger_small
    others = [index for index, agency in enumerate(agencies) if agency != trigger_agency]
    hidden_agencies = _hidden(
        [tallies.by_agency[agency].people_with_cost() for agency in agencies],
        smallest_shown,
        [others] if other_shown else [],
    )
    hidden_names = {agencies[index] for index in hidden_agencies}
    hidden_types = _hidden(
        [tallies.by_type[key].people_with_cost() for key in types],
        smallest_shown,
        [
            [index for index, (bearer, _, _) in enumerate(types) if bearer == agency]
            for agency in agencies
            if agency not in hidden_names
        ],
        also={index for index, (bearer, _, _) in enumerate(types) if bearer in hidden_names},
    )
    return all_shown, other_shown, hidden_agencies, hidden_types


def _small(people: tuple[int, int], smallest_shown: int) -> bool:
    return any(0 < count < smallest_shown for count in people)


def _hidden(
    people: Sequence[tuple[int, int]],
    smallest_shown: int,
    groups: Sequence[Sequence[int]],
    also: set[int] | None = None,
) -> frozenset[int]:
    """The rows small in themselves, `also`, and, within each group, the fewest shown until the group's hidden
    rows add up to none or enough."""
    hidden = {row for row, counts in enumerate(people) if _small(counts, smallest_shown)} | (also or set())
    for group in groups:
        while _gives_away(people, hidden, smallest_shown, group):
            shown = [row for row in group if row not in hidden]
            if not shown:
                break
            hidden.add(min(shown, key=lambda row: (people[row][0], row)))
    return frozenset(hidden)


def _gives_away(
    people: Sequence[tuple[int, int]], hidden: set[int], smallest_shown: int, group: Sequence[int]
) -> bool:
    cohort = sum(people[row][0] for row in group if row in hidden)
    comparison = sum(people[row][1] for row in group if row in hidden)
    return _small((cohort, comparison), smallest_shown)
