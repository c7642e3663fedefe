"""A scenario file: the YAML a finance lead writes for `wholeplace cba run`. It is checked whole, every problem
named by its field (outcomes[0].success) and line with the reason, and turned into an appraisal, the stated
distributions of its inputs, and the unit costs it uses, looked up in the Unit Cost Database (or the scenario's
own place-specific unit costs) and uprated to the base year with a GDP deflator series.

A number may be given as a range for sensitivity and Monte Carlo, `{low: 0.2, mode: 0.3, high: 0.4}` (triangular)
or `{low: 0.2, high: 0.4, distribution: uniform}`; the appraisal itself uses the mode, or a uniform range's middle.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError

from wholeplace.core.errors import InvalidInputError
from wholeplace.money.cba import (
    Appraisal,
    BenefitType,
    Cost,
    CostType,
    Discounting,
    FlatRate,
    GreenBook,
    Input,
    Outcome,
)
from wholeplace.money.deflators import DeflatorSeries, financial_year_label, read_series
from wholeplace.money.deflators import shipped_series as shipped_deflators
from wholeplace.money.monte_carlo import Distribution, Shape
from wholeplace.money.optimism_bias import DEFAULT as DEFAULT_OPTIMISM_BIAS
from wholeplace.money.optimism_bias import GRADES, OptimismBias
from wholeplace.money.unit_costs import (
    ATTRIBUTION,
    EDITION,
    Flag,
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

Quantity = float | Distribution
RANGE_EXAMPLE = "{low: 0.2, mode: 0.3, high: 0.4}"


# ---------------------------------------------------------------- the file's shape


def _quantity(value: object, *, share: bool) -> Quantity:
    """A number, or a range of numbers; a share between 0 and 1, anything else at least 0."""
    if isinstance(value, dict):
        return _range(value, share=share)
    number = _number(value)
    _check_bounds(number, share=share)
    return number


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number, or a range such as {RANGE_EXAMPLE}")
    return float(value)


def _range(value: dict[Any, Any], *, share: bool) -> Distribution:
    unknown = sorted(str(key) for key in value if key not in {"low", "mode", "high", "distribution"})
    if unknown:
        raise ValueError(f"a range has low, mode, high and distribution, not {', '.join(unknown)}")
    missing = [key for key in ("low", "high") if key not in value]
    if missing:
        raise ValueError(f"a range needs {' and '.join(missing)}, as in {RANGE_EXAMPLE}")
    shape = value.get("distribution", Shape.TRIANGULAR.value)
    if shape not in {kind.value for kind in Shape}:
        raise ValueError(f"the distribution must be triangular or uniform, not {shape!r}")
    ends = {key: _number(value[key]) for key in ("low", "mode", "high") if key in value}
    for number in ends.values():
        _check_bounds(number, share=share)
    return Distribution(ends["low"], ends["high"], ends.get("mode"), Shape(shape))


def _check_bounds(number: float, *, share: bool) -> None:
    if share and not 0 <= number <= 1:
        raise ValueError(f"must be between 0 and 1 (a share: 0.3 is 30%); it is {number:g}")
    if not share and not number >= 0:
        raise ValueError(f"must be at least 0; it is {number:g}")


def _grade(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in GRADES:
        raise ValueError("must be a confidence grade: a whole number from 1 (most confident) to 6 (least)")
    return value


def _discounting(value: object) -> Discounting:
    if value == "green_book":
        return GreenBook()
    if isinstance(value, dict) and set(value) == {"rate"}:
        rate = _number(value["rate"])
        if not 0 <= rate < 1:
            raise ValueError(f"the rate must be at least 0 and below 1 (0.035 is 3.5%); it is {rate:g}")
        return FlatRate(rate)
    raise ValueError("must be green_book, or a flat rate such as {rate: 0.035}")


Amount = Annotated[Quantity, PlainValidator(lambda value: _quantity(value, share=False))]
Share = Annotated[Quantity, PlainValidator(lambda value: _quantity(value, share=True))]
Grade = Annotated[int, PlainValidator(_grade)]
Text = Annotated[str, Field(min_length=1)]
Year = Annotated[int, Field(ge=0)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class CostEntry(_Entry):
    agency: Text
    type: CostType
    year: Year
    amount: Amount
    confidence: Grade


class OutcomeEntry(_Entry):
    name: Text
    cohort: Amount
    engagement: Share
    success: Share
    deadweight: Share
    unit_value: Amount | None = None
    unit_cost_code: Text | None = None
    benefit_type: BenefitType
    beneficiary: Text | None = None
    start_year: Year
    duration: Annotated[int, Field(ge=1)]
    drop_off: Share = 0.0
    confidence: Grade


class LocalUnitCostEntry(_Entry):
    """A place's own unit cost, kept with its source and the database's kind of confidence flag."""

    code: Text
    description: Text
    agency: Text
    unit: Text
    value: Annotated[float, Field(ge=0)]
    price_year: FinancialYear
    source: Text
    flag: Flag


class ScenarioFile(_Entry):
    name: Text
    base_year: Annotated[int, Field(ge=1900, le=2200)]
    years: Annotated[int, Field(ge=1, le=1000)]
    discounting: Annotated[Discounting, PlainValidator(_discounting)] = GreenBook()
    costs: list[CostEntry]
    outcomes: list[OutcomeEntry]
    optimism_bias: dict[Grade, Annotated[float, Field(ge=0, lt=1)]] | None = None
    unit_costs: list[LocalUnitCostEntry] = []
    deflators: Text | None = None


# ---------------------------------------------------------------- the result


@dataclass(frozen=True)
class UsedUnitCost:
    """A unit cost an outcome takes its value from, with what must be shown beside it."""

    outcome: str
    reference: str
    description: str
    agency: str
    unit: str
    original_value: float
    price_year: str
    value: float  # in base-year prices
    flag: Flag
    source: str
    attribution: str


@dataclass(frozen=True)
class Scenario:
    path: Path
    appraisal: Appraisal
    distributions: Mapping[Input, Distribution] = field(default_factory=dict)
    unit_costs: tuple[UsedUnitCost, ...] = ()
    deflators: DeflatorSeries | None = None  # the series that uprated its unit costs, if any did


class InvalidScenarioError(ValueError):
    """Every problem of a scenario's fields, found at once."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        super().__init__(f"The scenario has {len(problems)} problem{'s' if len(problems) != 1 else ''}.")
        self.problems = tuple(problems)


