"""Riverford Children's Services: contacts, referrals and child-in-need, child-protection and looked-after
episodes from the children's case management system. UTF-8 CSV with a byte-order mark; one name column,
surname first; dates like 03 Mar 2015."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from wholeplace.demo.generate.extract import Extract
from wholeplace.demo.generate.world import (
    Habits,
    World,
    as_recorded,
    episode_dates,
    format_dates,
    needed_in_any_year,
    parent_or_carer,
    record_ids,
)

SOURCE = "childrens_social_care"
AGENCY = "Riverford Children's Services"
HABITS = Habits(mess=0.9, upper_case=0.5, nicknames=0.8)
# Share of children in households with a children's-safety need reaching each stage (see docs/demo-place.md);
# children in households with domestic abuse alone are mostly contacts.
STAGES = (
    ("CONTACT", 0.85, 0.30),
    ("REFERRAL", 0.60, 0.10),
    ("CIN", 0.40, 0.03),
    ("CP", 0.12, 0.0),
    ("LAC", 0.05, 0.0),
)
NHS_NUMBER_HELD = 0.6


def build(world: World) -> Extract:
    rng = world.rng(SOURCE)
    people = world.population.people
    child = people["dependant"].to_numpy()
    safety = child & needed_in_any_year(world, "childrens_safety")
    abuse = child & needed_in_any_year(world, "domestic_abuse") & ~safety
    persons, kinds = [], []
    for stage, with_safety_need, with_abuse in STAGES:
        chosen = np.flatnonzero(
            (safety & (rng.random(len(people)) < with_safety_need))
            | (abuse & (rng.random(len(people)) < with_abuse))
        )
        persons.append(chosen)
        kinds.append(np.full(len(chosen), stage, dtype=object))
    person = np.concatenate(persons)
    kind = np.concatenate(kinds)
    start, end = episode_dates(rng, len(person), ended_share=0.6, length_days=(1, 500))
    alive = world.alive_on(start, person)
    person, kind, start, end = person[alive], kind[alive], start[alive], end[alive]
    order = np.argsort(start, kind="stable")
    person, kind, start, end = person[order], kind[order], start[order], end[order]
    recorded = as_recorded(world, person, start, HABITS, rng)
    child_ids = _case_ids(person, rng)
    nhs = recorded["nhs_number"].to_numpy().astype(object)
    nhs[rng.random(len(nhs)) >= NHS_NUMBER_HELD] = None
    worker = world.workforce.allocate(AGENCY, len(person), rng)
    worker[kind == "CONTACT"] = None  # contacts are screened at the front door, not allocated
    table = pd.DataFrame(
        {
            "episode_id": record_ids(rng, "EP", len(person), width=8),
            "child_id": child_ids,
            "full_name": _surname_first(recorded),
            "birth_date": format_dates(
                recorded["date_of_birth"].to_numpy(), "%d %b %Y", missing=recorded["dob_missing"].to_numpy()
            ),
            "gender": np.where(recorded["sex"].to_numpy() == "male", "Male", "Female"),
            "nhs_no": nhs,
            "address": recorded["address_line_1"].to_numpy(),
            "postcode": recorded["postcode"].to_numpy(),
            "episode_type": kind,
            "start_date": format_dates(start, "%d %b %Y"),
            "end_date": format_dates(end, "%d %b %Y"),
            "allocated_worker": worker,
        }
    )
    table["parent_carer"], table["parent_carer_relationship"] = parent_or_carer(world, person, start)
    return Extract(
        source=SOURCE,
        agency=AGENCY,
        description="Contacts, referrals and child-in-need, child-protection and looked-after episodes",
        format={"type": "csv", "encoding": "utf-8-sig", "delimiter": ",", "header": True},
        entity="person",
        record_id="episode_id",
        table=table,
        columns={
            "full_name": {"column": "full_name", "order": "family_first_comma"},
            "date_of_birth": {"column": "birth_date", "format": "%d %b %Y"},
            "sex": {"column": "gender", "codes": {"Male": "male", "Female": "female"}},
            "nhs_number": "nhs_no",
            "address_line_1": "address",
            "postcode": "postcode",
            "identifiers.childrens_social_care": "child_id",
        },
        people=person,
        recorded_on=recorded["recorded_on"].to_numpy(),
        extra={
            "involvements": [
                {
                    "type": {
                        "column": "episode_type",
                        "codes": {
                            "CONTACT": "contact",
                            "REFERRAL": "referral",
                            "CIN": "child_in_need",
                            "CP": "child_protection",
                            "LAC": "looked_after",
                        },
                    },
                    "start": {"column": "start_date", "format": "%d %b %Y"},
                    "end": {"column": "end_date", "format": "%d %b %Y"},
                    "lead_worker": "allocated_worker",
                }
            ],
            "relationships": [
                {
                    "type": {
                        "column": "parent_carer_relationship",
                        "codes": {"Mother": "parent", "Father": "parent", "Carer": "carer"},
                    },
                    "other_person": "parent_carer",
                    "when_present": "parent_carer",
                }
            ],
        },
    )


def _case_ids(person: npt.NDArray[np.int64], rng: np.random.Generator) -> npt.NDArray[np.object_]:
    """One case-system id per child (most of the time: 2% of episodes open a second id for the same child)."""
    unique_people, first = np.unique(person, return_inverse=True)
    ids = record_ids(rng, "C", len(unique_people), width=7)[first]
    again = rng.random(len(person)) < 0.02
    ids[again] = record_ids(rng, "CX", int(again.sum()), width=6)
    return ids


def _surname_first(recorded: pd.DataFrame) -> npt.NDArray[np.object_]:
    family = recorded["family_name"].fillna("").astype(str).to_numpy().astype(object)
    given = recorded["given_name"].fillna("").astype(str).to_numpy().astype(object)
    return family + ", " + given
