"""Scoring candidate pairs on Spark: the place's trained model, rebuilt for Spark's SQL, run by Splink's Spark
backend — in local mode on one machine, or on any cluster `spark_master` names.

Splink writes a trained model's SQL for the backend it was trained on, so the model is not loaded as saved: the
same settings are made again for Spark and the trained numbers (how common matches are, each level's m and u)
are carried across level by level.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
from pyspark.sql import SparkSession
from splink import Linker, SparkAPI
from splink.backends.spark import similarity_jar_location

from wholeplace.core.errors import ConfigurationError
from wholeplace.identity import model
from wholeplace.identity.linkage import FLOOR_PROBABILITY, Progress, Scored, kept_columns, quiet_splink

SHUFFLE_PARTITIONS = 8
LOG4J = (
    "rootLogger.level = error\nrootLogger.appenderRef.stderr.ref = console\nappender.console.type = Console\n"
)
LOG4J += "appender.console.name = console\nappender.console.target = SYSTEM_ERR\n"
LOG4J += "appender.console.layout.type = PatternLayout\nappender.console.layout.pattern = %m%n\n"


def score(
    records: pa.Table,
    trained: dict[str, Any],
    columns: set[str],
    *,
    master: str = "local[2]",
    progress: Progress | None = None,
) -> Scored:
    """Score every candidate pair of the records on Spark with a model trained on the `columns`."""
    say = progress or (lambda _stage: None)
    say("starting Spark")
    with spark_session(master) as spark:
        database = SparkAPI(spark_session=spark)  # type: ignore[no-untyped-call]
        linker = Linker(database.register(records), for_dialect(trained, columns, "spark"))
        quiet_splink()
        say("scoring candidate pairs on Spark")
        comparisons = int(linker.inference.compute_blocked_pairs_for_predict().as_spark_dataframe().count())
        predictions = linker.inference.predict(threshold_match_probability=FLOOR_PROBABILITY)
        predicted = predictions.as_pyarrow_table()  # type: ignore[no-untyped-call]
    return Scored(pairs=kept_columns(duckdb.connect().from_arrow(predicted)), comparisons=comparisons)


def for_dialect(trained: dict[str, Any], columns: set[str], dialect: str) -> dict[str, Any]:
    """The model's settings written for `dialect`, with the trained numbers of `trained` carried across."""
    settings: dict[str, Any] = model.settings(columns).create_settings_dict(dialect)
    settings["probability_two_random_records_match"] = trained["probability_two_random_records_match"]
    for made, learnt in zip(settings["comparisons"], trained["comparisons"], strict=True):
        for level, learnt_level in zip(made["comparison_levels"], learnt["comparison_levels"], strict=True):
            for name in ("m_probability", "u_probability"):
                if learnt_level.get(name) is not None:
                    level[name] = learnt_level[name]
    return settings


@contextmanager
def spark_session(master: str) -> Iterator[Any]:
    """A Spark session with Splink's similarity functions, quiet, its scratch space removed afterwards."""
    if shutil.which("java") is None and "JAVA_HOME" not in os.environ:
        raise ConfigurationError(
            "Linking on Spark needs Java, and none is installed.",
            fix="Install Java 17 (apt-get install openjdk-17-jre-headless) or link with --backend duckdb.",
        )
    scratch = Path(tempfile.mkdtemp(prefix="wholeplace-spark-"))
    (scratch / "log4j2.properties").write_text(LOG4J, encoding="utf-8")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    _quiet_pyspark()
    spark = (
        SparkSession.builder.master(master)
        .appName("wholeplace linkage")
        .config("spark.sql.shuffle.partitions", str(SHUFFLE_PARTITIONS))
        .config("spark.default.parallelism", str(SHUFFLE_PARTITIONS))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.local.dir", str(scratch / "local"))
        .config("spark.sql.warehouse.dir", str(scratch / "warehouse"))
        .config(
            "spark.driver.extraJavaOptions",
            f"-Dderby.system.home={scratch / 'derby'} -Dlog4j2.configurationFile=file:{scratch / 'log4j2.properties'}",
        )
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.jars", similarity_jar_location())
        .getOrCreate()
    )
    try:
        spark.sparkContext.setLogLevel("ERROR")
        spark.sparkContext.setCheckpointDir(str(scratch / "checkpoints"))  # Splink breaks lineage through it
        yield spark
    finally:
        spark.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def _quiet_pyspark() -> None:
    """pyspark logs every SQL error Splink expects and catches, and warns about pandas versions it has not met."""
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger", "py4j"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    warnings.filterwarnings("ignore", message="The copy keyword is deprecated")
