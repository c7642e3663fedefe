"""Jobcentre Plus Riverford: benefit claims and sanctions, keyed by national insurance number.
A legacy system: Windows-1252 CSV, semicolons, names upper case, accents dropped."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wholeplace.demo.generate.calendar import EXTRACT_DATE, WINDOW_START
from wholeplace.demo.generate.extract import Extract, with_duplicates
from wholeplace.demo.generate.world import Habits, World, as_recorded, format_dates, involvement, record_ids

SOURCE = "benefits"
HABITS = Habits(mess=1.0, upper_case=8.0, nicknames=0.3, keeps_middle_names=False, ascii_only=True)
CLAIM_RATE = 0.10  # adults claiming at some point in the window, before need and deprivation
SANCTION_RATE = 0.06


def build(world: World) -> Extract:
    rng = world.rng(SOURCE)
    people = world.population.people
    households = world.population.households
    age = people["age"].to_numpy()
    deprivation = households["deprivation"].to_numpy()[people["household"].to_numpy()]
    hardship = world.person_need("financial_stability", 1) | world.person_need("financial_stability", 2)
    claim_probability = CLAIM_RATE * (0.5 + 1.0 * deprivation) + 0.35 * hardship
    head = people["role"].isin(["adult", "housemate"]).to_numpy()
    claimants = np.flatnonzero(
        head & (age >= 18) & (age < 67) & (rng.random(len(people)) < claim_probability)
    )
    claimants = with_duplicates(claimants, world.rates.duplicate_record, rng)
    start = WINDOW_START + rng.integers(-400, 900, len(claimants)).astype("timedelta64[D]")
    start = np.minimum(start, EXTRACT_DATE)
    recorded = as_recorded(world, claimants, np.maximum(start, WINDOW_START), HABITS, rng)
    ended = rng.random(len(claimants)) < 0.35
    end = np.where(
        ended, start + rng.integers(60, 700, len(claimants)).astype("timedelta64[D]"), np.datetime64("NaT")
    )
    end = np.where(end > EXTRACT_DATE, np.datetime64("NaT"), end).astype("datetime64[D]")
    sanctions = rng.poisson(SANCTION_RATE * (1 + 2 * hardship[claimants]))
    ni = recorded["ni_number"].to_numpy().astype(object)
    title = np.where(
        recorded["sex"].to_numpy() == "male", "MR", np.where(rng.random(len(claimants)) < 0.5, "MRS", "MS")
    )
    table = pd.DataFrame(
        {
            "CLAIM_NO": record_ids(rng, "UC", len(claimants), width=10),
            "NINO": ni,
            "TITLE": title,
            "SURNAME": recorded["family_name"].to_numpy(),
            "FORENAME": recorded["given_name"].to_numpy(),
            "DOB": format_dates(
                recorded["date_of_birth"].to_numpy(), "%d-%m-%Y", missing=recorded["dob_missing"].to_numpy()
            ),
            "ADDR1": recorded["address_line_1"].to_numpy(),
            "PCODE": recorded["postcode"].to_numpy(),
            "BENEFIT": np.where(
                rng.random(len(claimants)) < 0.85,
                "UC",
                np.where(rng.random(len(claimants)) < 0.5, "ESA", "JSA"),
            ),
            "CLAIM_START": format_dates(start.astype("datetime64[D]"), "%d-%m-%Y"),
            "CLAIM_END": format_dates(end, "%d-%m-%Y"),
            "SANCTIONS": sanctions.astype(np.int64),
        }
    )
    return Extract(
        source=SOURCE,
        agency="Jobcentre Plus Riverford",
        description="Benefit claims and sanctions",
        format={"type": "csv", "encoding": "windows-1252", "delimiter": ";", "header": True},
        entity="person",
        record_id="CLAIM_NO",
        table=table,
        columns={
            "ni_number": "NINO",
            "given_name": "FORENAME",
            "family_name": "SURNAME",
            "date_of_birth": {"column": "DOB", "format": "%d-%m-%Y"},
            "sex": {"column": "TITLE", "codes": {"MR": "male", "MRS": "female", "MS": "female"}},
            "address_line_1": "ADDR1",
            "postcode": "PCODE",
        },
        people=claimants,
        recorded_on=recorded["recorded_on"].to_numpy(),
        extra={"involvements": [involvement({"column": "BENEFIT"}, "CLAIM_START", "CLAIM_END", "%d-%m-%Y")]},
    )
