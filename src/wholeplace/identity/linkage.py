"""Person linkage with Splink on DuckDB: a model built from whichever standard fields the records hold, trained
without labels, scoring candidate pairs and clustering them into people. Data in, data out: no web, no
operational database.

Nothing here knows how any particular place or generator makes its records; a field that no record holds is
simply left out of the model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink import logging as splink_logging
from splink.internals.exceptions import EMTrainingException

# Columns the model may use, as `prepare_records` in identity.records names them.
NAME_COLUMNS = ("given_name", "family_name")
IDENTIFIERS = ("nhs_number", "ni_number", "upn")
# Identifiers that belong to one person only: two different valid values mean two people, whatever else agrees.
STRONG_IDENTIFIERS = ("nhs_number", "ni_number")
RANDOM_PAIRS_FOR_U = 2_000_000
SEED = 1
DEFAULT_LINK_PROBABILITY = 0.95
CANDIDATE_PROBABILITY = 0.2
# The share of true matches the exact rules are taken to find: typing errors and missing values hide the rest.
DETERMINISTIC_RECALL = 0.7

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Linked:
    """Scored candidate pairs and the people they cluster into."""

    pairs: pa.Table  # unique_id_l, unique_id_r, match_weight, match_probability
    clusters: pa.Table  # unique_id, cluster_id
    comparisons: int
    model: dict[str, Any]  # the trained Splink settings, to keep beside the results


def link_people(
    records: pa.Table,
    *,
    threshold: float = DEFAULT_LINK_PROBABILITY,
    progress: Progress | None = None,
) -> Linked:
    """Train a model on the records, score candidate pairs, and cluster pairs at or above `threshold`.

    `records` has a `unique_id` column and any of the model's columns (see `model_columns`)."""
    say = progress or (lambda _stage: None)
    columns = model_columns(records)
    database = DuckDBAPI()
    linker = Linker(database.register(records), _settings(columns))
    quiet_splink()
    say("training")
    _train(linker, columns)
    say("scoring candidate pairs")
    # Blocked first, so their number is known; predict then scores the cached pairs instead of blocking again.
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    comparisons = int(blocked.as_duckdbpyrelation().count("*").fetchall()[0][0])
    predicted = linker.inference.predict(threshold_match_probability=CANDIDATE_PROBABILITY)
    pairs = _without_conflicting_identifiers(predicted.as_duckdbpyrelation(), columns)
    say("clustering")
    clusters = _clusters(linker, database, pairs, threshold)
    return Linked(
        pairs=pairs.select(
            "unique_id_l", "unique_id_r", "match_weight", "match_probability"
        ).to_arrow_table(),
        clusters=clusters,
        comparisons=comparisons,
        model=linker.misc.save_model_to_json(),
    )


def quiet_splink() -> None:
    """Splink reports every step, and every comparison level the data never showed, on a handler of its own;
    the commands show their own progress instead."""
    splink_logging.disable()
    logging.getLogger("splink").setLevel(logging.ERROR)


def model_columns(records: pa.Table) -> list[str]:
    """The model's columns that at least one record holds a value in."""
    wanted = (*NAME_COLUMNS, "date_of_birth", "postcode", "uprn", *IDENTIFIERS)
    return [
        name
        for name in wanted
        if name in records.column_names and records.column(name).null_count < records.num_rows
    ]


def _settings(columns: list[str]) -> SettingsCreator:
    comparisons: list[Any] = []
    if all(name in columns for name in NAME_COLUMNS):
        comparisons.append(cl.ForenameSurnameComparison("given_name", "family_name"))
    if "date_of_birth" in columns:
        comparisons.append(cl.DateOfBirthComparison("date_of_birth", input_is_string=True))
    if "postcode" in columns:
        comparisons.append(cl.PostcodeComparison("postcode"))
    comparisons += [cl.ExactMatch(name) for name in ("uprn", *IDENTIFIERS) if name in columns]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=_blocking_rules(columns),
        retain_intermediate_calculation_columns=False,
    )


def _blocking_rules(columns: list[str]) -> list[Any]:
    """Candidate pairs: records sharing an identifier, or a date of birth and the start of a name, or a whole
    name, or a postcode and an initial — tight enough for a million people, loose enough for typing errors."""
    rules: list[Any] = [block_on(name) for name in IDENTIFIERS if name in columns]
    names = all(name in columns for name in NAME_COLUMNS)
    if names:
        rules.append(block_on("given_name", "family_name"))
    if names and "date_of_birth" in columns:
        rules += [
            block_on("date_of_birth", "substr(family_name, 1, 2)"),
            block_on("date_of_birth", "substr(given_name, 1, 2)"),
        ]
    if names and "postcode" in columns:
        rules.append(block_on("postcode", "substr(given_name, 1, 1)"))
    return rules


def _train(linker: Linker, columns: list[str]) -> None:
    deterministic: list[Any] = [block_on(name) for name in STRONG_IDENTIFIERS if name in columns]
    if all(name in columns for name in (*NAME_COLUMNS, "date_of_birth")):
        deterministic.append(block_on("given_name", "family_name", "date_of_birth"))
    if deterministic:  # else Splink's default prior stands
        linker.training.estimate_probability_two_random_records_match(
            deterministic, recall=DETERMINISTIC_RECALL
        )
    linker.training.estimate_u_using_random_sampling(max_pairs=RANDOM_PAIRS_FOR_U, seed=SEED)
    for rule in _training_blocks(columns):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except EMTrainingException:  # no pairs share this block: the other blocks train what they can
            continue


def _training_blocks(columns: list[str]) -> list[Any]:
    """Blocks for expectation maximisation: each leaves some comparisons free to be estimated."""
    blocks = []
    if "date_of_birth" in columns:
        blocks.append(block_on("date_of_birth"))
    if "postcode" in columns:
        blocks.append(block_on("postcode"))
    if all(name in columns for name in NAME_COLUMNS):
        blocks.append(block_on("given_name", "family_name"))
    return blocks


def _without_conflicting_identifiers(pairs: Any, columns: list[str]) -> Any:
    """Drop pairs whose records hold different values of an identifier only one person can have."""
    conflict = " OR ".join(
        f"(nullif({name}_l, '') IS NOT NULL AND nullif({name}_r, '') IS NOT NULL AND {name}_l <> {name}_r)"
        for name in STRONG_IDENTIFIERS
        if name in columns
    )
    return pairs.filter(f"NOT ({conflict})") if conflict else pairs


def _clusters(linker: Linker, database: DuckDBAPI, pairs: Any, threshold: float) -> pa.Table:
    registered = linker.table_management.register_table_predict(database.register(pairs.to_arrow_table()))
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        registered, threshold_match_probability=threshold
    )
    table = clustered.as_duckdbpyrelation().select("unique_id", "cluster_id").to_arrow_table()
    return table.sort_by("unique_id").cast(
        pa.schema([("unique_id", pa.string()), ("cluster_id", pa.string())])
    )
