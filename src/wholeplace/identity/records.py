"""The person records linkage reads: the current standardised rows of every person source in the lake, with the
columns the model compares."""

from __future__ import annotations

import duckdb
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]

from wholeplace.core.errors import WholeplaceError
from wholeplace.identity import names

# Columns that name a record rather than describe its person.
KEY_COLUMNS = ("unique_id", "source", "record_id", "batch")
# Each model column: the lake columns it needs, and how it is read from them (null where a source lacks them).
MODEL_COLUMNS = {
    "given_name": (("given_name_key_ascii",), "given_name_key_ascii"),
    "middle_name": (("middle_names_key_ascii",), "nullif(split_part(middle_names_key_ascii, ' ', 1), '')"),
    "family_name": (("family_name_key_ascii",), "family_name_key_ascii"),
    "previous_family_names": (("previous_family_names_key_ascii",), "previous_family_names_key_ascii"),
    "sex": (("sex",), "sex"),
    "date_of_birth": (("date_of_birth",), "strftime(date_of_birth, '%Y-%m-%d')"),
    "address": (
        ("address_line_1",),
        "nullif(trim(regexp_replace(lower(address_line_1), '[^a-z0-9]+', ' ', 'g')), '')",
    ),
    "postcode": (("postcode",), "postcode"),
    "postcode_sector": (("postcode_sector",), "postcode_sector"),
    "postcode_district": (("postcode_district",), "postcode_district"),
    "uprn": (("uprn",), "uprn"),
    "nhs_number": (("nhs_number",), "nhs_number"),
    "ni_number": (("ni_number",), "ni_number"),
    "upn": (("upn",), "upn"),
}


class NoPersonRecordsError(WholeplaceError):
    """There is nothing to link."""


def person_records(lake: duckdb.DuckDBPyConnection) -> pa.Table:
    """One row per current person record: `unique_id` ("source:record id"), `source`, `record_id`, and the
    model's columns."""
    if "person" not in lake_views(lake):
        raise NoPersonRecordsError(
            "No source holds person records yet, so there is nobody to link.",
            fix="Load a person extract first: wholeplace ingest SOURCE FILE.",
        )
    present = {row[0] for row in lake.execute("DESCRIBE person").fetchall()}
    selected = ", ".join(
        f"{expression if set(needs) <= present else 'NULL'}::VARCHAR AS {name}"
        for name, (needs, expression) in MODEL_COLUMNS.items()
    )
    records = lake.sql(
        f"SELECT source || ':' || record_id AS unique_id, source, record_id, batch, {selected} "  # noqa: S608
        "FROM person ORDER BY unique_id"
    ).to_arrow_table()
    return with_name_features(records)


def with_name_features(records: pa.Table) -> pa.Table:
    """Add the names each given name is also known by, every family name a record holds (each part of a
    double-barrelled name, and earlier names), and the sound of given and family names."""
    family_names = names.name_parts(records.column("family_name"), records.column("previous_family_names"))
    return (
        records.append_column("family_names", family_names)
        .append_column("given_name_variants", names.name_variants(records.column("given_name")))
        .append_column("given_name_sound", names.name_sounds(records.column("given_name")))
        .append_column("family_name_sound", names.name_sounds(records.column("family_name")))
    )


def record_activity(lake: duckdb.DuckDBPyConnection) -> pa.Table:
    """`unique_id`, `first_seen`, `last_seen`: the earliest and latest date of any involvement or event on each
    person record that has one."""
    views = lake_views(lake)
    dates = []
    if "involvement" in views:
        dates += [
            "SELECT source, record_id, start AS day FROM involvement",
            'SELECT source, record_id, "end" AS day FROM involvement',
        ]
    if "event" in views:
        dates.append('SELECT source, record_id, "date" AS day FROM event')
    if not dates:
        return pa.table(
            {
                "unique_id": pa.array([], pa.string()),
                "first_seen": pa.array([], pa.date32()),
                "last_seen": pa.array([], pa.date32()),
            }
        )
    return lake.sql(
        f"SELECT source || ':' || record_id AS unique_id, min(day)::DATE AS first_seen, max(day)::DATE AS last_seen "  # noqa: S608
        f"FROM ({' UNION ALL '.join(dates)}) WHERE day IS NOT NULL GROUP BY ALL"
    ).to_arrow_table()


def record_relationships(lake: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Pairs of person records a source states are related (by naming the other record)."""
    if "relationship" not in lake_views(lake):
        return []
    rows = lake.sql(
        "SELECT source || ':' || record_id, source || ':' || other_record FROM relationship "
        "WHERE other_record IS NOT NULL"
    ).fetchall()
    return [(first, second) for first, second in rows]


def lake_views(lake: duckdb.DuckDBPyConnection) -> set[str]:
    """The entities the lake holds rows of, as views of the connection."""
    return {
        row[0] for row in lake.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    }
