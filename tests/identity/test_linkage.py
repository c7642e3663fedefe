"""Linking a generated place: people found across sources, strong identifiers respected, odd inputs handled."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pytest
from sqlalchemy.orm import Session

from tests.support.factories import MOMENT
from wholeplace.demo.generate.place import generate_place
from wholeplace.demo.service import demo_files, load_demo_file
from wholeplace.identity import service
from wholeplace.identity.linkage import link_people, model_columns
from wholeplace.identity.records import NoPersonRecordsError
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake

SECRET = "test-secret"


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("place")
    generate_place(residents=3000, seed=5, out=out)
    return out


def _loaded(db: Session, place: Path, lake: Lake) -> None:
    for demo_file in demo_files(place):
        load_demo_file(db, demo_file, lake=lake, now=MOMENT)


def test_a_generated_place_links_into_its_true_people(db: Session, place: Path, tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    _loaded(db, place, lake)
    summary = service.link_place(lake, sources.lake_batches(db), secret=SECRET)
    truth = pd.read_csv(place / "truth" / "records.csv", dtype=str)
    assert summary.records == len(truth)
    assert truth["person_id"].nunique() * 0.9 < summary.people < truth["person_id"].nunique() * 1.1
    scores = service.evaluate(lake, place / "truth" / "records.csv")
    assert scores["records"] == len(truth) and scores["records_not_in_truth"] == 0
    assert scores["pairwise"]["f1"] > 0.95, scores
    exported = tmp_path / "people.csv"
    assert service.export_people(lake, exported) == len(truth)
    people = pd.read_csv(exported, dtype=str)
    assert list(people.columns) == ["source", "record_id", "person_id"]
    assert people["person_id"].str.fullmatch(r"P[0-9a-f]{20}").all()


def _records(rows: list[dict[str, str | None]]) -> pa.Table:
    columns = ["unique_id", "given_name", "family_name", "date_of_birth", "postcode", "nhs_number"]
    return pa.table({name: pa.array([row.get(name) for row in rows], pa.string()) for name in columns})


def _people(count: int, **overrides: str | None) -> list[dict[str, str | None]]:
    given = ["amara", "ben", "chen", "dafydd", "ewa", "femi", "gita", "hamza", "iona", "jakub"]
    family = ["okafor", "smith", "li", "jones", "nowak", "adeyemi", "patel", "khan", "ross", "kowalski"]
    return [
        {
            "unique_id": f"s:{index}",
            "given_name": given[index % 10],
            "family_name": family[index // 10 % 10],
            "date_of_birth": f"19{60 + index % 40}-{1 + index % 12:02d}-{1 + index % 28:02d}",
            "postcode": f"RF{index % 9} {index % 10}AB",
            "nhs_number": f"9{index:09d}",
            **overrides,
        }
        for index in range(count)
    ]


def test_two_records_with_different_nhs_numbers_are_never_linked(tmp_path: Path) -> None:
    twins = _people(300)
    twins.append(
        {**twins[5], "unique_id": "t:copy"}
    )  # the same person again, and a namesake with another number
    twins.append({**twins[7], "unique_id": "t:other", "nhs_number": "9999999999"})
    clusters = dict(zip(*link_people(_records(twins)).clusters.to_pydict().values(), strict=True))
    assert clusters["t:copy"] == clusters["s:5"]
    assert clusters["t:other"] != clusters["s:7"]


def test_a_field_no_record_holds_is_left_out_of_the_model() -> None:
    people = _people(200, postcode=None)
    people += [{**person, "unique_id": f"again:{index}"} for index, person in enumerate(people[:20])]
    records = _records(people)
    assert "postcode" not in model_columns(records)
    clusters = dict(zip(*link_people(records).clusters.to_pydict().values(), strict=True))
    assert len(clusters) == 220 and clusters["again:3"] == clusters["s:3"]


def test_a_place_without_person_records_says_so(db: Session, tmp_path: Path) -> None:
    with pytest.raises(NoPersonRecordsError, match="No source holds person records"):
        service.link_place(Lake(tmp_path / "lake"), sources.lake_batches(db), secret=SECRET)


def test_evaluating_before_linking_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="not been linked yet"):
        service.linked_people(Lake(tmp_path / "lake"))
