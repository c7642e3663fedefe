"""A cost book: what the place's linked events and involvements cost, for counting what households cost the
agencies together (duplication) and what follows one agency's event in others (cracks in the jigsaw).

Each entry prices one event type (per event) or involvement type (per year of involvement), for every source or
for one source, with the agency that bears the cost: a Unit Cost Database code (the agency then defaults to the
unit cost's), or the place's own amount with its price year and reference. Every figure is uprated to the book's
base year with a GDP deflator series, the shipped one unless the book names its own, and keeps where it came from.
The file is checked whole, every problem named by its field and line (see docs/money.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wholeplace.core.errors import InvalidInputError
from wholeplace.money.deflators import DeflatorSeries, financial_year_label, read_series
from wholeplace.money.deflators import shipped_series as shipped_deflators
from wholeplace.money.unit_costs import (
    ATTRIBUTION,
    EDITION,
    UnitCostDatabase,
    UnknownUnitCostError,
    shipped_database,
)
from wholeplace.money.yaml_fields import (
    FieldProblem,
    FinancialYear,
    problem_from_pydantic,
    problems_error,
    read_document,
    read_text,
)

WHAT = "A cost book is a set of fields (name, base_year, events, involvements, ...)"
PRICES = pa.schema(
    [
        ("kind", pa.string()),
        ("source", pa.string()),
        ("type", pa.string()),
        ("agency", pa.string()),
        ("amount", pa.float64()),
    ]
)


NAMES_A_FILE = FieldProblem(
    ("deflators",),
    "names a file of GDP deflators, which a cost book kept in the place cannot use",
    fix="Remove deflators: and give the prices in the book's base year, or use the book on the command line.",
)


class Kind(StrEnum):
    EVENT = "event"  # priced per event
    INVOLVEMENT = "involvement"  # priced per year of involvement


Text = Annotated[str, Field(min_length=1, max_length=200)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class PriceEntry(_Entry):
    type: Text
    source: Text | None = None  # only this source's records; none: every source's
    unit_cost_code: Text | None = None
    amount: Annotated[float, Field(ge=0)] | None = None
    price_year: FinancialYear | None = None  # of the amount
    agency: Text | None = None  # who bears it; defaults to the unit cost's
    reference: Text | None = None  # where the amount comes from
    times: Annotated[float, Field(gt=0)] = (
        1.0  # turns the unit cost's unit into the book's: 52 for a weekly cost
    )


class CostBookFile(_Entry):
    name: Text
    base_year: FinancialYear
    deflators: Text | None = None  # a CSV beside the file: financial_year,index
    events: list[PriceEntry] = []
    involvements: list[PriceEntry] = []


@dataclass(frozen=True)
class Price:
    """One priced type, in the book's base-year prices, with where the figure comes from."""

    kind: Kind
    type: str
    source: str | None
    agency: str
    amount: float  # pounds per event, or per year of involvement
    reference: str  # the unit cost's code and description, or the place's reference
    attribution: str


@dataclass(frozen=True)
class CostBook:
    name: str
    base_year: str
    prices: tuple[Price, ...]
    deflators: str  # the series' source

    def as_table(self) -> pa.Table:
        """The prices as the duplication and cracks computations read them."""
        return pa.table(
            {
                "kind": [price.kind.value for price in self.prices],
                "source": [price.source for price in self.prices],
                "type": [price.type for price in self.prices],
                "agency": [price.agency for price in self.prices],
                "amount": [price.amount for price in self.prices],
            },
            schema=PRICES,
        )


class InvalidCostBookError(ValueError):
    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        super().__init__(f"The cost book has {len(problems)} problem{'s' if len(problems) != 1 else ''}.")
        self.problems = tuple(problems)


def load_cost_book(path: Path, *, database: UnitCostDatabase | None = None) -> CostBook:
    """The cost book in the file, or an error listing every problem by field and line."""
    return cost_book_from_text(read_text(path), path=path, folder=path.parent, database=database)


def cost_book_from_text(
    text: str, *, path: Path, folder: Path | None, database: UnitCostDatabase | None = None
) -> CostBook:
    """The cost book a file's text describes (`path`: where it comes from; `folder`: where a deflator series it
    names lies, None for a book kept in the place, which cannot name one)."""
    try:
        return cost_book_from_document(read_document(path, text, what=WHAT), folder=folder, database=database)
    except InvalidCostBookError as error:
        raise problems_error(path, text, error.problems, what="cost book") from error


