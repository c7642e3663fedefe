"""The linkage model's settings, the same on every backend: which comparisons, which candidate pairs, which
blocks train it. Built from the columns the records hold; a column no record holds is left out.

The columns are those `identity.records` reads from the lake. Levels run from the strongest agreement to none;
Splink learns how much each is worth on the place's own data, so nothing here weighs any field by hand.
"""

from __future__ import annotations

from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

NAME_COLUMNS = ("given_name", "family_name")
IDENTIFIERS = ("nhs_number", "ni_number", "upn")
# Identifiers that belong to one person only: two different values mean two people, whatever else agrees.
STRONG_IDENTIFIERS = ("nhs_number", "ni_number")
# Dates of birth further apart than this are a generation apart: a parent and child sharing a name.
GENERATION_YEARS = 12
# Splink numbers a comparison's levels from the last (0, the else level) up; these name levels the bands rely on.
GIVEN_NAMES_ELSE = 0  # given names agree in no way
DOB_YEARS_APART = (
    0,
    1,
)  # dates of birth more than a year apart: "within 12 years" and "more than 12 years apart"
SWAPPED = "given_name_l = family_name_r AND family_name_l = given_name_r"


def settings(columns: set[str]) -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(columns),
        blocking_rules_to_generate_predictions=blocking_rules(columns),
        retain_intermediate_calculation_columns=True,
    )


def comparisons(columns: set[str]) -> list[Any]:
    chosen: list[Any] = []
    if {"given_name", "family_name"} <= columns:
        chosen += [_given_name(columns), _family_name(columns)]
    if "date_of_birth" in columns:
        chosen.append(_date_of_birth())
    if columns & {"uprn", "address", "postcode"}:
        chosen.append(_address(columns))
    chosen += [cl.ExactMatch(name) for name in ("sex", *IDENTIFIERS) if name in columns]
    return chosen


def blocking_rules(columns: set[str]) -> list[Any]:
    """Candidate pairs: records sharing an identifier, or a whole name (either way round), or a date of birth
    and the start of a name, or a date of birth and a postcode, or a postcode and an initial — tight enough for a
    million people, loose enough for typing errors in any one field."""
    rules: list[Any] = [block_on(name) for name in IDENTIFIERS if name in columns]
    names = set(NAME_COLUMNS) <= columns
    if names:
        rules += [
            block_on("given_name", "family_name"),
            "l.given_name = r.family_name AND l.family_name = r.given_name",
        ]
    if names and "date_of_birth" in columns:
        rules += [
            block_on("date_of_birth", "substr(family_name, 1, 2)"),
            block_on("date_of_birth", "substr(given_name, 1, 2)"),
        ]
    if {"date_of_birth", "postcode"} <= columns:
        rules.append(block_on("date_of_birth", "postcode"))
    if names and "postcode" in columns:
        rules.append(block_on("postcode", "substr(given_name, 1, 1)"))
    return rules


def deterministic_rules(columns: set[str]) -> list[Any]:
    """Rules almost every pair they find is a true match under: they estimate how many pairs match at all."""
    rules: list[Any] = [block_on(name) for name in STRONG_IDENTIFIERS if name in columns]
    if {*NAME_COLUMNS, "date_of_birth"} <= columns:
        rules.append(block_on("given_name", "family_name", "date_of_birth"))
    return rules


def training_blocks(columns: set[str]) -> list[Any]:
    """Blocks for expectation maximisation: each leaves the comparisons outside it free to be estimated. None
    is an address: people who share one are mostly different members of a household, and would teach the model
    that a household is a person. The date-of-birth block also shares a family name's initial: alone it would pair
    every two people born on one day, tens of millions of pairs at a million residents, for little more."""
    blocks: list[Any] = [block_on(name) for name in STRONG_IDENTIFIERS if name in columns]
    if set(NAME_COLUMNS) <= columns:
        blocks.append(block_on("given_name", "family_name"))
    if "date_of_birth" in columns:
        blocks.append(block_on("date_of_birth", "substr(family_name, 1, 1)"))
    return blocks


