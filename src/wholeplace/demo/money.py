"""The demo place's two worked investment cases, kept through the money domain's own services as a finance lead
would keep them from the browser: family intervention for the households several agencies work with (its
cohort drawn from the linked data), and tenancy sustainment for families at risk of eviction. The unit values
are the demo's own, stated in the scenario and its notes, not figures to quote. And its pooled budget for early
help, written as a file and loaded as a finance lead would load it. Running it twice changes nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from wholeplace.demo.outcomes import COUNCIL
from wholeplace.money.service import cohorts, duplication, pooled_budgets, scenarios
from wholeplace.money.service.scenarios import DrawnCohortNote
from wholeplace.sources.lake import Lake

FINANCE_LEAD = "finance"  # Siobhan Murphy, the council's finance lead
POLICE = "Vale Police"
HOMES = "Riverford Homes"
SCHOOLS = "Riverford Schools"
HEALTH = "Riverford Health Partnership"
FAMILIES_QUERY = "households_with_agencies"
FAMILIES_PARAMETERS = {"agencies": "3"}
ENGAGED = 0.7  # of the families offered the service, the share the demo assumes take it up


def _family_intervention(cohort: int) -> dict[str, Any]:
    def outcome(name: str, unit_value: int, beneficiary: str, success: float, **more: Any) -> dict[str, Any]:
        return {
            "name": name,
            "cohort": cohort,
            "engagement": ENGAGED,
            "success": success,
            "deadweight": 0.2,
            "unit_value": unit_value,
            "benefit_type": "fiscal_cashable",
            "beneficiary": beneficiary,
            "start_year": 1,
            "duration": 3,
            "drop_off": 0.1,
            "confidence": 2,
            **more,
        }

    return {
        "name": "Family intervention for households several agencies work with",
        "base_year": 2025,
        "years": 5,
        "discounting": "green_book",
        "costs": [
            {
                "agency": COUNCIL,
                "type": "revenue",
                "year": year,
                "amount": 180_000 + 12 * cohort,
                "confidence": 1,
            }
            for year in range(3)
        ],
        "outcomes": [
            outcome("Fewer domestic abuse incidents", 2_500, POLICE, 0.3),
            outcome("Fewer emergency attendances", 400, HEALTH, 0.25),
            outcome("Children back in school", 1_800, SCHOOLS, 0.2, benefit_type="fiscal_non_cashable"),
            outcome("Parents into work", 6_000, COUNCIL, 0.1, benefit_type="economic", confidence=3),
        ],
    }


TENANCY_SUSTAINMENT = {
    "name": "Tenancy sustainment for families at risk of eviction",
    "base_year": 2025,
    "years": 5,
    "discounting": {"rate": 0.035},
    "costs": [
        {"agency": HOMES, "type": "revenue", "year": 0, "amount": 95_000, "confidence": 1},
        {"agency": HOMES, "type": "revenue", "year": 1, "amount": 95_000, "confidence": 1},
        {"agency": COUNCIL, "type": "in_kind", "year": 0, "amount": 20_000, "confidence": 2},
    ],
    "outcomes": [
        {
            "name": "Evictions avoided",
            "cohort": 60,
            "engagement": 0.85,
            "success": 0.5,
            "deadweight": 0.3,
            "unit_value": 7_000,
            "benefit_type": "fiscal_cashable",
            "beneficiary": HOMES,
            "start_year": 0,
            "duration": 2,
            "drop_off": 0.0,
            "confidence": 2,
        },
        {
            "name": "Homelessness applications avoided",
            "cohort": 60,
            "engagement": 0.85,
            "success": 0.35,
            "deadweight": 0.3,
            "unit_value": 9_500,
            "benefit_type": "fiscal_cashable",
            "beneficiary": COUNCIL,
            "start_year": 0,
            "duration": 3,
            "drop_off": 0.2,
            "confidence": 3,
        },
    ],
}


POOLED_BUDGET_FILE = "early-help-pooled-fund.yaml"
# Two quarters of spend are in, with each allocation's forecast for the year: domestic abuse early intervention
# is running hot, the rest are near budget, and the part of the pot not allocated is not spent.
POOLED_BUDGET = f"""\
name: Riverford Early Help Pooled Fund
financial_year: 2025-26
host: {COUNCIL}
risk_share: pro_rata
contributions:
  - {{partner: {COUNCIL}, amount: 900000}}
  - {{partner: Riverford Children's Services, amount: 450000}}
  - {{partner: {HEALTH}, amount: 300000}}
  - {{partner: {POLICE}, amount: 150000}}
  - {{partner: {HOMES}, amount: 100000}}
allocations:
  - name: Family key workers
    outcome: Families get help before problems grow
    lead: {COUNCIL}
    budget: 820000
    forecast: 830000
  - name: Domestic abuse early intervention
    outcome: Everyone is safe at home
    lead: {POLICE}
    budget: 380000
    forecast: 455000
  - name: Attendance support in schools
    outcome: Children attend school and learn
    lead: Riverford Children's Services
    budget: 310000
    forecast: 300000
  - name: Tenancy sustainment
    outcome: Families get help before problems grow
    lead: {HOMES}
    budget: 240000
    forecast: 236000
spend:
  - {{allocation: Family key workers, period: Q1, amount: 201450.00}}
  - {{allocation: Domestic abuse early intervention, period: Q1, amount: 104300.00}}
  - {{allocation: Attendance support in schools, period: Q1, amount: 71820.50}}
  - {{allocation: Tenancy sustainment, period: Q1, amount: 58900.00}}
  - {{allocation: Family key workers, period: Q2, amount: 209875.25}}
  - {{allocation: Domestic abuse early intervention, period: Q2, amount: 118640.00}}
  - {{allocation: Attendance support in schools, period: Q2, amount: 76210.00}}
  - {{allocation: Tenancy sustainment, period: Q2, amount: 61340.75}}
  - {{allocation: Tenancy sustainment, period: Q2, amount: -2500.00}}  # a deposit returned
"""


COST_BOOK_FILE = "cost-book.yaml"
COST_BOOK = f"""\
# What Riverford's linked events and involvements cost, in 2013-14 prices: the Unit Cost Database's own base
# year, so that no GDP deflator past its series is needed. Types left out (child protection, benefits) are
# reported as not costed.
name: Riverford cost book
base_year: 2013-14
events:
  - {{type: domestic_abuse_incident, unit_cost_code: CR2.0.3, agency: {POLICE}}}
  - {{type: antisocial_behaviour, unit_cost_code: CR1.1, agency: {POLICE}}}
  - {{type: crime, unit_cost_code: CR6.0, agency: {POLICE}}}  # an arrest for each crime a person is recorded in
  - {{type: emergency_attendance, unit_cost_code: HE3.0, agency: {HEALTH}}}
  - {{type: homelessness_application, unit_cost_code: HO3.0, agency: {COUNCIL}}}
  - {{type: eviction, unit_cost_code: HO1.0, agency: {HOMES}}}
  - {{type: school_exclusion, unit_cost_code: E&S2.0.1, agency: {COUNCIL}}}
  - {{type: persistent_absence, unit_cost_code: E&S1.0.1, agency: {COUNCIL}}}
involvements:
  - {{type: looked_after, unit_cost_code: SS1.0, agency: Riverford Children's Services}}
  - {{type: child_in_need, unit_cost_code: SS5.0.3, times: 12, agency: Riverford Children's Services}}  # monthly
  - {{type: Community Order, unit_cost_code: CR3.2, agency: Vale Probation Service}}
  - {{type: Licence, unit_cost_code: CR3.2, agency: Vale Probation Service}}
  - {{type: Residential care, unit_cost_code: SS7.1, times: 52, agency: Riverford Adult Social Care}}
  - {{type: Reablement, unit_cost_code: SS11.0, agency: Riverford Adult Social Care}}
  - {{type: Day care, unit_cost_code: HE18.0, times: 104, agency: Riverford Adult Social Care}}  # two sessions a week
"""


def write_cost_book(folder: Path) -> Path:
    """The demo's cost book, beside its pooled budget, for `wholeplace spend duplication`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / COST_BOOK_FILE
    path.write_text(COST_BOOK, encoding="utf-8")
    return path


def build_cost_book(db: Session, *, folder: Path, now: datetime) -> None:
    """Write the cost book's file and keep it as the place's unless the place has one."""
    path = write_cost_book(folder)
    if duplication.current_book(db) is None:
        duplication.load_book(db, text=COST_BOOK, file_name=path.name, by=FINANCE_LEAD, at=now)


def build_pooled_budget(db: Session, *, folder: Path, now: datetime) -> int:
    """Write the pooled budget's file and load it unless the place has pooled budgets; return how many it has."""
    if not pooled_budgets.current(db):
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / POOLED_BUDGET_FILE
        path.write_text(POOLED_BUDGET, encoding="utf-8")
        pooled_budgets.load(db, text=POOLED_BUDGET, file_name=path.name, by=FINANCE_LEAD, at=now)
    return len(pooled_budgets.current(db))


def build_money(db: Session, lake: Lake, *, now: datetime) -> int:
    """Keep the two cases unless the place has cases already; return how many it has."""
    if not scenarios.list_scenarios(db):
        drawn = cohorts.draw(db, lake, FAMILIES_QUERY, FAMILIES_PARAMETERS)
        note = DrawnCohortNote(
            count=drawn.count, description=drawn.description, drawn_at=now.date().isoformat()
        )
        family = _family_intervention(drawn.count)
        scenarios.save(
            db,
            body=family,
            cohorts=dict.fromkeys(range(len(family["outcomes"])), note),
            how="Built for the demo",
            by=FINANCE_LEAD,
            at=now,
        )
        scenarios.save(db, body=TENANCY_SUSTAINMENT, how="Built for the demo", by=FINANCE_LEAD, at=now)
    return len(scenarios.list_scenarios(db))
