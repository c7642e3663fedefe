"""The person records linkage reads: the current standardised rows of every person source in the lake, with the
columns the model compares."""

from __future__ import annotations

import duckdb
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]

from wholeplace.core.errors import WholeplaceError

# Each model column: the lake column behind it, and how it is read (nulls where no source has the column).
MODEL_COLUMNS = {
    "given_name": ("given_name_key_ascii", "given_name_key_ascii"),
    "family_name": ("family_name_key_ascii", "family_name_key_ascii"),
    "date_of_birth": ("date_of_birth", "strftime(date_of_birth, '%Y-%m-%d')"),
    "postcode": ("postcode", "postcode"),
    "uprn": ("uprn", "uprn"),
    "nhs_number": ("nhs_number", "nhs_number"),
    "ni_number": ("ni_number", "ni_number"),
    "upn": ("upn", "upn"),
}


class NoPersonRecordsError(WholeplaceError):
    """There is nothing to link."""


def person_records(lake: duckdb.DuckDBPyConnection) -> pa.Table:
    """One row per current person record: `unique_id` ("source:record id"), `source`, `record_id`, and the
    model's columns."""
    views = {
        row[0] for row in lake.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    }
    if "person" not in views:
        raise NoPersonRecordsError(
            "No source holds person records yet, so there is nobody to link.",
            fix="Load a person extract first: wholeplace ingest SOURCE FILE.",
        )
    present = {row[0] for row in lake.execute("DESCRIBE person").fetchall()}
    selected = ", ".join(
        f"{expression if column in present else 'NULL'}::VARCHAR AS {name}"
        for name, (column, expression) in MODEL_COLUMNS.items()
    )
    return lake.sql(
        f"SELECT source || ':' || record_id AS unique_id, source, record_id, {selected} "  # noqa: S608
        "FROM person ORDER BY unique_id"
    ).to_arrow_table()
