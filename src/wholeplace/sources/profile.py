"""What the Sources pages say about a source's data: each field's completeness and validity from a batch's
quality counts, and value distributions of its current rows read from the lake, small counts suppressed.

Only counts leave this module, never a row: the pages that use it must not show anyone's name or identifier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

SMALL_COUNT = 5  # a category with fewer rows than this is shown as "fewer than 5", never as its count
TOP_VALUES = 10
BLANK = "(blank)"
OTHER_VALUES = "Other values"

PROBLEM_TEXT = {
    "bad_shape": "not in the expected shape",
    "bad_check_digit": "check digit does not match",
    "unallocated_prefix": "prefix never allocated",
    "non_uk": "not a UK postcode",
    "not_a_date": "not a date in the declared format",
    "in_future": "in the future",
    "too_old": "more than 120 years ago",
    "unknown_code": "a code the mapping does not list",
    "no_letters": "no letters in it",
}
_WORDS = {"nhs": "NHS", "ni": "NI", "upn": "UPN", "uprn": "UPRN", "uk": "UK"}


def field_label(name: str) -> str:
    """A standard field's name as a person reads it: `date_of_birth` is "Date of birth"."""
    if name.startswith("identifiers."):
        return f"Identifier: {name.removeprefix('identifiers.')}"
    words = [_WORDS.get(word, word) for word in name.split("_")]
    first = words[0] if words[0] in _WORDS.values() else words[0].capitalize()
    return " ".join([first, *words[1:]])


def percent(part: int, whole: int) -> str:
    """A share to one decimal place that never rounds a shortfall up to 100% or a few up from nothing to 0%."""
    if whole <= 0:
        return "n/a"
    if part == whole:
        return "100%"
    if part == 0:
        return "0%"
    share = 100 * part / whole
    if share > 99.95:
        return "over 99.9%"
    if share < 0.05:
        return "under 0.1%"
    return f"{share:.1f}".removesuffix(".0") + "%"


# ---------------------------------------------------------------- quality of a batch


@dataclass(frozen=True)
class Problem:
    code: str
    count: int

    @property
    def text(self) -> str:
        return PROBLEM_TEXT.get(self.code, self.code.replace("_", " "))


@dataclass(frozen=True)
class FieldQuality:
    """One standard field in one batch: how many rows held a value, and how many of those values had problems."""

    field: str
    rows: int
    present: int
    problems: tuple[Problem, ...]

    @property
    def label(self) -> str:
        return field_label(self.field)

    @property
    def with_problems(self) -> int:
        return sum(problem.count for problem in self.problems)

    @property
    def completeness(self) -> str:
        return percent(self.present, self.rows)

    @property
    def validity(self) -> str:
        return percent(self.present - self.with_problems, self.present)


def field_quality(quality: Mapping[str, Any], *, order: Sequence[str] = ()) -> list[FieldQuality]:
    """Each field of a batch's quality counts (as `service.quality_of` gives them), in the standard's order
    where it is known, then by name."""
    rows = int(quality.get("rows", 0))
    fields: Mapping[str, Any] = quality.get("fields", {})
    position = {name: index for index, name in enumerate(order)}
    found = [
        FieldQuality(
            field=name,
            rows=rows,
            present=int(counts.get("present", 0)),
            problems=tuple(
                Problem(code, int(count))
                for code, count in sorted(counts.get("problems", {}).items(), key=lambda item: -item[1])
            ),
        )
        for name, counts in fields.items()
    ]
    return sorted(found, key=lambda one: (position.get(one.field, len(position)), one.field))


# ---------------------------------------------------------------- distributions of current rows


@dataclass(frozen=True)
class Count:
    value: str
    count: int | None  # None: fewer than SMALL_COUNT rows, so not shown

    @property
    def shown(self) -> str:
        return f"fewer than {SMALL_COUNT}" if self.count is None else f"{self.count:,}"


@dataclass(frozen=True)
class Distribution:
    entity: str
    field: str
    title: str
    counts: tuple[Count, ...]


@dataclass(frozen=True)
class Facet:
    """One distribution worth showing: an expression over one entity's view of current rows."""

    entity: str
    field: str
    title: str
    expression: str
    in_value_order: bool = False  # years and decades read best in order, not most common first


FACETS: dict[str, tuple[Facet, ...]] = {
    "person": (
        Facet("person", "sex", "Sex", "sex"),
        Facet("person", "postcode_district", "Postcode district", "postcode_district"),
        Facet(
            "person",
            "date_of_birth",
            "Decade of birth",
            "CAST(year(date_of_birth) // 10 * 10 AS VARCHAR) || 's'",
            in_value_order=True,
        ),
        Facet("involvement", "type", "Type of involvement", "type"),
        Facet("event", "type", "Type of event", "type"),
        Facet("relationship", "type", "Type of relationship", "type"),
    ),
    "spend_line": (
        Facet("spend_line", "service", "Service", "service"),
        Facet("spend_line", "theme", "Theme", "theme"),
        Facet("spend_line", "prevention_or_response", "Prevention or response", "prevention_or_response"),
        Facet("spend_line", "period", "Period", "period", in_value_order=True),
    ),
}


def distributions(
    connection: duckdb.DuckDBPyConnection, *, source: str, entity: str, top: int = TOP_VALUES
) -> list[Distribution]:
    """The useful distributions of one source's current rows, from a connection made by `Lake.connect`.

    A view the lake lacks (no file of that entity yet) or a field no row of the source holds is left out.
    """
    columns = _columns(connection)
    found = []
    for facet in FACETS.get(entity, ()):
        if facet.field not in columns.get(facet.entity, set()) or "source" not in columns[facet.entity]:
            continue
        groups = connection.execute(
            f"SELECT {facet.expression} AS value, count(*) FROM {facet.entity} "  # noqa: S608 - our own names
            "WHERE CAST(source AS VARCHAR) = ? GROUP BY ALL",
            [source],
        ).fetchall()
        counts = summarise(groups, top=top, in_value_order=facet.in_value_order)
        if any(count.value != BLANK for count in counts):
            found.append(Distribution(facet.entity, facet.field, facet.title, counts))
    return found


def summarise(
    groups: Iterable[tuple[Any, int]], *, top: int = TOP_VALUES, in_value_order: bool = False
) -> tuple[Count, ...]:
    """Values with their counts: the most common `top` (or all, in value order), the rest as one line, blanks
    last; any count under SMALL_COUNT suppressed."""
    blank = 0
    values: dict[str, int] = {}
    for value, count in groups:
        text = "" if value is None else str(value).strip()
        if text:
            values[text] = values.get(text, 0) + int(count)
        else:
            blank += int(count)
    if in_value_order:
        shown, rest = sorted(values.items()), 0
    else:
        ranked = sorted(values.items(), key=lambda item: (-item[1], item[0]))
        shown, rest = ranked[:top], sum(count for _, count in ranked[top:])
    lines = [*shown]
    if rest:
        lines.append((OTHER_VALUES, rest))
    if blank:
        lines.append((BLANK, blank))
    return tuple(Count(value, count if count >= SMALL_COUNT else None) for value, count in lines)


def _columns(connection: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for table, column in connection.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE NOT internal"
    ).fetchall():
        found.setdefault(str(table), set()).add(str(column))
    return found
