"""The demo place's two worked investment cases, kept through the money domain's own services as a finance lead
would keep them from the browser: family intervention for the households several agencies work with (its
cohort drawn from the linked data), and tenancy sustainment for families at risk of eviction. The unit values
are the demo's own, stated in the scenario and its notes, not figures to quote. Running it twice changes
nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from wholeplace.demo.outcomes import COUNCIL
from wholeplace.money.service import cohorts, scenarios
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
