"""Riverford Health Partnership: emergency department attendances, NHS number usually present.
Parquet, ISO dates, sex as NHS Data Dictionary codes."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from wholeplace.demo.generate.calendar import DAYS_PER_YEAR, FINANCIAL_YEARS, WINDOW_START
from wholeplace.demo.generate.extract import Extract
from wholeplace.demo.generate.world import Habits, World, as_recorded, format_dates, record_ids

SOURCE = "health_ed"
HABITS = Habits(mess=0.8, upper_case=2.0, nicknames=0.7)
BASE_ATTENDANCES_PER_YEAR = 0.12  # at this trust's department only; see docs/demo-place.md
EXTRA_ATTENDANCES = {"health": 0.35, "substance_use": 0.9, "domestic_abuse": 0.25}
NHS_NUMBER_MISSING = 0.04
REASONS = np.array(["injury", "illness", "self_harm", "alcohol", "assault", "mental_health"])


def build(world: World) -> Extract:
    rng = world.rng(SOURCE)
    people_count = len(world.population.people)
    rows_people, rows_dates, rows_reason = [], [], []
    for year in range(len(FINANCIAL_YEARS)):
        rate = np.full(people_count, BASE_ATTENDANCES_PER_YEAR)
        for area, extra in EXTRA_ATTENDANCES.items():
            rate = rate + extra * world.person_need(area, year)
        visits = rng.poisson(rate)
        person = np.repeat(np.arange(people_count), visits)
        start = WINDOW_START + np.timedelta64(int(year * DAYS_PER_YEAR), "D")
        dates = start + rng.integers(0, 365, len(person)).astype("timedelta64[D]")
        keep = world.alive_on(dates, person)
        person, dates = person[keep], dates[keep]
        rows_people.append(person)
        rows_dates.append(dates)
        rows_reason.append(_reasons(world, person, year, rng))
    person = np.concatenate(rows_people)
    dates = np.concatenate(rows_dates)
    order = np.argsort(dates, kind="stable")
    person, dates, reason = person[order], dates[order], np.concatenate(rows_reason)[order]
    recorded = as_recorded(world, person, dates, HABITS, rng)
    nhs = recorded["nhs_number"].to_numpy().astype(object)
    nhs[rng.random(len(nhs)) < NHS_NUMBER_MISSING] = None
    table = pd.DataFrame(
        {
            "attendance_id": record_ids(rng, "ED", len(person), width=9),
            "nhs_number": nhs,
            "patient_surname": recorded["family_name"].to_numpy(),
            "patient_forename": recorded["given_name"].to_numpy(),
            "date_of_birth": format_dates(
                recorded["date_of_birth"].to_numpy(), "%Y-%m-%d", missing=recorded["dob_missing"].to_numpy()
            ),
            "sex_code": np.where(recorded["sex"].to_numpy() == "male", "1", "2"),
            "usual_address": recorded["address_line_1"].to_numpy(),
            "postcode": recorded["postcode"].to_numpy(),
            "arrival_date": format_dates(dates, "%Y-%m-%d"),
            "attendance_reason": reason,
        }
    )
    return Extract(
        source=SOURCE,
        agency="Riverford Health Partnership",
        description="Emergency department attendances",
        format={"type": "parquet"},
        entity="person",
        record_id="attendance_id",
        table=table,
        columns={
            "nhs_number": "nhs_number",
            "given_name": "patient_forename",
            "family_name": "patient_surname",
            "date_of_birth": {"column": "date_of_birth", "format": "%Y-%m-%d"},
            "sex": {"column": "sex_code", "codes": {"1": "male", "2": "female"}},
            "address_line_1": "usual_address",
            "postcode": "postcode",
        },
        people=person,
        recorded_on=recorded["recorded_on"].to_numpy(),
        extra={
            "events": [
                {
                    "type": "emergency_attendance",
                    "date": {"column": "arrival_date", "format": "%Y-%m-%d"},
                    "detail": "attendance_reason",
                }
            ]
        },
    )


def _reasons(
    world: World, person: npt.NDArray[np.int64], year: int, rng: np.random.Generator
) -> npt.NDArray[np.str_]:
    substance = world.person_need("substance_use", year)[person]
    abuse = world.person_need("domestic_abuse", year)[person]
    health = world.person_need("health", year)[person]
    weights = np.stack(
        [
            np.full(len(person), 4.0),
            np.full(len(person), 5.0),
            0.05 + 1.2 * health,
            0.1 + 3.0 * substance,
            0.1 + 1.5 * abuse,
            0.1 + 1.5 * health,
        ],
        axis=1,
    )
    cumulative = (weights / weights.sum(axis=1, keepdims=True)).cumsum(axis=1)
    return REASONS[(rng.random(len(person))[:, None] > cumulative).sum(axis=1)]