def load_scenario(
    path: Path, *, deflators: Path | None = None, database: UnitCostDatabase | None = None
) -> Scenario:
    """The scenario in the file, or an error listing every problem by field and line. `deflators` (a CSV)
    replaces the scenario's own `deflators:` and the shipped series."""
    return scenario_from_text(read_text(path), path=path, deflators=deflators, database=database)


def scenario_from_text(
    text: str,
    *,
    path: Path,
    deflators: Path | None = None,
    database: UnitCostDatabase | None = None,
    place_unit_costs: Sequence[LocalUnitCostEntry] = (),
) -> Scenario:
    """The scenario a file's text describes (`path`: where it comes from), or an error listing every problem
    by field and line."""
    try:
        return resolve_document(
            read_document(
                path,
                text,
                what="A scenario is a set of fields (name, base_year, years, costs, outcomes, ...)",
            ),
            path=path,
            deflators=deflators,
            database=database,
            place_unit_costs=place_unit_costs,
        )
    except InvalidScenarioError as error:
        raise problems_error(path, text, error.problems, what="scenario") from error


def resolve_document(
    document: Mapping[str, Any],
    *,
    path: Path,
    deflators: Path | None = None,
    database: UnitCostDatabase | None = None,
    place_unit_costs: Sequence[LocalUnitCostEntry] = (),
) -> Scenario:
    """The scenario a document (a scenario file's fields, as YAML reads them) describes, or InvalidScenarioError
    naming every problem by its field. `path` is where it is said to come from; `place_unit_costs` are unit
    costs the place keeps, usable by code as the scenario's own `unit_costs` are (which win on the same code)."""
    try:
        entry = ScenarioFile.model_validate(document)
    except ValidationError as error:
        raise InvalidScenarioError([problem_from_pydantic(detail) for detail in error.errors()]) from error
    resolver = _Resolver(path, entry, deflators, database, place_unit_costs)
    problems = list(_horizon_problems(entry)) + list(resolver.problems())
    if problems:
        raise InvalidScenarioError(problems)
    return resolver.scenario()


