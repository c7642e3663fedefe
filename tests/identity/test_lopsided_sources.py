"""One very large source and one of ten records: the ten still find their people among the many."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from tests.support.factories import MOMENT
from wholeplace.demo.generate.place import generate_place
from wholeplace.demo.service import demo_files, load_demo_file
from wholeplace.identity import service
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake
from wholeplace.sources.mapping import parse_mapping

SMALL_MAPPING = """\
source: walk_in_centre
agency: Riverford Health Partnership
entity: person
format: {type: csv}
record_id: ref
columns:
  given_name: forename
  family_name: surname
  date_of_birth: {column: born, format: "%Y-%m-%d"}
  postcode: postcode
"""


@pytest.mark.slow
def test_ten_records_beside_tens_of_thousands_link_to_their_people(db: Session, tmp_path: Path) -> None:
    place = tmp_path / "place"
    generate_place(residents=60_000, seed=3, out=place)
    lake = Lake(tmp_path / "lake")
    (health,) = [demo_file for demo_file in demo_files(place) if demo_file.source == "health_ed"]
    load_demo_file(db, health, lake=lake, now=MOMENT)
    attendances = pd.read_parquet(health.file)
    chosen = attendances.dropna(subset=["patient_forename", "date_of_birth", "postcode"]).drop_duplicates(
        "nhs_number"
    )
    chosen = chosen.sample(10, random_state=1)
    small = tmp_path / "walk_in.csv"
    pd.DataFrame(
        {
            "ref": [f"W{index}" for index in range(10)],
            "forename": chosen["patient_forename"],
            "surname": chosen["patient_surname"],
            "born": chosen["date_of_birth"],
            "postcode": chosen["postcode"],
        }
    ).to_csv(small, index=False)
    sources.ingest_file(
        db,
        source_name="walk_in_centre",
        path=small,
        lake=lake,
        by="tester",
        now=MOMENT,
        mapping=parse_mapping(SMALL_MAPPING, file="walk_in.yaml"),
    )
    summary = service.link_place(
        db, lake, sources.lake_batches(db), secret="s", actor=service.Actor("t", MOMENT)
    )
    assert summary.records == len(attendances) + 10
    people = service.linked_people(db, lake).to_pandas()
    person_of = dict(zip(people["source"] + ":" + people["record_id"], people["person_id"], strict=True))
    found = sum(
        person_of[f"walk_in_centre:W{index}"] == person_of[f"health_ed:{attendance}"]
        for index, attendance in enumerate(chosen["attendance_id"])
    )
    assert found >= 9