def cost_book_from_document(
    document: Mapping[str, Any], *, folder: Path | None, database: UnitCostDatabase | None = None
) -> CostBook:
    try:
        entry = CostBookFile.model_validate(document)
    except ValidationError as error:
        raise InvalidCostBookError([problem_from_pydantic(detail) for detail in error.errors()]) from error
    if entry.deflators is not None and folder is None:
        raise InvalidCostBookError([NAMES_A_FILE])
    pricing = _Pricing(entry, folder, database or shipped_database())
    prices = [
        *pricing.prices(Kind.EVENT, "events", entry.events),
        *pricing.prices(Kind.INVOLVEMENT, "involvements", entry.involvements),
    ]
    problems = pricing.problems + _repeated(entry)
    if problems:
        raise InvalidCostBookError(problems)
    return CostBook(entry.name, financial_year_label(entry.base_year), tuple(prices), pricing.series_source)


def _repeated(entry: CostBookFile) -> list[FieldProblem]:
    problems = []
    for field, entries in (("events", entry.events), ("involvements", entry.involvements)):
        seen: set[tuple[str, str | None]] = set()
        for index, price in enumerate(entries):
            key = (price.type, price.source)
            if key in seen:
                problems.append(
                    FieldProblem(
                        (field, index, "type"),
                        f"{price.type!r} is priced twice{f' for {price.source}' if price.source else ''}",
                        "Keep one price for each type (and source).",
                    )
                )
            seen.add(key)
    return problems


class _Pricing:
    """Turns a well-formed file's entries into prices in the base year, collecting problems."""

    def __init__(self, entry: CostBookFile, folder: Path | None, database: UnitCostDatabase) -> None:
        self.entry, self.folder, self.database = entry, folder, database
        self.problems: list[FieldProblem] = []
        self._series: DeflatorSeries | None = None

    @property
    def series_source(self) -> str:
        return self._series.source if self._series else shipped_deflators().source

    def prices(self, kind: Kind, field: str, entries: list[PriceEntry]) -> list[Price]:
        found = [self._price(kind, (field, index), price) for index, price in enumerate(entries)]
        return [price for price in found if price is not None]

    def _price(self, kind: Kind, where: tuple[str, int], entry: PriceEntry) -> Price | None:
        if (entry.unit_cost_code is None) == (entry.amount is None):
            self._problem(where, "needs one of unit_cost_code and amount", "Give one of the two, not both.")
            return None
        try:
            if entry.unit_cost_code is not None:
                return self._from_database(kind, where, entry, entry.unit_cost_code)
            return self._own(kind, where, entry)
        except UnknownUnitCostError as error:
            self._problem((*where, "unit_cost_code"), str(error), "Search the unit costs for the right code.")
        except InvalidInputError as error:
            self._problem(where, error.problem, error.fix)
        return None

    def _from_database(self, kind: Kind, where: tuple[str, int], entry: PriceEntry, code: str) -> Price:
        cost = self.database.find(code)
        value = cost.value_in(self.entry.base_year, self._deflators()) * entry.times
        return Price(
            kind=kind,
            type=entry.type,
            source=entry.source,
            agency=entry.agency or cost.agency,
            amount=value,
            reference=f"{cost.reference}: {cost.description} ({cost.unit}, {cost.price_year_label} prices)",
            attribution=f"{ATTRIBUTION} ({EDITION})",
        )

    def _own(self, kind: Kind, where: tuple[str, int], entry: PriceEntry) -> Price | None:
        amount, year, agency, reference = entry.amount, entry.price_year, entry.agency, entry.reference
        if amount is None or year is None or agency is None or reference is None:
            for name in ("price_year", "agency", "reference"):
                if getattr(entry, name) is None:
                    self._problem((*where, name), "is needed with an amount", "")
            return None
        return Price(
            kind=kind,
            type=entry.type,
            source=entry.source,
            agency=agency,
            amount=amount * self._deflators().factor(year, self.entry.base_year) * entry.times,
            reference=f"{reference} ({financial_year_label(year)} prices)",
            attribution=f"place-specific cost: {reference}",
        )

    def _deflators(self) -> DeflatorSeries:
        if self._series is None:
            named = self.entry.deflators
            self._series = (
                read_series(self.folder / named) if named and self.folder is not None else shipped_deflators()
            )
        return self._series

    def _problem(self, path: tuple[str | int, ...], reason: str, fix: str) -> None:
        self.problems.append(FieldProblem(path, reason, fix))
