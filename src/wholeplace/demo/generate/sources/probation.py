"""Vale Probation Service: people under supervision, with their case reference number. Parquet from the
case management system; no middle names; dates of birth as dd.mm.yyyy."""

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

AGENCY = "Vale Probation Service"
SOURCE = "probation"
HABITS = Habits(mess=1.0, upper_case=3.0, nicknames=1.5, keeps_middle_names=False)
SUPERVISED_WITH_CRIME_NEED = 0.3


def build(world: World) -> Extract:
    rng = world.rng(SOURCE)
    people = world.population.people
    adult = people["age"].to_numpy() >= 19
    chosen = np.flatnonzero(
        adult & needed_in_any_year(world, "crime") & (rng.random(len(people)) < SUPERVISED_WITH_CRIME_NEED)
    )
    chosen, start, end = living_episodes(world, chosen, rng, ended_share=0.5, length_days=(180, 730))
    recorded = as_recorded(world, chosen, start, HABITS, rng)
    worker = world.workforce.allocate(AGENCY, len(chosen), rng)
    table = pd.DataFrame(
        {
            "crn": record_ids(rng, "X", len(chosen), width=6),
            "surname": recorded["family_name"].to_numpy(),
            "first_name": recorded["given_name"].to_numpy(),
            "date_of_birth": format_dates(
                recorded["date_of_birth"].to_numpy(), "%d.%m.%Y", missing=recorded["dob_missing"].to_numpy()
            ),
            "gender": np.where(recorded["sex"].to_numpy() == "male", "M", "F"),
            "address": recorded["address_line_1"].to_numpy(),
            "postcode": recorded["postcode"].to_numpy(),
            "sentence_type": np.where(rng.random(len(chosen)) < 0.6, "Community Order", "Licence"),
            "supervision_start": format_dates(start, "%d.%m.%Y"),
            "supervision_end": format_dates(end, "%d.%m.%Y"),
            "offender_manager": worker,
        }
    )
    return Extract(
        source=SOURCE,
        agency=AGENCY,
        description="People under probation supervision",
        format={"type": "parquet"},
        entity="person",
        record_id="crn",
        table=table,
        columns={
            "given_name": "first_name",
            "family_name": "surname",
            "date_of_birth": {"column": "date_of_birth", "format": "%d.%m.%Y"},
            "sex": {"column": "gender", "codes": {"M": "male", "F": "female"}},
            "address_line_1": "address",
            "postcode": "postcode",
        },
        people=chosen,
        recorded_on=recorded["recorded_on"].to_numpy(),
        extra={
            "involvements": [
                involvement(
                    {"column": "sentence_type"},
                    "supervision_start",
                    "supervision_end",
                    "%d.%m.%Y",
                    lead_worker="offender_manager",
                )
            ]
        },
    )
