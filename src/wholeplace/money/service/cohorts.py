"""Cohorts drawn from the linked data for an investment case: named queries that count households in the latest
linkage run. A query gives a number and how it was drawn, never a list of people.

`COHORTS` is the registry: a query's name, what it asks, its parameters (text, as a form sends them) and the
function that counts. Add a query by adding an entry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import duckdb
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy.orm import Session

from wholeplace.core import geography
from wholeplace.core.errors import InvalidInputError, NotFoundError
from wholeplace.core.models import Neighbourhood
from wholeplace.identity import service as identity
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake

MOST_AGENCIES = 50


@dataclass(frozen=True)
class DrawnCohort:
    count: int
    description: str  # how it was drawn, in words, for the scenario to keep beside the number


@dataclass(frozen=True)
class CohortQuery:
    label: str
    about: str
    count: Callable[[Session, Lake, Mapping[str, str]], DrawnCohort]


def draw(db: Session, lake: Lake, query: str, parameters: Mapping[str, str]) -> DrawnCohort:
    """Count the cohort a named query describes."""
    if query not in COHORTS:
        raise InvalidInputError("Choose a cohort query from the list.", field="query")
    return COHORTS[query].count(db, lake, parameters)


# ---------------------------------------------------------------- households many agencies work with


def households_with_agencies(db: Session, lake: Lake, parameters: Mapping[str, str]) -> DrawnCohort:
    """Households in the latest linkage run with involvements (open or closed) recorded by at least
    `agencies` different agencies; with `neighbourhood` (a code), only the households that lie in it.

    A household is as the run formed it; someone in no household counts as a household of one. A person lives
    where the postcode of their most recently updated record puts them, and a household lies in the neighbourhood
    most of its members live in (the first by code on a tie)."""
    least = _whole_number(parameters.get("agencies", ""))
    neighbourhood = _neighbourhood(db, parameters.get("neighbourhood", ""))
    run = identity.latest_run(db)
    if run is None:
        raise NotFoundError(
            "The linked data hold no households yet.",
            fix="Load the agencies' records and link them (wholeplace link) first.",
        )
    batches = sources.lake_batches(db)
    involvements = identity.linked_involvements(db, lake, batches)
    agency_of = pa.table(
        {
            "source": pa.array([source.name for source in sources.list_sources(db)], pa.string()),
            "agency": pa.array([str(source.agency_id) for source in sources.list_sources(db)], pa.string()),
        }
    )
    with duckdb.connect() as connection:
        connection.register("involvements", involvements)
        connection.register("agency_of", agency_of)
        connection.execute(
            """
            CREATE TEMP TABLE household_agencies AS
            SELECT coalesce(household_id, 'person ' || person_id) AS household, count(DISTINCT agency) AS agencies
            FROM involvements JOIN agency_of USING (source) GROUP BY ALL
            """
        )
        if neighbourhood is None:
            found = connection.execute(
                "SELECT count(*) FROM household_agencies WHERE agencies >= ?", [least]
            ).fetchall()
        else:
            connection.register("homes", _household_neighbourhoods(db, lake))
            found = connection.execute(
                """
                SELECT count(*) FROM household_agencies JOIN homes USING (household)
                WHERE agencies >= ? AND neighbourhood = ?
                """,
                [least, neighbourhood.code],
            ).fetchall()
    count = int(found[0][0])
    where = f" living in {neighbourhood.name} ({neighbourhood.code})" if neighbourhood else ""
    description = (
        f"households{where} with involvements recorded by at least {least} different agencies, in linkage run "
        f"{run.sequence} of {run.finished_at:%-d %B %Y}"
    )
    return DrawnCohort(count, description)


def _whole_number(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= MOST_AGENCIES:
        raise InvalidInputError(
            "Enter the least number of agencies as a whole number from 1 to 50, like 3.", field="agencies"
        )
    return int(text)


def _neighbourhood(db: Session, code: str) -> Neighbourhood | None:
    if not code.strip():
        return None
    for neighbourhood in geography.neighbourhoods(db):
        if neighbourhood.code == code.strip():
            return neighbourhood
    raise InvalidInputError("Choose a neighbourhood from the list.", field="neighbourhood")


def _household_neighbourhoods(db: Session, lake: Lake) -> pa.Table:
    """household, neighbourhood: the neighbourhood most of each household's members live in."""
    areas = geography.postcode_areas(db)
    people = identity.linked_people(db, lake)
    with lake.connect(sources.lake_batches(db)) as connection:
        held = {
            row[0]
            for row in connection.execute(
                "SELECT view_name FROM duckdb_views() WHERE NOT internal"
            ).fetchall()
        }
        if "person" not in held:
            return pa.table(
                {"household": pa.array([], pa.string()), "neighbourhood": pa.array([], pa.string())}
            )
        columns = {row[0] for row in connection.execute("DESCRIBE person").fetchall()}
        newest = "r.updated_at DESC NULLS LAST, " if "updated_at" in columns else ""
        # The person view is materialised before it is joined: joining it directly can drop rows (DuckDB 2.0.1).
        connection.execute(
            "CREATE TEMP TABLE person_records AS SELECT * FROM person WHERE postcode IS NOT NULL"
        )
        postcodes = [
            row[0] for row in connection.execute("SELECT DISTINCT postcode FROM person_records").fetchall()
        ]
        connection.register(
            "postcode_places",
            pa.table(
                {
                    "postcode": pa.array(postcodes, pa.string()),
                    "neighbourhood": pa.array(
                        [geography.neighbourhood_of(postcode, areas) for postcode in postcodes], pa.string()
                    ),
                }
            ),
        )
        connection.register("linked", people)
        homes: pa.Table = connection.sql(
            f"""
            WITH lived AS (
                SELECT l.person_id, coalesce(l.household_id, 'person ' || l.person_id) AS household,
                    n.neighbourhood
                FROM person_records r
                JOIN linked l ON l.source = r.source AND l.record_id = r.record_id
                JOIN postcode_places n ON n.postcode = r.postcode
                QUALIFY row_number() OVER (
                    PARTITION BY l.person_id ORDER BY {newest}r.source, r.record_id) = 1
            )
            SELECT household, neighbourhood FROM (
                SELECT household, neighbourhood, count(*) AS living FROM lived
                WHERE neighbourhood IS NOT NULL GROUP BY ALL
            ) QUALIFY row_number() OVER (PARTITION BY household ORDER BY living DESC, neighbourhood) = 1
            """  # noqa: S608 - only the fixed ordering is put in
        ).to_arrow_table()
    return homes


COHORTS: dict[str, CohortQuery] = {
    "households_with_agencies": CohortQuery(
        label="Households that many agencies work with",
        about="Households in the latest linkage run with involvements recorded by at least the number of "
        "agencies you give, optionally only those living in one neighbourhood.",
        count=households_with_agencies,
    ),
}
