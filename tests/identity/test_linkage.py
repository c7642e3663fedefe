"""Linking a generated place through the service: people and households found across sources, ids that last,
new records linked without retraining, and every odd input refused with a message."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.identity.conftest import ACTOR, SECRET, link, load_files
from wholeplace.core.errors import NotFoundError, WholeplaceError
from wholeplace.demo.service import demo_files
from wholeplace.identity import linkage, service, store
from wholeplace.identity.models import IdentityChange, LinkDecision, ReviewPair
from wholeplace.identity.records import NoPersonRecordsError, with_name_features
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake


@pytest.fixture
def linked(db: Session, place: Path, trained: Path, tmp_path: Path) -> Lake:
    """The place loaded and linked with its model."""
    lake = Lake(tmp_path / "lake")
    load_files(db, demo_files(place), lake)
    link(db, lake, model_file=trained)
    return lake


def _people(db: Session, lake: Lake) -> dict[str, str]:
    people = service.linked_people(db, lake).to_pandas()
    return dict(zip(people["source"] + ":" + people["record_id"], people["person_id"], strict=True))


def test_a_generated_place_links_into_its_true_people_and_households(
    db: Session, place: Path, tmp_path: Path
) -> None:
    lake = Lake(tmp_path / "lake")
    load_files(db, demo_files(place), lake)
    summary = link(db, lake)
    truth = pd.read_csv(place / "truth" / "records.csv", dtype=str)
    assert summary.records == len(truth) and summary.thresholds_from == "model"
    assert 0 < summary.lower <= summary.upper < 1
    assert truth["person_id"].nunique() * 0.95 < summary.people < truth["person_id"].nunique() * 1.05
    scores = service.evaluate(db, lake, place / "truth" / "records.csv")
    assert scores["records"] == len(truth) and scores["records_not_in_truth"] == 0
    assert scores["pairwise"]["precision"] > 0.98 and scores["pairwise"]["f1"] > 0.97, scores
    assert scores["households"]["f1"] > 0.85, scores
    exported = tmp_path / "people.csv"
    assert service.export_people(db, lake, exported) == len(truth)
    people = pd.read_csv(exported, dtype=str)
    assert list(people.columns) == ["source", "record_id", "person_id", "household_id"]
    assert people["person_id"].str.fullmatch(r"P[0-9a-f]{20}").all()
    assert people["household_id"].str.fullmatch(r"H[0-9a-f]{20}").all()
    queued = db.scalars(select(ReviewPair).where(ReviewPair.status == "open")).all()
    assert len(queued) == summary.review_queue
    assert all(json.loads(pair.levels)["steps"] for pair in queued)


def test_linking_again_keeps_every_person_and_household_id(db: Session, linked: Lake) -> None:
    lake = linked
    before = service.linked_people(db, lake)
    link(db, lake)
    after = service.linked_people(db, lake)
    assert after.equals(before)
    assert db.scalars(select(IdentityChange)).all() == []


def test_new_records_link_to_the_people_already_found_without_retraining(
    db: Session, place: Path, trained: Path, tmp_path: Path
) -> None:
    lake = Lake(tmp_path / "lake")
    files = demo_files(place)
    held = [demo_file for demo_file in files if demo_file.source == "adult_social_care"]
    load_files(db, [demo_file for demo_file in files if demo_file not in held], lake)
    first = link(db, lake, model_file=trained)
    model = store.read_model(lake, _latest_folder(db))
    before = _people(db, lake)
    load_files(db, held, lake)
    summary = service.link_new_records(db, lake, sources.lake_batches(db), secret=SECRET, actor=ACTOR)
    assert summary.kind == "new records" and summary.records > first.records
    assert store.read_model(lake, _latest_folder(db)) == model
    after = _people(db, lake)
    kept = sum(after[record] == person for record, person in before.items())
    assert kept / len(before) > 0.99
    scores = service.evaluate(db, lake, place / "truth" / "records.csv")
    assert scores["records_not_in_truth"] == 0 and scores["pairwise"]["f1"] > 0.97


def test_a_decision_of_same_person_joins_the_two_records_and_lasts(db: Session, linked: Lake) -> None:
    lake = linked
    pair = _open_pair_across_people(db, lake)
    service.decide(db, lake, pair.id, service.SAME, "Same NHS number on the paper file.", actor=ACTOR)
    people = _people(db, lake)
    assert people[pair.record_l] == people[pair.record_r] and pair.status == "decided"
    decision = db.scalars(select(LinkDecision)).one()
    assert (decision.decision, decision.origin, decision.decided_by) == (service.SAME, "review", "tester")
    link(db, lake)
    people = _people(db, lake)
    assert people[pair.record_l] == people[pair.record_r]
    assert db.get(ReviewPair, pair.id).status == "decided"  # type: ignore[union-attr]


def test_undoing_a_link_moves_the_record_to_a_person_of_its_own_and_keeps_the_history(
    db: Session, linked: Lake
) -> None:
    lake = linked
    people = _people(db, lake)
    person = pd.Series(people).value_counts().index[0]
    record = sorted(uid for uid, owner in people.items() if owner == person)[-1]
    service.undo_link(db, lake, person, record, "Different mother named on the referral.", actor=ACTOR)
    people = _people(db, lake)
    assert people[record] != person and person in people.values()
    splits = db.scalars(
        select(IdentityChange).where(IdentityChange.kind == "split", IdentityChange.entity == "person")
    ).all()
    assert [(change.kept, change.other) for change in splits] == [(person, people[record])]
    undo = db.scalars(select(LinkDecision).where(LinkDecision.origin == "undo")).all()
    assert undo and all(row.decision == service.DIFFERENT and row.person_id == person for row in undo)
    with pytest.raises(NotFoundError, match="not linked to this person"):
        service.undo_link(db, lake, person, record, "again", actor=ACTOR)


def test_linking_again_rewrites_only_the_queued_pairs_that_changed(db: Session, linked: Lake) -> None:
    lake = linked
    nudged, spoiled, withdrawn = db.scalars(
        select(ReviewPair).where(ReviewPair.status == "open").order_by(ReviewPair.id).limit(3)
    ).all()
    nudged_weight = nudged.match_weight * (1 + 1e-12)  # as a retrained model scores the same pair
    nudged.match_weight = nudged_weight
    spoiled_impact, spoiled_levels = spoiled.impact, spoiled.levels
    spoiled.impact, spoiled.levels = spoiled.impact + 1, "{}"
    withdrawn.status = "vanished"
    db.flush()
    service.relink(db, lake, actor=ACTOR)
    db.expire_all()
    assert nudged.match_weight == nudged_weight
    assert (spoiled.impact, spoiled.levels) == (spoiled_impact, spoiled_levels)
    assert withdrawn.status == "open"


def test_a_decision_needs_a_reason_and_one_of_the_three_answers(db: Session, linked: Lake) -> None:
    lake = linked
    pair = _open_pair_across_people(db, lake)
    with pytest.raises(WholeplaceError, match="Say why"):
        service.decide(db, lake, pair.id, service.SAME, "  ", actor=ACTOR)
    with pytest.raises(WholeplaceError, match="same person, different people or not sure"):
        service.decide(db, lake, pair.id, "maybe", "because", actor=ACTOR)


def test_a_decision_on_a_pair_no_longer_waiting_changes_nothing(db: Session, linked: Lake) -> None:
    lake = linked
    pair = _open_pair_across_people(db, lake)
    pair.status = "vanished"
    db.flush()
    before = service.linked_people(db, lake)
    with pytest.raises(NotFoundError, match="no longer in the review queue"):
        service.decide(db, lake, pair.id, service.SAME, "They match.", actor=ACTOR)
    assert db.scalars(select(LinkDecision)).all() == []
    assert service.linked_people(db, lake).equals(before)


def test_the_place_can_set_its_own_thresholds_and_go_back_to_the_models(db: Session, linked: Lake) -> None:
    lake = linked
    chosen = service.latest_run(db)
    assert chosen is not None
    service.set_thresholds(db, 0.99, 0.5, "Stricter while the new extract beds in.", actor=ACTOR)
    strict = service.relink(db, lake, actor=ACTOR)
    assert (strict.upper, strict.lower, strict.thresholds_from) == (0.99, 0.5, "place")
    assert strict.links <= chosen.links
    service.set_thresholds(db, None, None, "Back to the model.", actor=ACTOR)
    assert service.relink(db, lake, actor=ACTOR).upper == chosen.upper
    with pytest.raises(WholeplaceError, match="0 < lower"):
        service.set_thresholds(db, 0.5, 0.9, "upside down", actor=ACTOR)
    with pytest.raises(WholeplaceError, match="both thresholds"):
        service.set_thresholds(db, 0.9, None, "half", actor=ACTOR)


def test_a_model_from_another_place_is_refused(db: Session, linked: Lake, tmp_path: Path) -> None:
    lake = linked
    with pytest.raises(service.ModelMismatchError, match="trained in another place"):
        service.link_place(db, lake, sources.lake_batches(db), secret="another-secret", actor=ACTOR)
    copied = tmp_path / "model.json"
    shutil.copy(store.runs_folder(lake) / _latest_folder(db) / store.MODEL, copied)
    assert link(db, lake, model_file=copied).records > 0
    foreign = json.loads(copied.read_text(encoding="utf-8")) | {"place": "0123456789abcdef"}
    copied.write_text(json.dumps(foreign), encoding="utf-8")
    with pytest.raises(
        service.ModelMismatchError, match=r"The model in model\.json was trained in another place"
    ):
        link(db, lake, model_file=copied)
    copied.write_text("{not json", encoding="utf-8")
    with pytest.raises(service.ModelMismatchError, match="cannot be read"):
        link(db, lake, model_file=copied)


def test_spark_scores_the_same_pairs_as_duckdb(db: Session, linked: Lake) -> None:
    on_duckdb = _linked_pairs(db, linked)
    summary = link(db, linked, backend="spark")
    on_spark = _linked_pairs(db, linked)
    assert summary.comparisons > 0 and service.latest_run(db).backend == "spark"  # type: ignore[union-attr]
    assert len(on_duckdb & on_spark) / len(on_duckdb | on_spark) >= 0.99


def _linked_pairs(db: Session, lake: Lake) -> set[tuple[str, str]]:
    pairs = store.read_table(lake, _latest_folder(db), store.PAIRS).to_pandas()
    linked = pairs[pairs["band"] == "link"]
    return set(zip(linked["unique_id_l"], linked["unique_id_r"], strict=True))


def test_a_place_without_person_records_says_so(db: Session, tmp_path: Path) -> None:
    with pytest.raises(NoPersonRecordsError, match="No source holds person records"):
        link(db, Lake(tmp_path / "lake"))


def test_reading_before_linking_says_what_to_run(db: Session, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="not been linked yet"):
        service.linked_people(db, Lake(tmp_path / "lake"))


# ---------------------------------------------------------------- the model alone, on records made here

COLUMNS = ["unique_id", "given_name", "middle_name", "family_name", "previous_family_names", "sex"]
COLUMNS += ["date_of_birth", "address", "postcode", "postcode_sector", "postcode_district", "uprn"]
COLUMNS += ["nhs_number", "ni_number", "upn"]


def _records(rows: list[dict[str, str | None]]) -> pa.Table:
    return with_name_features(
        pa.table({name: pa.array([row.get(name) for row in rows], pa.string()) for name in COLUMNS})
    )


def _residents(count: int, **overrides: str | None) -> list[dict[str, str | None]]:
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


def _linked(rows: list[dict[str, str | None]]) -> Callable[[str], float]:
    """The best score the model gives any pair holding this record and its original."""
    records = _records(rows)
    scored = linkage.score(records, linkage.train(records)).pairs.to_pandas()

    def best(uid: str) -> float:
        original = "s:" + uid.split(":")[1]
        pairs = scored[
            ((scored["unique_id_l"] == uid) & (scored["unique_id_r"] == original))
            | ((scored["unique_id_r"] == uid) & (scored["unique_id_l"] == original))
        ]
        return float(pairs["match_probability"].max()) if len(pairs) else 0.0

    return best


def test_a_field_no_record_holds_is_left_out_of_the_model() -> None:
    residents = _residents(200, postcode=None)
    residents += [
        {**resident, "unique_id": f"again:{index}"} for index, resident in enumerate(residents[:20])
    ]
    records = _records(residents)
    assert "postcode" not in linkage.model_columns(records)
    assert _linked(residents)("again:3") > 0.99


def test_a_nickname_still_finds_its_person() -> None:
    residents = _residents(300, nhs_number=None)
    residents += [
        {**resident, "unique_id": f"again:{index}"} for index, resident in enumerate(residents[:30])
    ]
    residents.append({**residents[1], "unique_id": "nick:1", "given_name": "benjamin"})
    scores = _linked(residents)
    assert scores("nick:1") > 0.9


def test_reviewers_matches_teach_the_next_training_once_there_are_enough() -> None:
    residents = _residents(300, nhs_number=None)
    residents += [
        {**resident, "unique_id": f"again:{index}", "given_name": resident["given_name"][:-1] + "x"}
        for index, resident in enumerate(residents[:40])
    ]
    residents += [
        {**resident, "unique_id": f"copy:{index}"} for index, resident in enumerate(residents[40:70])
    ]
    records = _records(residents)
    reviewed = [(f"again:{index}", f"s:{index}") for index in range(40)]
    untaught = linkage.train(records)
    too_few = linkage.train(records, matches=reviewed[: linkage.MIN_REVIEWED_MATCHES - 1])
    assert too_few["comparisons"] == untaught["comparisons"]
    assert _m_of(linkage.train(records, matches=reviewed), "given_name") != _m_of(untaught, "given_name")


def _m_of(trained: dict[str, object], comparison: str) -> list[float]:
    chosen = next(each for each in trained["comparisons"] if each["output_column_name"] == comparison)  # type: ignore[attr-defined]
    return [level.get("m_probability") for level in chosen["comparison_levels"]]


def test_records_all_alike_or_with_no_sure_match_are_refused_with_a_reason() -> None:
    alike = [
        {"unique_id": f"s:{index}", "given_name": "amara", "family_name": "okafor"} for index in range(30)
    ]
    with pytest.raises(linkage.UntrainableError, match="same values in every field"):
        linkage.train(_records(alike))
    with pytest.raises(linkage.UntrainableError, match="no sure matches"):
        linkage.train(_records(_residents(200, nhs_number=None)))


def _open_pair_across_people(db: Session, lake: Lake) -> ReviewPair:
    people = _people(db, lake)
    for pair in db.scalars(select(ReviewPair).where(ReviewPair.status == "open").order_by(ReviewPair.id)):
        if people[pair.record_l] != people[pair.record_r]:
            return pair
    raise AssertionError("the review queue holds no pair across two people")


def _latest_folder(db: Session) -> str:
    run = service.latest_run(db)
    assert run is not None
    return run.folder
