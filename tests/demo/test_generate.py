"""The demo place generator: deterministic, complete truth, extracts readable through their own mappings."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from wholeplace.core import geography
from wholeplace.demo.generate.place import generate_place
from wholeplace.sources.mapping import parse_mapping
from wholeplace.sources.readers import open_source_file

SMALL = 3000


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("place")
    generate_place(residents=SMALL, seed=7, out=out)
    return out


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def read_extract(place: Path, mapping: dict) -> pd.DataFrame:  # type: ignore[type-arg]
    """Read a source's file the way its mapping declares, as text."""
    path = place / _files(place)[mapping["source"]]
    kind = mapping["format"]["type"]
    if kind == "csv":
        return pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            encoding=mapping["format"]["encoding"],
            sep=mapping["format"]["delimiter"],
        )
    if kind == "jsonl":
        return pd.DataFrame([json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()])
    if kind == "parquet":
        return pd.read_parquet(path)
    return pd.read_excel(path, dtype=str)


def _files(place: Path) -> dict[str, str]:
    described = yaml.safe_load((place / "place.yaml").read_text(encoding="utf-8"))
    return {
        source["name"]: source["file"] for agency in described["agencies"] for source in agency["sources"]
    }


def mappings(place: Path, *, entity: str | None = "person") -> list[dict]:  # type: ignore[type-arg]
    found = [
        yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted((place / "mappings").glob("*.yaml"))
    ]
    return [mapping for mapping in found if entity is None or mapping["entity"] == entity]


def test_the_same_size_and_seed_give_byte_identical_files(place: Path, tmp_path: Path) -> None:
    generate_place(residents=SMALL, seed=7, out=tmp_path)
    assert _digests(tmp_path) == _digests(place)


def test_another_seed_gives_another_place(place: Path, tmp_path: Path) -> None:
    generate_place(residents=SMALL, seed=8, out=tmp_path)
    assert _digests(tmp_path)["truth/records.csv"] != _digests(place)["truth/records.csv"]


def test_the_place_has_about_the_residents_asked_for(place: Path) -> None:
    described = yaml.safe_load((place / "place.yaml").read_text(encoding="utf-8"))
    residents = sum(n["residents"] for n in described["neighbourhoods"])
    assert SMALL <= residents <= SMALL + 8
    assert {n["deprivation_decile"] for n in described["neighbourhoods"]} <= set(range(1, 11))


def test_every_mapping_meets_the_standard_and_names_only_columns_its_file_has(place: Path) -> None:
    for path in sorted((place / "mappings").glob("*.yaml")):
        mapping = parse_mapping(path.read_text(encoding="utf-8"), file=path.name)
        with open_source_file(place / _files(place)[mapping.source], mapping.file_format) as extract:
            mapping.check_columns(extract.columns, file=mapping.source)
            assert sum(chunk.rows.num_rows for chunk in extract.chunks()) > 0


def test_the_truth_covers_every_person_level_row_exactly_once(place: Path) -> None:
    truth = pd.read_csv(place / "truth" / "records.csv", dtype=str)
    assert not truth.duplicated(["source", "record_id"]).any()
    for mapping in mappings(place):
        table = read_extract(place, mapping)
        ids = set(table[mapping["record_id"]].astype(str))
        assert ids == set(truth.loc[truth["source"] == mapping["source"], "record_id"]), mapping["source"]


def test_windows_1252_extracts_really_are(place: Path) -> None:
    for mapping in mappings(place):
        if mapping["format"].get("encoding") == "windows-1252":
            raw = (place / "extracts" / f"{mapping['source']}.csv").read_bytes()
            raw.decode("cp1252")
            assert b"\xef\xbb\xbf" not in raw[:3]


def test_household_truth_gives_needs_for_every_household_and_year(place: Path) -> None:
    households = pd.read_csv(place / "truth" / "households.csv")
    truth = pd.read_csv(place / "truth" / "records.csv", dtype=str)
    assert set(truth["household_id"]) <= set(households["household_id"])
    assert households.groupby("household_id")["year"].nunique().eq(3).all()
    assert (households["needs"] == households.iloc[:, 4:14].sum(axis=1)).all()


def test_twins_are_distinct_people_with_one_birthday(place: Path) -> None:
    truth = pd.read_csv(place / "truth" / "records.csv", dtype=str)
    schools = read_extract(place, next(m for m in mappings(place) if m["source"] == "schools"))
    pupils = schools.merge(truth[truth["source"] == "schools"], left_on="pupil_ref", right_on="record_id")
    by_birthday = pupils.drop_duplicates("person_id").groupby(["household_id", "dob"])["person_id"].nunique()
    assert (by_birthday >= 2).any()


def test_needs_are_rarer_alone_than_together(place: Path) -> None:
    households = pd.read_csv(place / "truth" / "households.csv")
    counts = households["needs"].to_numpy()
    assert np.mean(counts == 0) > 0.4
    assert 0.005 < np.mean(counts >= 5) < 0.1


@pytest.fixture(scope="module")
def default_sized_place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("place20k")
    generate_place(residents=20_000, seed=1, out=out)
    return out


def test_most_households_touch_one_agency_or_none_and_few_touch_five(default_sized_place: Path) -> None:
    households = pd.read_csv(default_sized_place / "truth" / "households.csv")
    truth = pd.read_csv(default_sized_place / "truth" / "records.csv")
    agencies = truth.groupby("household_id")["source"].nunique()
    touched = agencies.reindex(households["household_id"].unique(), fill_value=0)
    assert (touched <= 1).mean() > 0.5
    assert 0.01 <= (touched >= 5).mean() <= 0.05


