"""Computing measures from a small generated place, loaded and linked once per database (SQLite and PostgreSQL):
values for the place and each neighbourhood under the current definition's version, checked against a count
made here from the lake and the linked people; a new version replacing the values it changes; measures that
cannot be computed reported while the others are computed; and the owner warned of special cause concern."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from tests.outcomes import factories as make
from tests.support.factories import MOMENT
from wholeplace.core import geography
from wholeplace.demo.generate.place import NEIGHBOURHOODS_FILE, generate_place
from wholeplace.demo.service import demo_files, load_demo_file
from wholeplace.identity import service as identity
from wholeplace.outcomes.models import Measure
from wholeplace.outcomes.service import computing, definitions, values, warnings
from wholeplace.outcomes.spc import Polarity
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake

ABSENCE = {
    "key": "share_of_people_with_event",
    "description": "Pupils persistently absent, of pupils on roll.",
}
ATTENDANCES = {"key": "events_per_thousand", "description": "Emergency attendances per 1,000 residents."}


@dataclass(frozen=True)
class LinkedPlace:
    connection: Connection
    data_dir: Path


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("place")
    generate_place(residents=1000, seed=11, out=out)
    return out


@pytest.fixture(scope="module")
def linked_place(
    engine: Engine, generated: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LinkedPlace]:
    """The place's extracts loaded, its neighbourhoods set and its records linked, once per database, in a
    transaction rolled back after the module's tests."""
    data_dir = tmp_path_factory.mktemp("linked")
    with engine.connect() as connection:
        outer = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint") as db:
            lake = Lake.in_data_dir(data_dir)
            for demo_file in demo_files(generated):
                load_demo_file(db, demo_file, lake=lake, now=MOMENT)
            rows = geography.read_neighbourhoods(generated / NEIGHBOURHOODS_FILE)
            geography.replace_neighbourhoods(db, rows, now=MOMENT)
            identity.link_place(
                db, lake, sources.lake_batches(db), secret="s", actor=identity.Actor("tester", MOMENT)
            )
            db.commit()
        yield LinkedPlace(connection, data_dir)
        outer.rollback()


@pytest.fixture
def connection(linked_place: LinkedPlace) -> Iterator[Connection]:
    """Each test works in a savepoint of the linked place's transaction, rolled back after it."""
    savepoint = linked_place.connection.begin_nested()
    yield linked_place.connection
    if savepoint.is_active:
        savepoint.rollback()


@pytest.fixture
def lake(linked_place: LinkedPlace) -> Lake:
    return Lake.in_data_dir(linked_place.data_dir)


def defined(
    db: Session, definition: dict[str, Any], *, polarity: Polarity = Polarity.HIGHER_IS_BETTER
) -> Measure:
    measure = make.indicator(db, polarity=polarity)
    definitions.define_computation(
        db, measure_id=measure.id, parameters={}, reason="", by="analyst", at=MOMENT, **definition
    )
    return measure


def pupils_persistently_absent(db: Session, lake: Lake) -> Decimal:
    """The share counted here, from the lake's events and the linked people: distinct pupils with the event, of
    distinct pupils."""
    linked = identity.linked_people(db, lake).to_pylist()
    person_of = {(row["source"], row["record_id"]): row["person_id"] for row in linked}
    pupils = {person for (source, _), person in person_of.items() if source == "schools"}
    with lake.connect(sources.lake_batches(db)) as connection:
        flagged = connection.execute(
            "SELECT source, record_id FROM event WHERE type = 'persistent_absence'"
        ).fetchall()
    absent = {person_of[key] for key in flagged if key in person_of} & pupils
    return (Decimal(len(absent)) * 100 / len(pupils)).quantize(Decimal("0.0001"))


def test_values_for_the_place_and_each_neighbourhood_are_recorded_under_the_current_version(
    db: Session, lake: Lake
) -> None:
    measure = defined(db, ABSENCE)

    done = computing.compute_measure(db, lake, measure.id, by="analyst", at=MOMENT)

    assert done.computed, done.problem
    place = values.series(db, measure_id=measure.id)
    assert [(point.period, point.value, point.definition_version) for point in place.points] == [
        ("2025/26", pupils_persistently_absent(db, lake), 1)  # the extract's flags are for this school year
    ]
    codes = [one.code for one in geography.neighbourhoods(db)]
    by_neighbourhood = [values.series(db, measure_id=measure.id, neighbourhood=code).points for code in codes]
    # A neighbourhood with too few persistently absent pupils to show is withheld (see test_small_numbers).
    assert all(len(points) <= 1 for points in by_neighbourhood)
    shown = sum(len(points) for points in by_neighbourhood)
    assert shown > 0
    assert done.summary is not None and done.summary.added == 1 + shown
    assert "added" in done.line()


def test_a_new_version_replaces_the_values_it_changes_and_keeps_the_old_in_their_history(
    db: Session, lake: Lake
) -> None:
    measure = defined(db, ATTENDANCES)
    first = computing.compute_measure(db, lake, measure.id, by="analyst", at=MOMENT)
    definitions.define_computation(
        db,
        measure_id=measure.id,
        key="events_per_thousand",
        parameters={"per": 100},
        description="Emergency attendances per 100 residents.",
        reason="Per 100, as the health partnership reports them.",
        by="bo",
        at=MOMENT,
    )

    second = computing.compute_measure(db, lake, measure.id, by="bo", at=MOMENT)

    assert first.summary is not None and second.summary is not None
    assert (second.summary.added, second.summary.replaced) == (0, first.summary.added)
    newest = values.series(db, measure_id=measure.id).points[-1]
    kept = values.history(db, measure_id=measure.id, period=newest.period)
    assert [one.definition_version for one in kept] == [2, 1]
    assert abs(kept[1].value - kept[0].value * 10) <= Decimal("0.001")  # per 1,000, then per 100


def test_measures_that_cannot_be_computed_are_reported_and_the_others_computed(
    db: Session, lake: Lake
) -> None:
    computable = defined(db, ATTENDANCES)
    unregistered = make.indicator(db)
    definitions.define(
        db,
        measure_id=unregistered.id,
        key="library_visits",
        parameters={},
        description="Library visits, once the library's data arrive.",
        reason="",
        by="analyst",
        at=MOMENT,
    )

    done = {one.measure_id: one for one in computing.compute_all(db, lake, by="analyst", at=MOMENT)}

    assert done[computable.id].computed
    assert "library_visits" in (done[unregistered.id].problem or "")
    assert values.series(db, measure_id=unregistered.id).points == []


def test_the_owner_is_warned_when_the_newest_value_is_special_cause_concern(
    db: Session, lake: Lake, tmp_path: Path
) -> None:
    measure = defined(db, ATTENDANCES, polarity=Polarity.LOWER_IS_BETTER)
    earlier = [(f"{year}/{(year + 1) % 100:02d}", "50" if year % 2 else "51") for year in range(2015, 2023)]
    values.import_values(
        db, measure_id=measure.id, path=make.values_csv(tmp_path, earlier), by="ana", at=MOMENT
    )

    done = computing.compute_measure(db, lake, measure.id, by="analyst", at=MOMENT)

    assert done.warned_for == "2025/26"  # far above eight years of 50 and 51: beyond the upper limit
    told = warnings.warnings_for(db, measure.owner)
    assert [(warning.measure_id, warning.period) for warning in told] == [(measure.id, "2025/26")]
