"""Riverford Adult Social Care: assessments and services for adults, mostly older people.
Windows-1252 CSV from an older system; names in one case, accents dropped; dates as yyyy/mm/dd."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wholeplace.demo.generate.extract import Extract
from wholeplace.demo.generate.world import (
    Habits,
    World,
    as_recorded,
    format_dates,
    involvement,
    living_episodes,
    needed_in_any_year,
    record_ids,
)

AGENCY = "Riverford Adult Social Care"
SOURCE = "adult_social_care"
HABITS = Habits(mess=0.9, upper_case=1.0, nicknames=1.0, ascii_only=True)
SUPPORT_BY_AGE = (
    (65, 0.04),
    (75, 0.09),
    (85, 0.22),
)  # share of people of that age or over assessed in the window
WITH_HEALTH_NEED = 0.08  # adults of working age with a health or substance-use need


def build(world: World) -> Extract:
    rng = world.rng(SOURCE)
    people = world.population.people
    age = people["age"].to_numpy()
    chance = np.zeros(len(people))
    for from_age, share in SUPPORT_BY_AGE:
        chance = np.where(age >= from_age, share, chance)
    needy = needed_in_any_year(world, "health") | needed_in_any_year(world, "substance_use")
    chance = np.where((age >= 18) & (age < 65) & needy, WITH_HEALTH_NEED, chance)
    chance = chance * np.where(needy, 1.8, 1.0)
    chosen = np.flatnonzero(rng.random(len(people)) < chance)
    chosen, start, end = living_episodes(world, chosen, rng, ended_share=0.4, length_days=(30, 900))
    recorded = as_recorded(world, chosen, start, HABITS, rng)
    nhs = recorded["nhs_number"].to_numpy().astype(object)
    worker = world.workforce.allocate(AGENCY, len(chosen), rng)
    table = pd.DataFrame(
        {
            "ClientID": record_ids(rng, "", len(chosen), width=7),
            "Forename": recorded["given_name"].to_numpy(),
            "Surname": recorded["family_name"].to_numpy(),
            "DOB": format_dates(
                recorded["date_of_birth"].to_numpy(), "%Y/%m/%d", missing=recorded["dob_missing"].to_numpy()
            ),
            "Gender": np.where(recorded["sex"].to_numpy() == "male", "M", "F"),
            "NHSNumber": np.array(
                [f"{n[:3]} {n[3:6]} {n[6:]}" if isinstance(n, str) and len(n) == 10 else n for n in nhs],
                dtype=object,
            ),
            "Address1": recorded["address_line_1"].to_numpy(),
            "PostCode": recorded["postcode"].to_numpy(),
            "ServiceType": rng.choice(
                np.array(["Home care", "Day care", "Reablement", "Residential care", "Direct payment"]),
                len(chosen),
                p=[0.4, 0.1, 0.25, 0.1, 0.15],
            ),
            "StartDate": format_dates(start, "%Y/%m/%d"),
            "EndDate": format_dates(end, "%Y/%m/%d"),
            "Worker": worker,
        }
    )
    return Extract(
        source=SOURCE,
        agency=AGENCY,
        description="Assessments and services for adults",
        format={"type": "csv", "encoding": "windows-1252", "delimiter": ",", "header": True},
        entity="person",
        record_id="ClientID",
        table=table,
        columns={
            "given_name": "Forename",
            "family_name": "Surname",
            "date_of_birth": {"column": "DOB", "format": "%Y/%m/%d"},
            "sex": {"column": "Gender", "codes": {"M": "male", "F": "female"}},
            "nhs_number": "NHSNumber",
            "address_line_1": "Address1",
            "postcode": "PostCode",
        },
        people=chosen,
        recorded_on=recorded["recorded_on"].to_numpy(),
        extra={
            "involvements": [
                involvement(
                    {"column": "ServiceType"}, "StartDate", "EndDate", "%Y/%m/%d", lead_worker="Worker"
                )
            ]
        },
    )
