"""Investment cases kept in the database, on SQLite and PostgreSQL: each save a new version with who and when,
checked whole before anything is written; the place's own unit costs used by code; the YAML a case goes out as;
and cohorts counted from a linked place."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.money.test_scenario import EXAMPLE
from tests.support.factories import MOMENT
from wholeplace.core import geography
from wholeplace.core.errors import IngestError, InvalidInputError, NotFoundError
from wholeplace.demo.generate.place import NEIGHBOURHOODS_FILE, generate_place
from wholeplace.demo.service import build_demo, demo_files, load_demo_file
from wholeplace.identity import service as identity
from wholeplace.money.cba import appraise
from wholeplace.money.deflators import shipped_series
from wholeplace.money.models import ScenarioVersion, StoredScenario
from wholeplace.money.presenting import result_as_json
from wholeplace.money.scenario import load_scenario
from wholeplace.money.service import cohorts, scenarios, unit_costs
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake

SECRET = "test-secret"
# A richer case than the example: a flat rate, two payers, a range, and a unit cost of the database.
RICHER = """\
name: Troubled families, Riverford
base_year: 2013
years: 5
discounting: {rate: 0.035}
costs:
  - {agency: Riverford Council, type: revenue, year: 0, amount: 180000, confidence: 2}
  - {agency: Riverford Police, type: in_kind, year: 1, amount: {low: 20000, mode: 25000, high: 40000}, confidence: 3}
outcomes:
  - name: Fewer domestic-abuse incidents
    cohort: 120
    engagement: 0.8
    success: {low: 0.2, mode: 0.3, high: 0.4}
    deadweight: 0.2
    unit_cost_code: CR2.0.3
    benefit_type: fiscal_cashable
    start_year: 1
    duration: 3
    drop_off: 0.1
    confidence: 2
  - name: Children back in school
    cohort: 40
    engagement: 0.9
    success: 0.5
    deadweight: 0.1
    unit_value: 1800
    benefit_type: social
    beneficiary: Riverford Council
    start_year: 2
    duration: 3
    confidence: 4
