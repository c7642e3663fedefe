"""The demo place's outcomes framework, made through the outcomes domain's own services: Riverford's priority
results with indicators computed from the linked data, the programmes that serve them with their performance
measures (one rolled up from the closed shared plans, one imported from a performance return), each agency's
rating of its contribution, a turn-the-curve review, and the partnerships that own the results and oversee the
programmes. Running it twice changes nothing."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from wholeplace.core import service as core
from wholeplace.core.models import Agency
from wholeplace.outcomes.models import Measure, Result
from wholeplace.outcomes.schemas import (
    Accountability,
    Action,
    ActionStatus,
    Baseline,
    ContributionLevel,
    Cost,
    Idea,
    MeasureKind,
    Partner,
    PartnershipTerms,
)
from wholeplace.outcomes.service import contributions, curves, definitions, framework, partnerships, values
from wholeplace.outcomes.spc import Polarity

PROGRAMME_MANAGER = "programme"  # Owen Davies, the council's partnership and performance lead
ANALYST = "analyst"
LEAD = "lead"
COUNCIL = "Riverford Borough Council"
LOWER, HIGHER = Polarity.LOWER_IS_BETTER, Polarity.HIGHER_IS_BETTER


@dataclass(frozen=True)
class Computed:
    """How an indicator's values are computed: a definition key of the outcomes registry and its parameters."""

    key: str
    description: str
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoMeasure:
    title: str
    polarity: Polarity
    unit: str
    owner: str
    computed: Computed | None = None
    kind: MeasureKind = MeasureKind.INDICATOR
    baseline: tuple[str, str] | None = None  # (period, value)
    targets: Mapping[str, str] = field(default_factory=dict)
    data_agenda_note: str = ""


@dataclass(frozen=True)
class DemoResult:
    title: str
    owner: str
    indicators: tuple[DemoMeasure, ...]
    is_priority: bool = True
    population_group: str | None = None


@dataclass(frozen=True)
class DemoProgramme:
    agency: str
    name: str
    description: str
    owner: str
    measures: tuple[DemoMeasure, ...]


RESULTS = (
    DemoResult(
        "Children attend school and learn",
        PROGRAMME_MANAGER,
        (
            DemoMeasure(
                "Pupils persistently absent",
                LOWER,
                "% of pupils",
                ANALYST,
                Computed(
                    "share_of_people_with_event",
                    "Pupils the schools flag as persistently absent, as a share of pupils on roll.",
                    {"event_type": "persistent_absence", "population_source": "schools"},
                ),
            ),
        ),
        population_group="Children and young people",
    ),
    DemoResult(
        "Everyone is safe at home",
        PROGRAMME_MANAGER,
        (
            DemoMeasure(
                "Victims of domestic abuse with a repeat incident within 12 months",
                LOWER,
                "% of victims",
                ANALYST,
                Computed(
                    "repeat_events_within",
                    "Victims of a domestic abuse incident who had a further one within 12 months.",
                    {"event_type": "domestic_abuse_incident", "role": "victim", "months": 12},
                ),
                targets={"2025/26": "20"},
            ),
        ),
    ),
    DemoResult(
        "Families get help before problems grow",
        PROGRAMME_MANAGER,
        (
            DemoMeasure(
                "Households with three or more needs",
                LOWER,
                "households",
                ANALYST,
                Computed(
                    "households_with_needs",
                    "Households whose members' records signal three or more areas of need in the year.",
                    {"at_least": 3},
                ),
            ),
        ),
    ),
    DemoResult(
        "Residents live healthy lives",
        PROGRAMME_MANAGER,
        (
            DemoMeasure(
                "Emergency department attendances per 1,000 residents",
                LOWER,
                "per 1,000 residents",
                ANALYST,
                Computed(
                    "events_per_thousand",
                    "Emergency department attendances per 1,000 residents.",
                    {"event_type": "emergency_attendance"},
                ),
            ),
        ),
    ),
    DemoResult(
        "Everyone has a secure home",
        PROGRAMME_MANAGER,
        (
            DemoMeasure(
                "Families in temporary accommodation",
                LOWER,
                "families",
                PROGRAMME_MANAGER,
                data_agenda_note=(
                    "Riverford Homes' temporary accommodation register is not yet shared; the housing options "
                    "team is asking for a monthly extract."
                ),
            ),
        ),
        is_priority=False,
    ),
)