def _given_name(columns: set[str]) -> Any:
    levels: list[Any] = [
        cll.NullLevel("given_name"),
        cll.ExactMatchLevel("given_name", term_frequency_adjustments=True),
        cll.CustomLevel(SWAPPED, "given and family names swapped"),
    ]
    if "given_name_variants" in columns:
        levels.append(
            cll.CustomLevel(
                "list_contains(given_name_variants_l, given_name_r) "
                "OR list_contains(given_name_variants_r, given_name_l)",
                "one is a nickname of the other",
                base_dialect_str="duckdb",
            )
        )
    levels += [
        cll.Or(cll.DamerauLevenshteinLevel("given_name", 1), cll.JaroWinklerLevel("given_name", 0.92)),
    ]
    if "given_name_sound" in columns:
        levels.append(cll.CustomLevel("given_name_sound_l = given_name_sound_r", "sound alike"))
    if "middle_name" in columns:
        levels.append(
            cll.CustomLevel(
                "given_name_l = middle_name_r OR middle_name_l = given_name_r",
                "one's given name is a middle name",
            )
        )
    levels += [
        cll.CustomLevel(
            "length(given_name_l) >= 3 AND length(given_name_r) >= 3 "
            "AND substr(given_name_l, 1, 3) = substr(given_name_r, 1, 3)",
            "the first three letters agree",
        ),
        cll.CustomLevel(
            "(length(given_name_l) = 1 OR length(given_name_r) = 1) "
            "AND substr(given_name_l, 1, 1) = substr(given_name_r, 1, 1)",
            "an initial agrees",
        ),
        cll.ElseLevel(),
    ]
    return cl.CustomComparison(levels, output_column_name="given_name", comparison_description="Given name")


def _family_name(columns: set[str]) -> Any:
    levels: list[Any] = [
        cll.NullLevel("family_name"),
        cll.ExactMatchLevel("family_name", term_frequency_adjustments=True),
        cll.CustomLevel(SWAPPED, "given and family names swapped"),
    ]
    if "family_names" in columns:
        levels.append(
            cll.ArrayIntersectLevel("family_names", 1).configure(label_for_charts="shares a family name")
        )
    levels.append(
        cll.Or(cll.DamerauLevenshteinLevel("family_name", 1), cll.JaroWinklerLevel("family_name", 0.92))
    )
    if "family_name_sound" in columns:
        levels.append(cll.CustomLevel("family_name_sound_l = family_name_sound_r", "sound alike"))
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(levels, output_column_name="family_name", comparison_description="Family name")


def _date_of_birth() -> Any:
    def part(side: str, start: int, length: int) -> str:
        return f"substr(date_of_birth_{side}, {start}, {length})"

    same_year = f"{part('l', 1, 4)} = {part('r', 1, 4)}"
    transposed = f"{part('l', 6, 2)} = {part('r', 9, 2)} AND {part('l', 9, 2)} = {part('r', 6, 2)}"
    years_apart = f"abs(CAST({part('l', 1, 4)} AS INTEGER) - CAST({part('r', 1, 4)} AS INTEGER))"
    return cl.CustomComparison(
        [
            cll.NullLevel("date_of_birth"),
            cll.ExactMatchLevel("date_of_birth"),
            cll.CustomLevel(f"{same_year} AND {transposed}", "day and month transposed"),
            cll.DamerauLevenshteinLevel("date_of_birth", 1).configure(
                label_for_charts="one character differs"
            ),
            cll.CustomLevel(f"{years_apart} <= 1", "within a year"),
            cll.CustomLevel(f"{years_apart} <= {GENERATION_YEARS}", f"within {GENERATION_YEARS} years"),
            cll.ElseLevel().configure(label_for_charts=f"more than {GENERATION_YEARS} years apart"),
        ],
        output_column_name="date_of_birth",
        comparison_description="Date of birth",
    )


def _address(columns: set[str]) -> Any:
    present = [name for name in ("uprn", "address", "postcode") if name in columns]
    null = " AND ".join(f"({name}_l IS NULL OR {name}_r IS NULL)" for name in present)
    levels: list[Any] = [cll.CustomLevel(null, "no address to compare").configure(is_null_level=True)]
    if "uprn" in columns:
        levels.append(cll.ExactMatchLevel("uprn").configure(label_for_charts="same property reference"))
    if {"address", "postcode"} <= columns:
        levels += [
            cll.And(cll.ExactMatchLevel("address"), cll.ExactMatchLevel("postcode")).configure(
                label_for_charts="same address and postcode"
            ),
            cll.And(cll.JaroWinklerLevel("address", 0.9), cll.ExactMatchLevel("postcode")).configure(
                label_for_charts="similar address, same postcode"
            ),
        ]
    for name, label in (
        ("postcode", "same postcode"),
        ("postcode_sector", "same postcode sector"),
        ("postcode_district", "same postcode district"),
    ):
        if name in columns:
            levels.append(cll.ExactMatchLevel(name).configure(label_for_charts=label))
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(levels, output_column_name="address", comparison_description="Address")
