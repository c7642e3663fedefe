"""Each agency's annual spend by service, placed in neighbourhoods where it can be, by theme, by whether it
prevents or responds, and by what it pays for (inputs, activities, outputs or outcomes). Figures are pounds per
resident a year (2025-26 prices) scaled to the place; see docs/demo-place.md for where each comes from."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from wholeplace.demo.generate.calendar import FINANCIAL_YEARS
from wholeplace.demo.generate.extract import Extract
from wholeplace.demo.generate.world import World

PRICE_INDEX = (0.935, 0.965, 1.0)  # each year's prices relative to 2025-26 (about 3% a year)
UNPLACED = None


@dataclass(frozen=True)
class Service:
    agency: str
    service: str
    per_head: float  # pounds per resident a year, 2025-26 prices
    cost_type: str  # staff, running, placements, transfer_payments, in_kind
    theme: str  # an outcome area, or "universal"
    prevents: bool
    placed_by: str | None  # "residents", "children", "older_people", an extract's source name, or None
    focus: str  # what it pays for: inputs, activities, outputs or outcomes (the standard's spend line focus)


SERVICES = (
    Service(
        "Riverford Schools",
        "Primary and secondary teaching",
        950,
        "staff",
        "education",
        True,
        "children",
        "outputs",
    ),
    Service(
        "Riverford Schools",
        "Special educational needs and high needs",
        170,
        "placements",
        "education",
        False,
        "children",
        "outputs",
    ),
    Service(
        "Riverford Schools",
        "Attendance and inclusion",
        20,
        "staff",
        "education",
        True,
        "schools",
        "activities",
    ),
    Service(
        "Riverford Children's Services",
        "Looked-after children's placements",
        120,
        "placements",
        "childrens_safety",
        False,
        "childrens_social_care",
        "outputs",
    ),
    Service(
        "Riverford Children's Services",
        "Child protection and children in need",
        60,
        "staff",
        "childrens_safety",
        False,
        "childrens_social_care",
        "activities",
    ),
    Service(
        "Riverford Children's Services",
        "Early help and family support",
        25,
        "staff",
        "family_relationships",
        True,
        "childrens_social_care",
        "activities",
    ),
    Service(
        "Riverford Children's Services",
        "Family hubs and children's centres",
        12,
        "running",
        "early_years",
        True,
        "children",
        "inputs",
    ),
    Service(
        "Riverford Children's Services", "Youth services", 8, "staff", "crime", True, "children", "activities"
    ),
    Service(
        "Riverford Health Partnership",
        "Emergency department",
        90,
        "staff",
        "health",
        False,
        "health_ed",
        "outputs",
    ),
    Service(
        "Riverford Health Partnership",
        "Acute inpatient and outpatient care",
        900,
        "staff",
        "health",
        False,
        "residents",
        "outputs",
    ),
    Service(
        "Riverford Health Partnership",
        "Mental health services",
        230,
        "staff",
        "health",
        False,
        "residents",
        "outputs",
    ),
    Service(
        "Riverford Health Partnership",
        "Community health services",
        200,
        "staff",
        "health",
        False,
        "residents",
        "outputs",
    ),
    Service(
        "Riverford Health Partnership",
        "General practice",
        180,
        "staff",
        "health",
        False,
        "residents",
        "outputs",
    ),
    Service(
        "Riverford Health Partnership",
        "Health visiting and school nursing",
        25,
        "staff",
        "early_years",
        True,
        "children",
        "activities",
    ),
    Service(
        "Riverford Health Partnership",
        "Drug and alcohol treatment",
        15,
        "staff",
        "substance_use",
        False,
        "health_ed",
        "outputs",
    ),
    Service(
        "Riverford Health Partnership",
        "Public health prevention",
        20,
        "running",
        "health",
        True,
        "residents",
        "activities",
    ),
    Service("Vale Police", "Response policing", 110, "staff", "crime", False, "police", "activities"),
    Service("Vale Police", "Neighbourhood policing", 50, "staff", "crime", True, "residents", "activities"),
    Service("Vale Police", "Investigations", 90, "staff", "crime", False, "police", "activities"),
    Service(
        "Vale Police",
        "Domestic abuse and safeguarding",
        25,
        "staff",
        "domestic_abuse",
        False,
        "police",
        "activities",
    ),
    Service("Vale Police", "Custody and criminal justice", 25, "running", "crime", False, UNPLACED, "inputs"),
    Service(
        "Riverford Homes",
        "Housing management and repairs",
        140,
        "running",
        "housing",
        False,
        "housing",
        "inputs",
    ),
    Service(
        "Riverford Homes", "Temporary accommodation", 40, "placements", "housing", False, "housing", "outputs"
    ),
    Service(
        "Riverford Homes", "Homelessness prevention", 8, "staff", "housing", True, "housing", "activities"
    ),
    Service(
        "Riverford Homes",
        "Tenancy sustainment",
        5,
        "staff",
        "financial_stability",
        True,
        "housing",
        "activities",
    ),
    Service(
        "Jobcentre Plus Riverford",
        "Universal Credit and legacy benefit payments",
        1300,
        "transfer_payments",
        "financial_stability",
        False,
        "benefits",
        "outputs",
    ),
    Service(
        "Jobcentre Plus Riverford",
        "Work coaches and employment support",
        30,
        "staff",
        "financial_stability",
        True,
        "benefits",
        "activities",
    ),
    Service(
        "Jobcentre Plus Riverford",
        "Jobcentre administration",
        25,
        "running",
        "financial_stability",
        False,
        UNPLACED,
        "inputs",
    ),
    Service(
        "Riverford Adult Social Care",
        "Residential and nursing care",
        190,
        "placements",
        "health",
        False,
        "adult_social_care",
        "outputs",
    ),
    Service(
        "Riverford Adult Social Care",
        "Home care",
        110,
        "placements",
        "health",
        False,
        "adult_social_care",
        "outputs",
    ),
    Service(
        "Riverford Adult Social Care", "Reablement", 20, "staff", "health", True, "older_people", "outcomes"
    ),
    Service(
        "Riverford Adult Social Care",
        "Assessment and care management",
        45,
        "staff",
        "health",
        False,
        "adult_social_care",
        "activities",
    ),
    Service(
        "Riverford Adult Social Care",
        "Direct payments",
        40,
        "transfer_payments",
        "health",
        False,
        "adult_social_care",
        "outputs",
    ),
    Service(
        "Vale Probation Service",
        "Community supervision",
        15,
        "staff",
        "crime",
        False,
        "probation",
        "activities",
    ),
    Service(
        "Vale Probation Service",
        "Accredited programmes and interventions",
        6,
        "running",
        "crime",
        True,
        "probation",
        "outputs",
    ),
    Service("Vale Probation Service", "Approved premises", 4, "running", "crime", False, UNPLACED, "inputs"),
    Service(
        "Riverford Family Action",
        "Food bank",
        1.5,
        "in_kind",
        "financial_stability",
        False,
        "food_bank",
        "outputs",
    ),
    Service(
        "Riverford Family Action",
        "Debt advice",
        2,
        "staff",
        "financial_stability",
        True,
        "food_bank",
        "activities",
    ),
    Service(
        "Riverford Family Action",
        "Family key work",
        2.5,
        "staff",
        "family_relationships",
        True,
        "children",
        "outcomes",
    ),
)
COLUMNS = [
    "agency",
    "service",
    "period",
    "amount",
    "neighbourhood_id",
    "cost_type",
    "theme",
    "prevention_or_response",
    "focus",
]


def spend_lines(world: World, extracts: list[Extract]) -> dict[str, pd.DataFrame]:
    """Every agency's spend lines for the three financial years, keyed by agency."""
    rng = world.rng("spend")
    residents = len(world.population.people)
    weights = _placement_weights(world, extracts)
    neighbourhood_ids = world.population.neighbourhoods["neighbourhood_id"].to_numpy()
    frames: dict[str, list[pd.DataFrame]] = {}
    for service in SERVICES:
        for year, label in enumerate(FINANCIAL_YEARS):
            total = service.per_head * residents * PRICE_INDEX[year] * rng.lognormal(0, 0.03)
            if service.placed_by is None:
                amounts, places = np.array([total]), np.array([None], dtype=object)
            else:
                share = weights[service.placed_by]
                amounts, places = total * share, neighbourhood_ids.astype(object)
            frames.setdefault(service.agency, []).append(
                pd.DataFrame(
                    {
                        "agency": service.agency,
                        "service": service.service,
                        "period": label,
                        "amount": np.round(amounts, 2),
                        "neighbourhood_id": places,
                        "cost_type": service.cost_type,
                        "theme": service.theme,
                        "prevention_or_response": "prevention" if service.prevents else "response",
                        "focus": service.focus,
                    }
                )
            )
    return {agency: pd.concat(parts, ignore_index=True)[COLUMNS] for agency, parts in frames.items()}


