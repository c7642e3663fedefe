"""Riverford Schools: the pupil roll from the schools' management information system, with attendance
and exclusions. UTF-8 CSV, surname first, UK dates. A pupil flagged persistently absent also has the extract's
date in `persistently_absent_on`, so that the mapping can make the flag an event of the standard."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from wholeplace.demo.generate.calendar import EXTRACT_DATE
from wholeplace.demo.generate.extract import Extract, with_duplicates
from wholeplace.demo.generate.world import (
    Habits,
    World,
    as_recorded,
    format_dates,
    parent_or_carer,
    record_ids,
)

SOURCE = "schools"
HABITS = Habits(mess=0.6, upper_case=0.3, nicknames=0.5)
PERSISTENT_ABSENCE = 0.9  # attendance below 90% marks a pupil persistently absent


def build(world: World) -> Extract:
    rng = world.rng(SOURCE)
    people = world.population.people
    age = people["age"].to_numpy()
    on_roll = np.flatnonzero(
        (age >= 4) & (age < 18) & world.alive_on(np.full(len(people), EXTRACT_DATE), np.arange(len(people)))
    )
    pupils = with_duplicates(on_roll, world.rates.duplicate_record * 0.5, rng)
    recorded = as_recorded(world, pupils, np.full(len(pupils), EXTRACT_DATE), HABITS, rng)
    struggling = world.person_need("education", 2)[pupils]
    attendance = np.where(
        struggling,
        np.clip(rng.normal(0.84, 0.06, len(pupils)), 0.35, 0.97),
        np.clip(rng.normal(0.955, 0.025, len(pupils)), 0.80, 1.0),
    )
    exclusions = np.where(struggling, rng.poisson(0.5, len(pupils)), rng.poisson(0.01, len(pupils)))
    last_exclusion = np.where(
        exclusions > 0,
        EXTRACT_DATE - rng.integers(1, 300, len(pupils)).astype("timedelta64[D]"),
        np.datetime64("NaT"),
    )
    table = _table(recorded, attendance, exclusions, last_exclusion, rng)
    table["contact_name"], table["contact_relationship"] = parent_or_carer(
        world, pupils, recorded["recorded_on"].to_numpy()
    )
    return Extract(
        source=SOURCE,
        agency="Riverford Schools",
        description="Pupils on roll with this year's attendance and exclusions",
        format={"type": "csv", "encoding": "utf-8", "delimiter": ",", "header": True},
        entity="person",
        record_id="pupil_ref",
        table=table,
        columns={
            "given_name": "forename",
            "middle_names": "middle_names",
            "family_name": "legal_surname",
            "date_of_birth": {"column": "dob", "format": "%d/%m/%Y"},
            "sex": {"column": "gender", "codes": {"M": "male", "F": "female"}},
            "address_line_1": "address",
            "postcode": "post_code",
            "upn": "upn",
            "nhs_number": None,
        },
        people=pupils,
        recorded_on=recorded["recorded_on"].to_numpy(),
        extra={
            "relationships": [
                {
                    "type": {
                        "column": "contact_relationship",
                        "codes": {"Mother": "parent", "Father": "parent", "Carer": "carer"},
                    },
                    "other_person": "contact_name",
                    "when_present": "contact_name",
                }
            ],
            "events": [
                {
                    "type": "school_exclusion",
                    "date": {"column": "last_exclusion", "format": "%d/%m/%Y"},
                    "when_present": "last_exclusion",
                },
                {
                    "type": "persistent_absence",
                    "date": {"column": "persistently_absent_on", "format": "%d/%m/%Y"},
                    "when_present": "persistently_absent_on",
                },
            ],
        },
    )


def _table(
    recorded: pd.DataFrame,
    attendance: npt.NDArray[np.float64],
    exclusions: npt.NDArray[np.int64],
    last_exclusion: npt.NDArray[np.datetime64],
    rng: np.random.Generator,
) -> pd.DataFrame:
    count = len(recorded)
    persistently_absent = attendance < PERSISTENT_ABSENCE
    return pd.DataFrame(
        {
            "pupil_ref": record_ids(rng, "RS", count),
            "upn": recorded["upn"].to_numpy(),
            "legal_surname": recorded["family_name"].to_numpy(),
            "forename": recorded["given_name"].to_numpy(),
            "middle_names": recorded["middle_names"].to_numpy(),
            "dob": format_dates(recorded["date_of_birth"].to_numpy(), "%d/%m/%Y"),
            "gender": np.where(recorded["sex"].to_numpy() == "male", "M", "F"),
            "address": recorded["address_line_1"].to_numpy(),
            "post_code": recorded["postcode"].to_numpy(),
            "attendance_pct": np.round(attendance * 100, 1),
            "persistently_absent": np.where(persistently_absent, "Y", "N"),
            "persistently_absent_on": format_dates(
                np.full(count, EXTRACT_DATE), "%d/%m/%Y", missing=~persistently_absent
            ),
            "exclusions_this_year": exclusions.astype(np.int64),
            "last_exclusion": format_dates(last_exclusion.astype("datetime64[D]"), "%d/%m/%Y"),
        }
    )