EARLY_HELP = DemoProgramme(
    COUNCIL,
    "Early Help family support",
    "A lead professional and one shared plan for each family with several needs.",
    PROGRAMME_MANAGER,
    (
        DemoMeasure(
            "Families whose shared plan closed",
            HIGHER,
            "families",
            LEAD,
            Computed(
                "closed_plans",
                "Families whose shared plan, with an early help action, closed in the year.",
                {"agency": COUNCIL},
            ),
            kind=MeasureKind.HOW_MUCH,
        ),
        DemoMeasure(
            "Needs met when the plan closed",
            HIGHER,
            "% of needs",
            LEAD,
            Computed(
                "closed_plan_outcomes",
                "Needs of closed plans with an early help action that were achieved, as a share of their needs.",
                {"agency": COUNCIL, "counted": ["achieved"]},
            ),
            kind=MeasureKind.BETTER_OFF,
        ),
    ),
)
ATTENDANCE = DemoProgramme(
    "Riverford Schools",
    "Attendance support",
    "The inclusion and attendance team's work with pupils missing school and their families.",
    PROGRAMME_MANAGER,
    (
        DemoMeasure("Pupils given an attendance plan", HIGHER, "pupils", ANALYST, kind=MeasureKind.HOW_MUCH),
        DemoMeasure(
            "Attendance plans reviewed on time", HIGHER, "% of plans", ANALYST, kind=MeasureKind.HOW_WELL
        ),
    ),
)
PROGRAMMES = (EARLY_HELP, ATTENDANCE)
# The schools' own performance return, as their system reports it: what the framework imports from a file.
RETURN_SERIES = {
    "Pupils given an attendance plan": ["212", "238", "251"],
    "Attendance plans reviewed on time": ["71.5", "76.0", "83.5"],
}
RETURN_YEARS = ["2023/24", "2024/25", "2025/26"]
CONTRIBUTIONS = {
    "Riverford Schools": {"Children attend school and learn": ContributionLevel.LEAD},
    "Vale Police": {"Everyone is safe at home": ContributionLevel.LEAD},
    "Riverford Family Action": {
        "Everyone is safe at home": ContributionLevel.SIGNIFICANT,
        "Families get help before problems grow": ContributionLevel.SIGNIFICANT,
    },
    COUNCIL: {
        "Families get help before problems grow": ContributionLevel.LEAD,
        "Children attend school and learn": ContributionLevel.MINOR,
    },
    "Riverford Health Partnership": {"Residents live healthy lives": ContributionLevel.LEAD},
}
LINKED_MEASURES = {
    (COUNCIL, "Families get help before problems grow"): (
        "Families whose shared plan closed",
        "Needs met when the plan closed",
    ),
    ("Riverford Schools", "Children attend school and learn"): (
        "Pupils given an attendance plan",
        "Attendance plans reviewed on time",
    ),
}


@dataclass(frozen=True)
class DemoPartnership:
    name: str
    purpose: str
    chair: str
    members: tuple[str, ...]  # agencies, by name
    results: tuple[str, ...]  # by title
    programmes: tuple[str, ...] = ()  # by name