def _horizon_problems(entry: ScenarioFile) -> Iterator[FieldProblem]:
    years = f"the appraisal's years run from 0 (the base year) to {entry.years - 1}"
    for index, cost in enumerate(entry.costs):
        if cost.year >= entry.years:
            yield FieldProblem(("costs", index, "year"), f"{cost.year} is outside the appraisal: {years}")
    for index, outcome in enumerate(entry.outcomes):
        if outcome.start_year >= entry.years:
            yield FieldProblem(
                ("outcomes", index, "start_year"), f"{outcome.start_year} is outside the appraisal: {years}"
            )


class _Resolver:
    """Turns a well-formed scenario file into an appraisal: unit costs found and uprated, problems collected."""

    def __init__(
        self,
        path: Path,
        entry: ScenarioFile,
        deflators: Path | None,
        database: UnitCostDatabase | None,
        place_unit_costs: Sequence[LocalUnitCostEntry] = (),
    ) -> None:
        self.path = path
        self.entry = entry
        self.place_unit_costs = place_unit_costs
        self.deflators_file = deflators or (path.parent / entry.deflators if entry.deflators else None)
        self.database = database
        self._deflators: DeflatorSeries | None = None
        self._problems: list[FieldProblem] = []
        self._used: list[UsedUnitCost] = []
        self._values = [self._unit_value(index, outcome) for index, outcome in enumerate(entry.outcomes)]
        self._optimism_bias = self._optimism_bias_table()

    def problems(self) -> list[FieldProblem]:
        return self._problems

    def scenario(self) -> Scenario:
        entry = self.entry
        costs = tuple(
            Cost(cost.agency, cost.type, cost.year, _central(cost.amount), cost.confidence)
            for cost in entry.costs
        )
        outcomes = tuple(
            self._outcome(outcome, value) for outcome, value in zip(entry.outcomes, self._values, strict=True)
        )
        appraisal = Appraisal(
            name=entry.name,
            base_year=entry.base_year,
            years=entry.years,
            costs=costs,
            outcomes=outcomes,
            discounting=entry.discounting,
            optimism_bias=self._optimism_bias,
        )
        return Scenario(self.path, appraisal, self._distributions(), tuple(self._used), self._deflators)

    def _outcome(self, outcome: OutcomeEntry, value: tuple[Quantity, str]) -> Outcome:
        unit_value, default_beneficiary = value
        return Outcome(
            name=outcome.name,
            cohort=_central(outcome.cohort),
            engagement=_central(outcome.engagement),
            success=_central(outcome.success),
            deadweight=_central(outcome.deadweight),
            unit_value=_central(unit_value),
            benefit_type=outcome.benefit_type,
            beneficiary=outcome.beneficiary or default_beneficiary,
            start_year=outcome.start_year,
            duration=outcome.duration,
            drop_off=_central(outcome.drop_off),
            confidence=outcome.confidence,
        )

    def _distributions(self) -> dict[Input, Distribution]:
        stated: dict[Input, Distribution] = {}
        for index, outcome in enumerate(self.entry.outcomes):
            for name in ("cohort", "engagement", "success", "deadweight", "unit_value", "drop_off"):
                value = getattr(outcome, name)
                if isinstance(value, Distribution):
                    stated[Input("outcomes", index, name)] = value
        for index, cost in enumerate(self.entry.costs):
            if isinstance(cost.amount, Distribution):
                stated[Input("costs", index, "amount")] = cost.amount
        return stated

    def _unit_value(self, index: int, outcome: OutcomeEntry) -> tuple[Quantity, str]:
        """The outcome's unit value and the agency it is credited to when no beneficiary is named."""
        where = ("outcomes", index)
        if (outcome.unit_value is None) == (outcome.unit_cost_code is None):
            both = outcome.unit_value is not None
            self._problems.append(
                FieldProblem(
                    (*where, "unit_value"),
                    "give either unit_value or unit_cost_code, not both" if both else "is missing",
                    fix=""
                    if both
                    else "Give unit_value (pounds a year in base-year prices) or unit_cost_code.",
                )
            )
            return 0.0, ""
        if outcome.unit_value is not None:
            if outcome.beneficiary is None:
                self._problems.append(
                    FieldProblem(
                        (*where, "beneficiary"),
                        "is missing: with a unit_value, say which agency gains",
                        fix="It defaults to the unit cost's agency only when unit_cost_code is used.",
                    )
                )
            return outcome.unit_value, ""
        return self._from_unit_cost(index, outcome, outcome.unit_cost_code or "")

    def _from_unit_cost(self, index: int, outcome: OutcomeEntry, code: str) -> tuple[Quantity, str]:
        where = ("outcomes", index, "unit_cost_code")
        local = {cost.code.casefold(): cost for cost in (*self.place_unit_costs, *self.entry.unit_costs)}
        try:
            if code.casefold() in local:
                used = self._local(outcome.name, local[code.casefold()])
            else:
                used = self._from_database(outcome.name, code)
        except UnknownUnitCostError as error:
            self._problems.append(
                FieldProblem(
                    where,
                    str(error),
                    fix="Search the database with `wholeplace cba unit-costs WORDS`, or add a place-specific "
                    "unit cost under unit_costs.",
                )
            )
            return 0.0, ""
        except InvalidInputError as error:
            self._problems.append(FieldProblem(where, error.problem, fix=error.fix))
            return 0.0, ""
        self._used.append(used)
        return used.value, used.agency

    def _from_database(self, outcome: str, code: str) -> UsedUnitCost:
        cost = (self.database or shipped_database()).find(code)
        return UsedUnitCost(
            outcome=outcome,
            reference=cost.reference,
            description=cost.description,
            agency=cost.agency,
            unit=cost.unit,
            original_value=float(cost.original_value),
            price_year=cost.price_year_label,
            value=cost.value_in(self.entry.base_year, self._series()),
            flag=cost.flag,
            source=cost.source,
            attribution=f"{ATTRIBUTION} ({EDITION})",
        )

    def _local(self, outcome: str, cost: LocalUnitCostEntry) -> UsedUnitCost:
        factor = self._series().factor(cost.price_year, self.entry.base_year)
        return UsedUnitCost(
            outcome=outcome,
            reference=cost.code,
            description=cost.description,
            agency=cost.agency,
            unit=cost.unit,
            original_value=cost.value,
            price_year=financial_year_label(cost.price_year),
            value=cost.value * factor,
            flag=cost.flag,
            source=cost.source,
            attribution=f"place-specific unit cost: {cost.source}",
        )

    def _series(self) -> DeflatorSeries:
        """The deflator series, read when a unit cost first needs one."""
        if self._deflators is None:
            self._deflators = read_series(self.deflators_file) if self.deflators_file else shipped_deflators()
        return self._deflators

    def _optimism_bias_table(self) -> OptimismBias:
        overrides = self.entry.optimism_bias
        if not overrides:
            return DEFAULT_OPTIMISM_BIAS
        try:
            return DEFAULT_OPTIMISM_BIAS.overridden(overrides, source=f"{self.path.name} (optimism_bias)")
        except ValueError as error:
            self._problems.append(FieldProblem(("optimism_bias",), str(error)))
            return DEFAULT_OPTIMISM_BIAS


def _central(value: Quantity) -> float:
    return value.central if isinstance(value, Distribution) else value
