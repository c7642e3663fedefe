"""Riverford Homes: council and housing-association tenancies with everyone on them, rent arrears,
homelessness applications and evictions. An Excel workbook from the housing management system."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from wholeplace.demo.generate.calendar import EXTRACT_DATE, WINDOW_START
from wholeplace.demo.generate.extract import Extract
from wholeplace.demo.generate.world import (
    Habits,
    World,
    as_recorded,
    format_dates,
    needed_in_any_year,
    record_ids,
)

SOURCE = "housing"
AGENCY = "Riverford Homes"
HABITS = Habits(mess=0.8, upper_case=0.2, nicknames=1.2)
SOCIAL_RENT_SHARE = 0.17  # of households, before deprivation (English Housing Survey: about 16%)
ARREARS_WITH_FINANCIAL_NEED = 0.6
EVICTION_WITH_HOUSING_NEED = 0.15


def build(world: World) -> Extract:
    rng = world.rng(SOURCE)
    people = world.population.people
    households = world.population.households
    deprivation = households["deprivation"].to_numpy()
    household_housing_need = (
        np.bincount(
            people["household"].to_numpy(),
            weights=needed_in_any_year(world, "housing"),
            minlength=len(households),
        )
        > 0
    )
    social = (
        rng.random(len(households))
        < SOCIAL_RENT_SHARE * (0.5 + 1.0 * deprivation) + 0.3 * household_housing_need
    )
    household = people["household"].to_numpy()
    on_tenancy = (
        social[household]
        & (people["age"].to_numpy() >= 16)
        & world.alive_on(np.full(len(people), WINDOW_START), np.arange(len(people)))
    )
    person = np.flatnonzero(on_tenancy)
    tenancy_of = household[person]
    recorded = as_recorded(world, person, np.full(len(person), EXTRACT_DATE), HABITS, rng)
    tenancy_refs = record_ids(rng, "T", len(households), width=6)
    role = np.where(
        people["role"].to_numpy()[person] == "adult",
        "Lead tenant",
        np.where(people["role"].to_numpy()[person] == "partner", "Joint tenant", "Household member"),
    )
    hardship = needed_in_any_year(world, "financial_stability")[person]
    arrears = np.where(
        hardship & (rng.random(len(person)) < ARREARS_WITH_FINANCIAL_NEED),
        np.round(rng.gamma(2.0, 350.0, len(person)), 2),
        0.0,
    )
    arrears = np.where(role == "Lead tenant", arrears, 0.0)
    housing_need = needed_in_any_year(world, "housing")[person] & (role == "Lead tenant")
    evicted = housing_need & (rng.random(len(person)) < EVICTION_WITH_HOUSING_NEED)
    eviction_date = np.where(
        evicted,
        WINDOW_START + rng.integers(0, 1000, len(person)).astype("timedelta64[D]"),
        np.datetime64("NaT"),
    ).astype("datetime64[D]")
    applied = housing_need & (rng.random(len(person)) < 0.5)
    application_date = np.where(
        applied,
        WINDOW_START + rng.integers(0, 1000, len(person)).astype("timedelta64[D]"),
        np.datetime64("NaT"),
    ).astype("datetime64[D]")
    officer_of_tenancy = np.full(len(households), None, dtype=object)
    officer_of_tenancy[social] = world.workforce.allocate(AGENCY, int(social.sum()), rng)
    table = pd.DataFrame(
        {
            "Person Ref": record_ids(rng, "RH", len(person), width=7),
            "Tenancy Ref": tenancy_refs[tenancy_of],
            "Role": role,
            "Title": np.where(recorded["sex"].to_numpy() == "male", "Mr", "Ms"),
            "First Name": recorded["given_name"].to_numpy(),
            "Last Name": recorded["family_name"].to_numpy(),
            "Date of Birth": format_dates(
                recorded["date_of_birth"].to_numpy(), "%d/%m/%Y", missing=recorded["dob_missing"].to_numpy()
            ),
            "NI Number": recorded["ni_number"].to_numpy(),
            "Property Address": recorded["address_line_1"].to_numpy(),
            "Postcode": recorded["postcode"].to_numpy(),
            "UPRN": world.population.households["uprn"].to_numpy()[tenancy_of],
            "Arrears (£)": arrears,
            "Homeless Application": format_dates(application_date, "%d/%m/%Y"),
            "Eviction Date": format_dates(eviction_date, "%d/%m/%Y"),
            "Housing Officer": officer_of_tenancy[tenancy_of],
        }
    )
    table["Relationship to Lead Tenant"] = _relationship_to_lead_tenant(world, person, role)
    table["Lead Tenant Ref"] = _lead_tenant_refs(table)
    return Extract(
        source=SOURCE,
        agency=AGENCY,
        description="Tenancies and everyone on them, arrears, homelessness applications and evictions",
        format={"type": "excel", "sheet": "Tenants"},
        entity="person",
        record_id="Person Ref",
        table=table,
        columns={
            "given_name": "First Name",
            "family_name": "Last Name",
            "date_of_birth": {"column": "Date of Birth", "format": "%d/%m/%Y"},
            "sex": {"column": "Title", "codes": {"Mr": "male", "Ms": "female"}},
            "ni_number": "NI Number",
            "address_line_1": "Property Address",
            "postcode": "Postcode",
            "uprn": "UPRN",
        },
        people=person,
        recorded_on=recorded["recorded_on"].to_numpy(),
        extra={
            "relationships": [
                {
                    "type": {
                        "column": "Relationship to Lead Tenant",
                        "codes": {
                            "Partner": "partner",
                            "Son": "parent",
                            "Daughter": "parent",
                            "Other": "other",
                        },
                    },
                    "other_record": "Lead Tenant Ref",
                    "when_present": "Lead Tenant Ref",
                }
            ],
            "involvements": [
                {
                    "type": "tenancy",
                    "reference": "Tenancy Ref",
                    "role": "Role",
                    "lead_worker": "Housing Officer",
                }
            ],
            "events": [
                {
                    "type": "homelessness_application",
                    "date": {"column": "Homeless Application", "format": "%d/%m/%Y"},
                    "when_present": "Homeless Application",
                },
                {
                    "type": "eviction",
                    "date": {"column": "Eviction Date", "format": "%d/%m/%Y"},
                    "when_present": "Eviction Date",
                },
            ],
        },
    )


def _relationship_to_lead_tenant(
    world: World, person: npt.NDArray[np.int64], role: npt.NDArray[np.str_]
) -> npt.NDArray[np.object_]:
    """What each member of a tenancy is to its lead tenant, as the housing system records it."""
    people = world.population.people
    kind = people["role"].to_numpy()[person]
    male = people["sex"].to_numpy()[person] == "male"
    relationship = np.where(kind == "partner", "Partner", "Other").astype(object)
    relationship[kind == "child"] = np.where(male, "Son", "Daughter")[kind == "child"]
    relationship[role == "Lead tenant"] = None
    return relationship


def _lead_tenant_refs(table: pd.DataFrame) -> npt.NDArray[np.object_]:
    """The person reference of each row's lead tenant, on every row but the lead tenant's own."""
    leads = table[table["Role"] == "Lead tenant"].drop_duplicates("Tenancy Ref")
    lead_of = dict(zip(leads["Tenancy Ref"], leads["Person Ref"], strict=True))
    refs = table["Tenancy Ref"].map(lead_of).to_numpy(dtype=object)
    refs[table["Role"].to_numpy() == "Lead tenant"] = None
    return np.where(pd.isna(refs), None, refs).astype(object)