"""
PLACE_COST = {
    "code": "RIV1",
    "description": "Missing-from-home episode",
    "agency": "Riverford Police",
    "unit": "Per episode",
    "value": "1,000",
    "price_year": "2010-11",
    "source": "Riverford Police finance, 2011",
    "flag": "A",
}


def example() -> dict[str, object]:
    loaded: dict[str, object] = yaml.safe_load(EXAMPLE)
    return loaded


def richer() -> dict[str, object]:
    loaded: dict[str, object] = yaml.safe_load(RICHER)
    return loaded


def save(db: Session, body: dict[str, object], **options: object) -> ScenarioVersion:
    return scenarios.save(db, body=body, how="test", by="fiona", at=MOMENT, **options)  # type: ignore[arg-type]


# ---------------------------------------------------------------- versions


def test_a_saved_scenario_is_version_one_with_who_saved_it_and_when(db: Session) -> None:
    version = save(db, example())

    stored = scenarios.get(db, version.scenario_id)
    assert (stored.name, stored.latest_version, stored.created_by) == ("Family intervention", 1, "fiona")
    assert (version.version, version.saved_by, version.saved_at) == (1, "fiona", MOMENT)
    assert scenarios.document(version) == example()


def test_saving_again_makes_a_new_version_and_keeps_the_old_one(db: Session) -> None:
    first = save(db, example())
    bigger = example() | {"name": "Family intervention, bigger", "years": 12}

    second = scenarios.save(
        db, body=bigger, how="test", by="sam", at=MOMENT + timedelta(days=1), scenario_id=first.scenario_id
    )

    stored = scenarios.get(db, first.scenario_id)
    assert [one.version for one in stored.versions] == [1, 2]
    assert (stored.name, stored.latest_version, second.saved_by) == ("Family intervention, bigger", 2, "sam")
    assert scenarios.document(scenarios.version_of(stored, 1)) == example()
    assert scenarios.document(scenarios.version_of(stored)) == bigger


def test_an_invalid_scenario_is_refused_naming_each_field_and_nothing_is_written(db: Session) -> None:
    body = example()
    body["outcomes"][0]["success"] = 1.3  # type: ignore[index]
    body["costs"][0]["amount"] = -5  # type: ignore[index]

    with pytest.raises(scenarios.ScenarioInvalidError) as raised:
        save(db, body)

    assert {(problem.path, problem.reason.split(";")[0]) for problem in raised.value.problems} == {
        (("outcomes", 0, "success"), "must be between 0 and 1 (a share: 0.3 is 30%)"),
        (("costs", 0, "amount"), "must be at least 0"),
    }
    assert db.scalar(select(func.count()).select_from(StoredScenario)) == 0
    assert db.scalar(select(func.count()).select_from(ScenarioVersion)) == 0


def test_a_stored_case_appraises_to_the_worked_example(db: Session) -> None:
    version = save(db, example())

    result = appraise(scenarios.appraisable(db, version.body).appraisal)

    assert result_as_json(result)["pv_benefits"]["fiscal_cashable"] == 146126.41
    assert result_as_json(result)["public_value_npv"] == -103873.59


def test_an_optimism_bias_table_of_its_own_survives_being_kept_as_json(db: Session) -> None:
    version = save(db, example() | {"optimism_bias": {2: 0.08, 3: 0.12}})

    scenario = scenarios.appraisable(db, version.body)

    assert scenario.appraisal.optimism_bias.corrections[2] == 0.08
    assert scenario.appraisal.optimism_bias.corrections[3] == 0.12


def test_a_scenario_naming_a_deflator_file_is_refused_with_what_to_do(db: Session) -> None:
    with pytest.raises(scenarios.ScenarioInvalidError) as raised:
        save(db, example() | {"deflators": "hmt.csv"})

    [problem] = raised.value.problems
    assert problem.path == ("deflators",)
    assert "wholeplace cba run" in problem.fix


# ---------------------------------------------------------------- the place's own unit costs


def test_a_place_unit_cost_is_used_by_code_uprated_and_attributed(db: Session) -> None:
    unit_costs.add_unit_cost(db, boxes=PLACE_COST, by="fiona", at=MOMENT)
    body = example() | {"base_year": 2013}
    body["outcomes"][0] |= {"unit_cost_code": "riv1"}  # type: ignore[index]
    del body["outcomes"][0]["unit_value"], body["outcomes"][0]["beneficiary"]  # type: ignore[index]

    scenario = scenarios.appraisable(db, save(db, body).body)

    [used] = scenario.unit_costs
    factor = shipped_series().factor(2010, 2013)
    assert (used.reference, used.agency, used.flag.value) == ("RIV1", "Riverford Police", "A")
    assert used.value == pytest.approx(1000 * factor)
    assert used.attribution == "place-specific unit cost: Riverford Police finance, 2011"
    assert scenario.appraisal.outcomes[0].beneficiary == "Riverford Police"


def test_a_place_unit_cost_keeps_who_added_it_and_when(db: Session) -> None:
    added = unit_costs.add_unit_cost(db, boxes=PLACE_COST, by="fiona", at=MOMENT)

    [found] = [cost for cost in unit_costs.search(db, "missing from home") if cost.from_place]
    assert (added.added_by, added.added_at, added.price_year) == ("fiona", MOMENT, 2010)
    assert (found.code, found.value, found.price_year) == ("RIV1", 1000.0, "2010-11")
    assert found.added == "added by fiona on 2 November 2026"


def test_a_place_unit_cost_cannot_take_a_code_of_the_database_or_one_already_kept(db: Session) -> None:
    unit_costs.add_unit_cost(db, boxes=PLACE_COST, by="fiona", at=MOMENT)

    for code, says in (
        ("CR2.0.3", "is a code of the Unit Cost Database"),
        ("riv1", "already has a unit cost"),
    ):
        with pytest.raises(unit_costs.UnitCostInvalidError) as raised:
            unit_costs.add_unit_cost(db, boxes=PLACE_COST | {"code": code}, by="fiona", at=MOMENT)
        assert says in raised.value.problems["code"]


def test_a_place_unit_cost_with_bad_fields_is_refused_naming_each(db: Session) -> None:
    bad = PLACE_COST | {"value": "a lot", "price_year": "2011", "flag": "B", "source": " "}

    with pytest.raises(unit_costs.UnitCostInvalidError) as raised:
        unit_costs.add_unit_cost(db, boxes=bad, by="fiona", at=MOMENT)

    assert set(raised.value.problems) == {"value", "price_year", "flag", "source"}
    assert unit_costs.place_unit_costs(db) == []


# ---------------------------------------------------------------- the file


def test_a_version_goes_out_as_yaml_that_cba_run_reads_to_the_same_figures(
    db: Session, tmp_path: Path
) -> None:
    unit_costs.add_unit_cost(db, boxes=PLACE_COST, by="fiona", at=MOMENT)
    body = richer()
    body["outcomes"][1] |= {"unit_cost_code": "RIV1"}  # type: ignore[index]
    del body["outcomes"][1]["unit_value"]  # type: ignore[index]
    version = save(db, body)
    path = tmp_path / "case.yaml"

    path.write_text(scenarios.as_yaml(db, version), encoding="utf-8")

    from_file = result_as_json(appraise(load_scenario(path).appraisal))
    kept = result_as_json(appraise(scenarios.appraisable(db, version.body).appraisal))
    assert from_file == kept
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["unit_costs"][0]["code"] == "RIV1"


def test_a_file_is_read_with_every_problem_named_by_field_and_line(db: Session) -> None:
    text = RICHER.replace("success: 0.5", "success: 5").replace("confidence: 4", "confidence: 9")

    with pytest.raises(IngestError) as raised:
        scenarios.read_file(db, text, name="case.yaml")

    told = str(raised.value)
    assert "outcomes[1].success (line 23): must be between 0 and 1" in told
    assert "outcomes[1].confidence (line 30): must be a confidence grade" in told


# ---------------------------------------------------------------- cohorts from the linked data


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("place")
    generate_place(residents=300, seed=11, out=out)
    return out


def link(db: Session, place: Path, lake: Lake) -> None:
    """The generated place loaded, linked and given its neighbourhoods."""
    build_demo(db, now=MOMENT)
    for demo_file in demo_files(place):
        load_demo_file(db, demo_file, lake=lake, now=MOMENT)
    geography.replace_neighbourhoods(
        db, geography.read_neighbourhoods(place / NEIGHBOURHOODS_FILE), now=MOMENT
    )
    identity.link_place(
        db, lake, sources.lake_batches(db), secret=SECRET, actor=identity.Actor("tester", MOMENT)
    )


@pytest.fixture
def linked(db: Session, place: Path, tmp_path: Path) -> Iterator[Lake]:
    lake = Lake.in_data_dir(tmp_path)
    link(db, place, lake)
    yield lake


def agencies_by_household(db: Session, lake: Lake) -> dict[str, set[str]]:
    """Counted afresh, in plain Python: the agencies with an involvement recorded for each household."""
    agency_of = {source.name: source.agency_id for source in sources.list_sources(db)}
    found: dict[str, set[str]] = defaultdict(set)
    for row in identity.linked_involvements(db, lake, sources.lake_batches(db)).to_pylist():
        household = row["household_id"] or f"person {row['person_id']}"
        found[household].add(str(agency_of[row["source"]]))
    return found


def household_neighbourhoods(db: Session, lake: Lake) -> dict[str, str]:
    """Counted afresh: each person where their latest record with a postcode puts them, each household where
    most of its members are."""
    areas = geography.postcode_areas(db)
    people = {(row["source"], row["record_id"]): row for row in identity.linked_people(db, lake).to_pylist()}
    with lake.connect(sources.lake_batches(db)) as connection:
        columns = {row[0] for row in connection.sql("DESCRIBE person").fetchall()}
        updated = "updated_at" if "updated_at" in columns else "NULL"
        records = connection.sql(
            f"SELECT source, record_id, postcode, {updated} FROM person WHERE postcode IS NOT NULL"  # noqa: S608
        ).fetchall()
    # Oldest first, and on a tie the record the count prefers (the first by source and id) last, so it wins.
    ordered = sorted(records, key=lambda record: (record[0], record[1]), reverse=True)
    ordered.sort(key=lambda record: (record[3] is not None, record[3]))
    latest: dict[str, tuple[str | None, str | None]] = {}
    for source, record_id, postcode, _updated in ordered:
        person = people.get((source, record_id))
        if person is not None:
            latest[person["person_id"]] = (
                person["household_id"],
                geography.neighbourhood_of(postcode, areas),
            )
    members: dict[str, Counter[str]] = defaultdict(Counter)
    for person_id, (household_id, neighbourhood) in latest.items():
        if neighbourhood is not None:
            members[household_id or f"person {person_id}"][neighbourhood] += 1
    return {
        household: sorted(counted.items(), key=lambda pair: (-pair[1], pair[0]))[0][0]
        for household, counted in members.items()
    }


def test_a_cohort_counts_households_that_at_least_n_agencies_work_with(db: Session, linked: Lake) -> None:
    expected = sum(len(agencies) >= 2 for agencies in agencies_by_household(db, linked).values())

    drawn = cohorts.draw(db, linked, "households_with_agencies", {"agencies": "2"})

    assert drawn.count == expected > 0
    run = identity.latest_run(db)
    assert run is not None
    assert drawn.description == (
        f"households with involvements recorded by at least 2 different agencies, in linkage run {run.sequence} "
        f"of {run.finished_at:%-d %B %Y}"
    )


def test_a_cohort_in_one_neighbourhood_counts_only_the_households_living_there(
    db: Session, linked: Lake
) -> None:
    counted = agencies_by_household(db, linked)
    homes = household_neighbourhoods(db, linked)
    busiest = Counter(
        homes[household]
        for household, agencies in counted.items()
        if len(agencies) >= 2 and household in homes
    )
    code = busiest.most_common(1)[0][0]
    expected = sum(
        len(agencies) >= 2 and homes.get(household) == code for household, agencies in counted.items()
    )

    drawn = cohorts.draw(db, linked, "households_with_agencies", {"agencies": "2", "neighbourhood": code})

    assert drawn.count == expected > 0
    assert f"living in {code}" in drawn.description or f"({code})" in drawn.description
    assert drawn.count < cohorts.draw(db, linked, "households_with_agencies", {"agencies": "2"}).count


def test_a_cohort_before_any_linkage_is_refused_with_what_to_do(db: Session, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as raised:
        cohorts.draw(db, Lake.in_data_dir(tmp_path), "households_with_agencies", {"agencies": "3"})

    assert "wholeplace link" in raised.value.fix


@pytest.mark.parametrize(
    ("parameters", "named"),
    [({"agencies": "three"}, "agencies"), ({"agencies": "3", "neighbourhood": "NOWHERE"}, "neighbourhood")],
)
def test_a_cohort_with_a_bad_parameter_is_refused_naming_it(
    db: Session, tmp_path: Path, parameters: dict[str, str], named: str
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        cohorts.draw(db, Lake.in_data_dir(tmp_path), "households_with_agencies", parameters)

    assert raised.value.field == named


def test_a_drawn_cohorts_count_and_description_are_kept_with_the_version(db: Session) -> None:
    note = scenarios.DrawnCohortNote(
        37, "households with involvements recorded by at least 3 agencies", "2 Nov"
    )

    version = save(db, example(), cohorts={0: note})

    assert scenarios.cohort_notes(version) == {0: note}
    assert json.dumps(version.cohorts)  # aggregate figures only: a count and words
