"""Person linkage with Splink on DuckDB: train the model without labels, and score candidate pairs with a trained
model. Data in, data out: no web, no operational database.

Nothing here knows how any particular place or generator makes its records; a field that no record holds is
simply left out of the model (see `identity.model`).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
from splink import DuckDBAPI, Linker
from splink import logging as splink_logging
from splink.internals.exceptions import EMTrainingException

from wholeplace.identity import model
from wholeplace.identity.records import KEY_COLUMNS

RANDOM_PAIRS_FOR_U = 2_000_000
SEED = 1
# Pairs scored below this are kept out of the results altogether: they are neither links nor worth a review.
FLOOR_PROBABILITY = 0.01
# The share of true matches the exact rules are taken to find: typing errors and missing values hide the rest.
DETERMINISTIC_RECALL = 0.7
M_FLOOR = 0.001
# Fewer reviewed matches than this would sway the m estimates more than they inform them.
MIN_REVIEWED_MATCHES = 20
DUCKDB_MEMORY_SHARE = 0.4
PAIR_COLUMNS = ("unique_id_l", "unique_id_r", "match_weight", "match_probability")

Progress = Callable[[str], None]


class UntrainableError(ValueError):
    """The records give the model nothing to learn from."""


@dataclass(frozen=True)
class Scored:
    """Candidate pairs with their scores, each comparison's level and Bayes factor, and whether the two records
    hold different values of an identifier only one person can hold."""

    pairs: pa.Table
    comparisons: int


def model_columns(records: pa.Table) -> set[str]:
    """The columns at least one record holds a value in."""
    return {
        name
        for name in records.column_names
        if name not in KEY_COLUMNS and records.column(name).null_count < records.num_rows
    }


def train(
    records: pa.Table, *, matches: Sequence[tuple[str, str]] = (), progress: Progress | None = None
) -> dict[str, Any]:
    """Train a model on the records: the share of pairs that match from rules almost always right, u by random
    sampling, m by expectation maximisation — and, once reviewers have said enough pairs are the same person
    (`matches`, by unique_id), m from those pairs too, as one more estimate among the others. Returns the model
    as Splink saves it."""
    say = progress or (lambda _stage: None)
    columns = model_columns(records)
    _refuse_identical(records, columns)
    linker, database = _linker(records, model.settings(columns))
    say("training")
    deterministic = model.deterministic_rules(columns)
    if deterministic:
        _estimate_prior(linker, deterministic)
    linker.training.estimate_u_using_random_sampling(max_pairs=RANDOM_PAIRS_FOR_U, seed=SEED)
    for rule in model.training_blocks(columns):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except (
            EMTrainingException,
            ValueError,
        ):  # too few pairs in this block: the others train what they can
            continue
    _learn_from_reviewers(linker, database, records, matches)
    return with_floor_on_m(dict(linker.misc.save_model_to_json()))


def _learn_from_reviewers(
    linker: Linker, database: DuckDBAPI, records: pa.Table, matches: Sequence[tuple[str, str]]
) -> None:
    present = set(records.column("unique_id").to_pylist())
    known = [(left, right) for left, right in matches if left in present and right in present]
    if len(known) < MIN_REVIEWED_MATCHES:
        return
    labels = pa.table(
        {"unique_id_l": [left for left, _ in known], "unique_id_r": [right for _, right in known]}
    )
    registered = linker.table_management.register_labels_table(database.register(labels))
    linker.training.estimate_m_from_pairwise_labels(registered)  # type: ignore[no-untyped-call]


def with_floor_on_m(trained: dict[str, Any]) -> dict[str, Any]:
    """Raise every level's m probability to at least `M_FLOOR`: unlabelled training on clean data can learn that
    a disagreement (in sex, say) never happens between true matches, and one keying error would then outweigh
    every agreement. Conflicting strong identifiers are kept apart by rule instead (see identity.clustering)."""
    for comparison in trained["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("m_probability") is not None:
                level["m_probability"] = max(level["m_probability"], M_FLOOR)
    return trained


def score(records: pa.Table, trained: dict[str, Any], *, progress: Progress | None = None) -> Scored:
    """Score every candidate pair of the records with a trained model."""
    say = progress or (lambda _stage: None)
    linker, _database = _linker(records, trained)
    say("scoring candidate pairs")
    # Blocked first, so their number is known; predict then scores the cached pairs instead of blocking again.
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    comparisons = int(blocked.as_duckdbpyrelation().count("*").fetchall()[0][0])
    predicted = linker.inference.predict(threshold_match_probability=FLOOR_PROBABILITY)
    return Scored(pairs=kept_columns(predicted.as_duckdbpyrelation()), comparisons=comparisons)


def quiet_splink() -> None:
    """Splink reports every step, and every comparison level the data never showed, on a handler of its own;
    the commands show their own progress instead."""
    splink_logging.disable()
    logging.getLogger("splink").setLevel(logging.ERROR)


def score_new(
    records: pa.Table, new: set[str], trained: dict[str, Any], *, progress: Progress | None = None
) -> Scored:
    """Score the candidate pairs that involve at least one of the `new` records (by unique_id), with a trained
    model and the term frequencies of all the records: a day's records in seconds, without retraining."""
    say = progress or (lambda _stage: None)
    linker, database = _linker(records, trained)
    for column in _term_frequency_columns(trained):
        linker.table_management.compute_tf_table(column)
    is_new = pc.is_in(records.column("unique_id"), value_set=pa.array(sorted(new), pa.string()))
    arrived = database.register(records.filter(is_new))
    known = database.register(records.filter(pc.invert(is_new)))
    say("scoring the new records")
    between = linker.inference.predict_between(known, arrived, threshold_match_probability=FLOOR_PROBABILITY)
    within = linker.inference.predict_within(arrived, threshold_match_probability=FLOOR_PROBABILITY)
    pairs = pa.concat_tables(
        [kept_columns(between.as_duckdbpyrelation()), kept_columns(within.as_duckdbpyrelation())],
        promote_options="permissive",
    )
    return Scored(pairs=pairs, comparisons=pairs.num_rows)


