"""Every extract of the demo place loads through its own mapping with the counts its truth expects."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from tests.support.factories import MOMENT
from wholeplace.demo.generate.place import generate_place
from wholeplace.demo.service import demo_files, load_demo_file
from wholeplace.sources import service
from wholeplace.sources.lake import Lake


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("place")
    generate_place(residents=2500, seed=11, out=out)
    return out


def test_every_demo_file_loads_with_the_expected_counts(db: Session, place: Path, tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    truth = pd.read_csv(place / "truth" / "records.csv", dtype=str)
    expected = truth.groupby("source").size().to_dict()
    for demo_file in demo_files(place):
        result = load_demo_file(db, demo_file, lake=lake, now=MOMENT)
        assert result.rows_quarantined == 0, demo_file.source
        if demo_file.source in expected:
            assert result.rows_loaded == expected[demo_file.source], demo_file.source
        else:
            assert result.rows_loaded == len(pd.read_csv(demo_file.file)), demo_file.source
    lake_view = lake.connect(service.lake_batches(db))
    assert lake_view.execute("SELECT count(*) FROM person").fetchall()[0][0] == len(truth)
    loaded = pd.DataFrame(
        lake_view.execute("SELECT source, record_id FROM person").fetchall(), columns=["source", "record_id"]
    )
    assert set(map(tuple, loaded.to_numpy())) == set(map(tuple, truth[["source", "record_id"]].to_numpy()))
    for entity in ("involvement", "event", "relationship", "spend_line"):
        assert lake_view.execute(f"SELECT count(*) FROM {entity}").fetchall()[0][0] > 0, entity  # noqa: S608


def test_loading_the_demo_twice_changes_nothing(db: Session, place: Path, tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    files = demo_files(place)[:3]
    first = [load_demo_file(db, demo_file, lake=lake, now=MOMENT).batch_id for demo_file in files]
    again = [load_demo_file(db, demo_file, lake=lake, now=MOMENT).duplicate_of for demo_file in files]
    assert again == first