PARTNERSHIPS = (
    DemoPartnership(
        "Riverford Children and Families Partnership",
        "The agencies that work with Riverford's children and families, agreeing together how children get to "
        "school and learn there, and how families get help before their problems grow.",
        PROGRAMME_MANAGER,
        ("Riverford Schools", "Riverford Children's Services", COUNCIL, "Riverford Health Partnership"),
        ("Children attend school and learn", "Families get help before problems grow"),
        (EARLY_HELP.name, ATTENDANCE.name),
    ),
    DemoPartnership(
        "Riverford Community Safety Partnership",
        "The agencies that keep Riverford's residents safe, at home first: fewer victims of domestic abuse, and "
        "fewer of them harmed again.",
        PROGRAMME_MANAGER,
        ("Vale Police", COUNCIL, "Vale Probation Service", "Riverford Homes"),
        ("Everyone is safe at home",),
    ),
)


@dataclass(frozen=True)
class OutcomesSummary:
    results: int
    measures: int
    partnerships: int


def build_outcomes(db: Session, *, work: Path, now: datetime) -> OutcomesSummary:
    """Make the framework unless the place has one; return what it holds."""
    if not framework.results(db):
        made = {demo.title: _result(db, demo, now) for demo in RESULTS}
        measures = {demo.name: _programme(db, demo, now) for demo in PROGRAMMES}
        _import_return(db, measures["Attendance support"], work=work, now=now)
        _rate_contributions(db, made, now)
        _review_absence_curve(db, made["Children attend school and learn"], now)
    _form_partnerships(db, now)
    return OutcomesSummary(
        results=len(framework.results(db)),
        measures=sum(len(framework.indicators_of(db, one.id)) for one in framework.results(db))
        + sum(len(framework.measures_of(db, one.id)) for one in framework.programmes(db)),
        partnerships=len(partnerships.partnerships(db)),
    )


def _accountability(demo: DemoMeasure) -> Accountability:
    return Accountability(
        owner=demo.owner,
        polarity=demo.polarity,
        unit=demo.unit,
        baseline=Baseline(period=demo.baseline[0], value=Decimal(demo.baseline[1]))
        if demo.baseline
        else None,
        targets={period: Decimal(value) for period, value in demo.targets.items()},
        on_data_agenda=bool(demo.data_agenda_note),
        data_agenda_note=demo.data_agenda_note,
    )


def _result(db: Session, demo: DemoResult, now: datetime) -> Result:
    result = framework.add_result(
        db,
        title=demo.title,
        population_group=demo.population_group,
        is_priority=demo.is_priority,
        accountability=Accountability(owner=demo.owner, polarity=HIGHER, unit="the partners' judgement"),
        by=PROGRAMME_MANAGER,
        at=now,
    )
    for indicator in demo.indicators:
        measure = framework.add_indicator(
            db,
            result_id=result.id,
            title=indicator.title,
            accountability=_accountability(indicator),
            by=PROGRAMME_MANAGER,
            at=now,
        )
        _define(db, measure, indicator, now)
    return result


def _programme(db: Session, demo: DemoProgramme, now: datetime) -> dict[str, Measure]:
    agency = core.find_agency(db, demo.agency)
    assert agency is not None, f"the demo has no agency {demo.agency}"
    programme = framework.add_programme(
        db,
        agency_id=agency.id,
        name=demo.name,
        description=demo.description,
        owner=demo.owner,
        by=PROGRAMME_MANAGER,
        at=now,
    )
    made = {}
    for one in demo.measures:
        measure = framework.add_performance_measure(
            db,
            programme_id=programme.id,
            kind=one.kind,
            title=one.title,
            accountability=_accountability(one),
            by=PROGRAMME_MANAGER,
            at=now,
        )
        _define(db, measure, one, now)
        made[one.title] = measure
    return made


def _define(db: Session, measure: Measure, demo: DemoMeasure, now: datetime) -> None:
    if demo.computed is not None:
        definitions.define_computation(
            db,
            measure_id=measure.id,
            key=demo.computed.key,
            parameters=demo.computed.parameters,
            description=demo.computed.description,
            reason="",
            by=ANALYST,
            at=now,
        )


