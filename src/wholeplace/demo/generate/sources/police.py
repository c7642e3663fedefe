"""Vale Police: incidents and the people in them, each with a role. JSON Lines from the records
management system; names upper case, dates as yyyymmdd."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wholeplace.demo.generate.calendar import DAYS_PER_YEAR, FINANCIAL_YEARS, WINDOW_START
from wholeplace.demo.generate.extract import Extract
from wholeplace.demo.generate.world import Habits, World, as_recorded, format_dates, record_ids

SOURCE = "police"
HABITS = Habits(mess=1.3, upper_case=10.0, nicknames=1.5, keeps_middle_names=False)
BASE_INCIDENTS_PER_YEAR = 0.01
INCIDENTS_BY_NEED = {"crime": 0.7, "domestic_abuse": 0.9, "substance_use": 0.2, "childrens_safety": 0.15}
ROLE_BY_NEED = {
    "crime": "SUSPECT",
    "domestic_abuse": "VICTIM",
    "substance_use": "INVOLVED",
    "childrens_safety": "INVOLVED",
}
INCIDENT_TYPES = {
    "crime": "CRIME",
    "domestic_abuse": "DOMESTIC",
    "substance_use": "ASB",
    "childrens_safety": "CONCERN_FOR_CHILD",
}


def build(world: World) -> Extract:
    rng = world.rng(SOURCE)
    people = world.population.people
    adult = people["date_of_birth"].to_numpy() <= np.datetime64("2010-01-01")
    persons, dates, roles, kinds = [], [], [], []
    for year in range(len(FINANCIAL_YEARS)):
        start = WINDOW_START + np.timedelta64(int(year * DAYS_PER_YEAR), "D")
        for area, rate in [("", BASE_INCIDENTS_PER_YEAR), *INCIDENTS_BY_NEED.items()]:
            eligible = adult if not area else adult & world.person_need(area, year)
            count = rng.poisson(rate * eligible)
            person = np.repeat(np.arange(len(people)), count)
            when = start + rng.integers(0, 365, len(person)).astype("timedelta64[D]")
            keep = world.alive_on(when, person)
            persons.append(person[keep])
            dates.append(when[keep])
            roles.append(np.full(keep.sum(), ROLE_BY_NEED.get(area, "VICTIM"), dtype=object))
            kinds.append(np.full(keep.sum(), INCIDENT_TYPES.get(area, "CRIME"), dtype=object))
    person = np.concatenate(persons)
    when = np.concatenate(dates)
    order = np.argsort(when, kind="stable")
    person, when, role, kind = (
        person[order],
        when[order],
        np.concatenate(roles)[order],
        np.concatenate(kinds)[order],
    )
    incident = record_ids(rng, "VP-", len(person), width=7)
    recorded = as_recorded(world, person, when, HABITS, rng)
    table = pd.DataFrame(
        {
            "nominal_ref": record_ids(rng, "NOM", len(person), width=8),
            "incident_ref": incident,
            "incident_date": format_dates(when, "%Y%m%d"),
            "incident_type": kind,
            "role": role,
            "surname": recorded["family_name"].to_numpy(),
            "forenames": recorded["given_name"].to_numpy(),
            "dob": format_dates(
                recorded["date_of_birth"].to_numpy(),
                "%Y%m%d",
                missing=recorded["dob_missing"].to_numpy(),
                partial=recorded["dob_partial"].to_numpy(),
            ),
            "gender": np.where(recorded["sex"].to_numpy() == "male", "MALE", "FEMALE"),
            "home_address": recorded["address_line_1"].to_numpy(),
            "postcode": recorded["postcode"].to_numpy(),
        }
    )
    return Extract(
        source=SOURCE,
        agency="Vale Police",
        description="Incidents and the people in them, with their role",
        format={"type": "jsonl", "encoding": "utf-8"},
        entity="person",
        record_id="nominal_ref",
        table=table,
        columns={
            "given_name": "forenames",
            "family_name": "surname",
            "date_of_birth": {"column": "dob", "format": "%Y%m%d"},
            "sex": {"column": "gender", "codes": {"MALE": "male", "FEMALE": "female"}},
            "address_line_1": "home_address",
            "postcode": "postcode",
        },
        people=person,
        recorded_on=recorded["recorded_on"].to_numpy(),
        extra={
            "events": [
                {
                    "type": {
                        "column": "incident_type",
                        "codes": {
                            "CRIME": "crime",
                            "DOMESTIC": "domestic_abuse_incident",
                            "ASB": "antisocial_behaviour",
                            "CONCERN_FOR_CHILD": "concern_for_child",
                        },
                    },
                    "date": {"column": "incident_date", "format": "%Y%m%d"},
                    "role": "role",
                    "reference": "incident_ref",
                }
            ]
        },
    )
