"""The model's settings: the levels the bands rely on are where the bands look for them."""

from __future__ import annotations

from typing import Any

from wholeplace.identity import model

EVERY_COLUMN = {
    "given_name", "middle_name", "family_name", "family_names", "given_name_variants", "given_name_sound",
    "family_name_sound", "sex", "date_of_birth", "address", "postcode", "postcode_sector", "postcode_district",
    "uprn", "nhs_number", "ni_number", "upn",
}  # fmt: skip


def _labels_by_level(comparison: str) -> dict[int, str]:
    settings: dict[str, Any] = model.settings(EVERY_COLUMN).create_settings_dict("duckdb")
    chosen = next(each for each in settings["comparisons"] if each["output_column_name"] == comparison)
    levels = [level for level in chosen["comparison_levels"] if not level.get("is_null_level")]
    return {len(levels) - 1 - index: level.get("label_for_charts", "") for index, level in enumerate(levels)}


def test_the_given_names_else_level_is_the_one_the_bands_hold_back() -> None:
    assert _labels_by_level("given_name")[model.GIVEN_NAMES_ELSE] == "All other comparisons"


def test_the_dates_of_birth_years_apart_are_the_levels_the_bands_hold_back() -> None:
    labels = _labels_by_level("date_of_birth")
    assert [labels[level] for level in sorted(model.DOB_YEARS_APART)] == [
        f"more than {model.GENERATION_YEARS} years apart",
        f"within {model.GENERATION_YEARS} years",
    ]
    assert labels[max(model.DOB_YEARS_APART) + 1] == "within a year"


def test_a_model_without_names_still_blocks_and_compares_what_it_has() -> None:
    columns = {"date_of_birth", "postcode", "nhs_number"}
    assert [comparison.create_output_column_name() for comparison in model.comparisons(columns)] == [
        "date_of_birth",
        "address",
        "nhs_number",
    ]
    assert model.blocking_rules(columns) and model.training_blocks(columns)