def _import_return(db: Session, measures: Mapping[str, Measure], *, work: Path, now: datetime) -> None:
    """The schools' performance return arrives as a file, one per measure, and is imported as any would be."""
    work.mkdir(parents=True, exist_ok=True)
    for title, series in RETURN_SERIES.items():
        path = work / f"{measures[title].id}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["period", "value"])
            writer.writerows(zip(RETURN_YEARS, series, strict=True))
        values.import_values(db, measure_id=measures[title].id, path=path, by=ANALYST, at=now)


def _rate_contributions(db: Session, results: Mapping[str, Result], now: datetime) -> None:
    for agency_name, ratings in CONTRIBUTIONS.items():
        agency = core.find_agency(db, agency_name)
        assert agency is not None, f"the demo has no agency {agency_name}"
        for title, level in ratings.items():
            linked = LINKED_MEASURES.get((agency_name, title), ())
            contributions.rate_contribution(
                db,
                agency_id=agency.id,
                result_id=results[title].id,
                level=level,
                measure_ids=[_measure_titled(db, agency.id, name).id for name in linked],
                by=PROGRAMME_MANAGER,
                at=now,
            )


def _measure_titled(db: Session, agency_id: uuid.UUID, title: str) -> Measure:
    for programme in framework.programmes(db):
        if programme.agency_id == agency_id:
            for measure in framework.measures_of(db, programme.id):
                if measure.title == title:
                    return measure
    raise LookupError(title)


def _review_absence_curve(db: Session, result: Result, now: datetime) -> None:
    [indicator] = framework.indicators_of(db, result.id)
    curves.review_curve(
        db,
        measure_id=indicator.id,
        reviewed_on=date(2026, 3, 12) if now.date() >= date(2026, 3, 12) else now.date(),
        story=(
            "Absence rose after the pandemic and has not come back down. Families tell us that anxiety, "
            "children's health and housing moves are the main reasons; the pupils most often absent live in "
            "the neighbourhoods with the most need."
        ),
        partners=[
            Partner(
                "Riverford Schools", "Attendance leads meet families early, before fines are considered."
            ),
            Partner("Riverford Health Partnership", "School nurses see pupils absent for health reasons."),
            Partner("Riverford Homes", "Tells schools when a family moves or is at risk of eviction."),
        ],
        what_works=[
            Idea("A named adult in school who checks in each morning", Cost.NO_COST),
            Idea("Text messages to parents on the first day of absence", Cost.LOW_COST),
            Idea("Early help assessment for pupils absent 10% of sessions", Cost.OTHER),
        ],
        actions=[
            Action(
                "Share the persistent absence list with early help each month",
                "Priya Nair",
                date(2026, 6, 30),
                ActionStatus.DONE,
            ),
            Action(
                "Pilot morning check-ins in the three schools with most absence",
                "Schools' attendance lead",
                status=ActionStatus.UNDER_WAY,
            ),
        ],
        by=PROGRAMME_MANAGER,
        at=now,
    )


def _form_partnerships(db: Session, now: datetime) -> None:
    """Add each demo partnership the place does not have yet, with the framework's results and programmes."""
    formed = {one.name for one in partnerships.partnerships(db)}
    results = {one.title: one.id for one in framework.results(db)}
    programmes = {one.name: one.id for one in framework.programmes(db)}
    for demo in PARTNERSHIPS:
        if demo.name in formed:
            continue
        partnerships.add_partnership(
            db,
            terms=PartnershipTerms(
                name=demo.name,
                purpose=demo.purpose,
                chair=demo.chair,
                member_ids=[_agency_named(db, name).id for name in demo.members],
                result_ids=[results[title] for title in demo.results],
                programme_ids=[programmes[name] for name in demo.programmes],
            ),
            by=PROGRAMME_MANAGER,
            at=now,
        )


def _agency_named(db: Session, name: str) -> Agency:
    agency = core.find_agency(db, name)
    assert agency is not None, f"the demo has no agency {name}"
    return agency
