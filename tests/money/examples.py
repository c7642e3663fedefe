"""The issue's worked example as engine objects, with any field changed: one line per variation in the tests."""

from __future__ import annotations

from wholeplace.money.cba import Appraisal, BenefitType, Cost, CostType, Outcome


def outcome(**changes: object) -> Outcome:
    fields: dict[str, object] = {
        "name": "Fewer domestic-abuse incidents",
        "cohort": 120,
        "engagement": 0.8,
        "success": 0.3,
        "deadweight": 0.2,
        "unit_value": 2500,
        "benefit_type": BenefitType.FISCAL_CASHABLE,
        "beneficiary": "Riverford Police",
        "start_year": 1,
        "duration": 3,
        "drop_off": 0.1,
        "confidence": 1,
    }
    return Outcome(**{**fields, **changes})  # type: ignore[arg-type]


def cost(**changes: object) -> Cost:
    fields: dict[str, object] = {
        "agency": "Riverford Council",
        "type": CostType.REVENUE,
        "year": 0,
        "amount": 250_000,
        "confidence": 1,
    }
    return Cost(**{**fields, **changes})  # type: ignore[arg-type]


def family_intervention(**changes: object) -> Appraisal:
    fields: dict[str, object] = {
        "name": "Family intervention",
        "base_year": 2024,
        "years": 10,
        "costs": (cost(),),
        "outcomes": (outcome(),),
    }
    return Appraisal(**{**fields, **changes})  # type: ignore[arg-type]