def _placement_weights(world: World, extracts: list[Extract]) -> dict[str, npt.NDArray[np.float64]]:
    """For each way of placing spend, the share of it falling in each neighbourhood."""
    people = world.population.people
    neighbourhood_of = world.population.households["neighbourhood"].to_numpy()[people["household"].to_numpy()]
    count = len(world.population.neighbourhoods)
    age = people["age"].to_numpy()

    def shares(rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        totals = np.bincount(neighbourhood_of[rows], minlength=count).astype(np.float64)
        return totals / totals.sum() if totals.sum() else np.full(count, 1 / count)

    weights = {
        "residents": shares(np.arange(len(people))),
        "children": shares(np.flatnonzero(age < 18)),
        "older_people": shares(np.flatnonzero(age >= 65)),
    }
    for extract in extracts:
        weights[extract.source] = shares(extract.people)
    return weights


def file_name(agency: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", agency.lower().replace("'", "")).strip("_") + ".csv"


def source_name(agency: str) -> str:
    return "spend_" + file_name(agency).removesuffix(".csv")


def mapping(agency: str) -> dict[str, object]:
    return {
        "source": source_name(agency),
        "agency": agency,
        "entity": "spend_line",
        "format": {"type": "csv", "encoding": "utf-8", "delimiter": ",", "header": True},
        "columns": {
            "agency": "agency",
            "service": "service",
            "period": "period",
            "amount": "amount",
            "area": "neighbourhood_id",
            "cost_type": "cost_type",
            "theme": "theme",
            "prevention_or_response": "prevention_or_response",
            "focus": "focus",
        },
    }