def _term_frequency_columns(trained: dict[str, Any]) -> list[str]:
    return sorted(
        {
            level["tf_adjustment_column"]
            for comparison in trained["comparisons"]
            for level in comparison["comparison_levels"]
            if level.get("tf_adjustment_column")
        }
    )


def _linker(records: pa.Table, settings: Any) -> tuple[Linker, DuckDBAPI]:
    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")
    # DuckDB would take 80% of memory; a share leaves room for the Python side, and DuckDB spills the rest.
    connection.execute(f"SET memory_limit = '{_duckdb_memory_mb()}MB'")
    connection.execute(f"SET temp_directory = '{Path(tempfile.gettempdir()) / 'wholeplace-linkage'}'")
    database = DuckDBAPI(connection=connection)
    linker = Linker(database.register(records), settings)
    quiet_splink()
    return linker, database


def _duckdb_memory_mb() -> int:
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return int(physical * DUCKDB_MEMORY_SHARE) >> 20


def _estimate_prior(linker: Linker, deterministic: list[Any]) -> None:
    try:
        linker.training.estimate_probability_two_random_records_match(
            deterministic, recall=DETERMINISTIC_RECALL
        )
    except ValueError:  # Splink takes the log of the share: it fails when every pair meets a rule
        raise UntrainableError(
            "Every pair of records shares an identifier or a whole name and date of birth, so the model cannot "
            "learn what tells two people apart."
        ) from None
    if not 0 < linker.misc.save_model_to_json()["probability_two_random_records_match"] < 1:
        raise UntrainableError(
            "No two records share an NHS number, a national insurance number, or a whole name and date of birth, "
            "so the model has no sure matches to learn how common matches are."
        )


def _refuse_identical(records: pa.Table, columns: set[str]) -> None:
    """Every compared column holds one value (or none) only when every record is alike."""
    compared = [name for name in columns if not pa.types.is_list(records.schema.field(name).type)]
    if all(pc.count_distinct(records.column(name), mode="all").as_py() <= 1 for name in compared):
        raise UntrainableError(
            f"All {records.num_rows:,} records hold the same values in every field the model compares, so there is "
            "nothing to tell people apart by."
        )


def kept_columns(predicted: duckdb.DuckDBPyRelation) -> pa.Table:
    levels = [name for name in predicted.columns if name.startswith(("gamma_", "mw_"))]
    present = set(predicted.columns)
    conflicts = [
        f"({name}_l IS NOT NULL AND {name}_r IS NOT NULL AND {name}_l <> {name}_r)"
        for name in model.STRONG_IDENTIFIERS
        if f"{name}_l" in present
    ]
    conflict = " OR ".join(conflicts) if conflicts else "false"
    return predicted.select(
        f"{', '.join(PAIR_COLUMNS)}, {', '.join(levels)}, ({conflict}) AS conflict"
    ).to_arrow_table()
