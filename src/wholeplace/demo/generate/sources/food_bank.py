"""Riverford Family Action's food bank: visits by people referred for food parcels. A spreadsheet kept by
volunteers, saved as UTF-8 CSV: first name and surname as given, date of birth often not asked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wholeplace.demo.generate.calendar import random_days_in_window
from wholeplace.demo.generate.extract import Extract
from wholeplace.demo.generate.world import (
    Habits,
    World,
    as_recorded,
    format_dates,
    needed_in_any_year,
    record_ids,
)

SOURCE = "food_bank"
HABITS = Habits(mess=1.6, upper_case=0.5, nicknames=3.0, keeps_middle_names=False)
VISITING_WITH_FINANCIAL_NEED = 0.15
DATE_OF_BIRTH_NOT_ASKED = 0.45


def build(world: World) -> Extract:
    rng = world.rng(SOURCE)
    people = world.population.people
    head = people["role"].isin(["adult", "housemate"]).to_numpy()
    visitors = np.flatnonzero(
        head
        & needed_in_any_year(world, "financial_stability")
        & (rng.random(len(people)) < VISITING_WITH_FINANCIAL_NEED)
    )
    visits = 1 + rng.poisson(1.5, len(visitors))
    person = np.repeat(visitors, visits)
    when = random_days_in_window(rng, len(person))
    alive = world.alive_on(when, person)
    person, when = person[alive], when[alive]
    order = np.argsort(when, kind="stable")
    person, when = person[order], when[order]
    recorded = as_recorded(world, person, when, HABITS, rng)
    not_asked = rng.random(len(person)) < DATE_OF_BIRTH_NOT_ASKED
    table = pd.DataFrame(
        {
            "Visit no": record_ids(rng, "FB", len(person), width=6),
            "Date": format_dates(when, "%d/%m/%y"),
            "First name": recorded["given_name"].to_numpy(),
            "Surname": recorded["family_name"].to_numpy(),
            "DOB": format_dates(
                recorded["date_of_birth"].to_numpy(),
                "%d/%m/%Y",
                missing=recorded["dob_missing"].to_numpy() | not_asked,
            ),
            "Postcode": recorded["postcode"].to_numpy(),
            "Adults": np.maximum(
                1, world.population.households["adults"].to_numpy()[people["household"].to_numpy()[person]]
            ),
            "Children": world.population.households["dependants"].to_numpy()[
                people["household"].to_numpy()[person]
            ],
            "Referred by": rng.choice(
                np.array(["Jobcentre", "School", "GP", "Citizens Advice", "Self", "Housing officer"]),
                len(person),
            ),
        }
    )
    return Extract(
        source=SOURCE,
        agency="Riverford Family Action",
        description="Food bank visits",
        format={"type": "csv", "encoding": "utf-8", "delimiter": ",", "header": True},
        entity="person",
        record_id="Visit no",
        table=table,
        columns={
            "given_name": "First name",
            "family_name": "Surname",
            "date_of_birth": {"column": "DOB", "format": "%d/%m/%Y"},
            "postcode": "Postcode",
        },
        people=person,
        recorded_on=recorded["recorded_on"].to_numpy(),
        extra={"events": [{"type": "food_bank_visit", "date": {"column": "Date", "format": "%d/%m/%y"}}]},
    )