def test_need_prevalences_match_their_targets(default_sized_place: Path) -> None:
    from wholeplace.demo.generate.needs import NEED_AREAS

    households = pd.read_csv(default_sized_place / "truth" / "households.csv")
    for area in NEED_AREAS:
        if area.eligible == "all":
            assert abs(households[area.name].mean() - area.prevalence) < 0.005, area.name


def test_every_agency_named_in_the_place_has_its_extract(default_sized_place: Path) -> None:
    described = yaml.safe_load((default_sized_place / "place.yaml").read_text(encoding="utf-8"))
    sources = [source for agency in described["agencies"] for source in agency["sources"]]
    assert len(described["agencies"]) >= 9
    assert all((default_sized_place / source["file"]).exists() for source in sources)
    assert all((default_sized_place / source["mapping"]).exists() for source in sources)
    assert {Path(source["file"]).suffix for source in sources} == {".csv", ".xlsx", ".jsonl", ".parquet"}


def test_every_agency_spends_at_a_plausible_level_per_head(default_sized_place: Path) -> None:
    described = yaml.safe_load((default_sized_place / "place.yaml").read_text(encoding="utf-8"))
    residents = sum(n["residents"] for n in described["neighbourhoods"])
    neighbourhoods = {n["id"] for n in described["neighbourhoods"]}
    lines = pd.concat([pd.read_csv(path) for path in sorted((default_sized_place / "spend").glob("*.csv"))])
    assert set(lines["agency"]) == {agency["name"] for agency in described["agencies"]}
    latest = lines[lines["period"] == "2025-26"]
    assert 3000 < latest["amount"].sum() / residents < 8000
    assert set(lines["neighbourhood_id"].dropna()) <= neighbourhoods
    health = latest[latest["agency"] == "Riverford Health Partnership"]
    prevention = health.loc[health["prevention_or_response"] == "prevention", "amount"].sum()
    assert (
        prevention / health["amount"].sum() < 0.04
    )  # Total Place: under 4% of health spending kept people well
    by_year = lines.groupby("period")["amount"].sum()
    assert by_year.is_monotonic_increasing


def test_practitioner_activity_refers_only_to_records_in_the_extracts(default_sized_place: Path) -> None:
    truth = pd.read_csv(default_sized_place / "truth" / "records.csv", dtype=str)
    known = set(zip(truth["source"], truth["record_id"], strict=True))
    plans = [
        json.loads(line)
        for line in (default_sized_place / "activity" / "plans.jsonl").read_text().splitlines()
    ]
    accesses = pd.read_csv(default_sized_place / "activity" / "accesses.csv", dtype=str)
    workers = pd.read_csv(default_sized_place / "activity" / "workers.csv")
    assert len(plans) > 20
    assert all((r["source"], r["record_id"]) in known for plan in plans for r in plan["household_records"])
    assert set(zip(accesses["source"], accesses["record_id"], strict=True)) <= known
    assert {plan["lead_professional"]["name"] for plan in plans} <= set(workers["name"])
    assert all(plan["needs"] for plan in plans)


def test_involvements_name_their_lead_worker(default_sized_place: Path) -> None:
    probation = pd.read_parquet(default_sized_place / "extracts" / "probation.parquet")
    assert probation["offender_manager"].notna().all()
    children = pd.read_csv(
        default_sized_place / "extracts" / "childrens_social_care.csv", encoding="utf-8-sig"
    )
    assert children.loc[children["episode_type"] == "CONTACT", "allocated_worker"].isna().all()
    assert children.loc[children["episode_type"] == "CIN", "allocated_worker"].notna().all()


def test_records_of_people_who_moved_household_name_the_household_of_their_date(place: Path) -> None:
    truth = pd.read_csv(place / "truth" / "records.csv")
    households_per_person = truth.groupby("person_id")["household_id"].nunique()
    assert (households_per_person == 2).sum() >= 1
    assert households_per_person.max() <= 2


def test_three_sources_state_relationships_between_people(place: Path) -> None:
    stating = [mapping for mapping in mappings(place) if mapping.get("relationships")]
    assert {mapping["source"] for mapping in stating} >= {"schools", "childrens_social_care", "housing"}
    housing = read_extract(place, next(m for m in stating if m["source"] == "housing"))
    members = housing[housing["Lead Tenant Ref"].fillna("") != ""]
    assert set(members["Lead Tenant Ref"]) <= set(housing["Person Ref"])
    truth = pd.read_csv(place / "truth" / "records.csv").query("source == 'housing'").set_index("record_id")
    same_household = (
        truth.loc[members["Person Ref"], "household_id"].to_numpy()
        == truth.loc[members["Lead Tenant Ref"], "household_id"].to_numpy()
    )
    assert same_household.mean() > 0.95


def test_the_place_comes_with_its_neighbourhoods_and_every_household_lies_in_one(place: Path) -> None:
    neighbourhoods = geography.read_neighbourhoods(place / "neighbourhoods.csv")
    areas = {area: row.code for row in neighbourhoods for area in row.postcode_areas}
    truth = pd.read_csv(place / "truth" / "households.csv", usecols=["household_id", "neighbourhood_id"])
    pupils = read_extract(place, yaml.safe_load((place / "mappings" / "schools.yaml").read_text("utf-8")))

    placed = {geography.neighbourhood_of(postcode, areas) for postcode in pupils["post_code"]}

    assert sum(row.residents or 0 for row in neighbourhoods) == SMALL
    assert placed - {None} <= set(truth["neighbourhood_id"])
    assert None not in placed or pupils["post_code"].eq("").any()
