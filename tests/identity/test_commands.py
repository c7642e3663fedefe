"""The link commands as a person runs them, after the demo has loaded and linked its place."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tests.test_cli import _run


def test_the_demo_links_its_place_and_the_link_commands_score_and_export_it(
    empty_database_url: str, tmp_path: Path
) -> None:
    built = _run(
        ["demo", "--no-serve", "--residents", "1000"], data_dir=tmp_path, database_url=empty_database_url
    )
    assert built.returncode == 0, built.stderr
    assert "person records into" in built.stdout
    truth = tmp_path / "demo-place" / "truth" / "records.csv"
    scored = _run(
        ["link", "evaluate", "--truth", str(truth), "--json"],
        data_dir=tmp_path,
        database_url=empty_database_url,
    )
    scores = json.loads(scored.stdout)
    assert scores["pairwise"]["f1"] > 0.9 and set(scores["bcubed"]) == {"precision", "recall", "f1"}
    assert set(scores["households"]) == {"precision", "recall", "f1"}
    again = json.loads(_run(["link", "--json"], data_dir=tmp_path, database_url=empty_database_url).stdout)
    assert again["records"] == len(pd.read_csv(truth)) and again["kind"] == "full"
    assert {"comparisons", "links", "people", "households", "review_queue", "thresholds"} <= set(again)
    new = json.loads(
        _run(["link", "new", "--json"], data_dir=tmp_path, database_url=empty_database_url).stdout
    )
    assert (new["kind"], new["people"], new["comparisons"]) == ("new records", again["people"], 0)
    stricter = _run(
        ["link", "thresholds", "--upper", "0.99", "--lower", "0.6", "--reason", "trial"],
        data_dir=tmp_path,
        database_url=empty_database_url,
    )
    assert stricter.returncode == 0 and "Thresholds 0.9900 and 0.6000" in stricter.stdout
    shown = _run(["link", "thresholds"], data_dir=tmp_path, database_url=empty_database_url)
    assert "chosen by the place" in shown.stdout
    out = tmp_path / "people.csv"
    exported = _run(["link", "export", "--out", str(out)], data_dir=tmp_path, database_url=empty_database_url)
    people = pd.read_csv(out)
    assert exported.returncode == 0 and len(people) == len(pd.read_csv(truth))
    assert list(people.columns) == ["source", "record_id", "person_id", "household_id"]


def test_scoring_against_a_file_without_the_truth_columns_says_which_is_missing(
    empty_database_url: str, tmp_path: Path
) -> None:
    wrong = tmp_path / "truth.csv"
    wrong.write_text("source,record\nx,1\n", encoding="utf-8")
    refused = _run(
        ["link", "evaluate", "--truth", str(wrong)], data_dir=tmp_path, database_url=empty_database_url
    )
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "not been linked yet" in refused.stderr or "record_id" in refused.stderr
