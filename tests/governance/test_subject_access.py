"""Subject access through the service, on SQLite and PostgreSQL: who looked at a person or their household
(refusals left out, workers not named, exempted accesses hidden through their last day and shown the day after,
with no trace of what is hidden), the checks on an exemption, and an export of everything held about a person on
a small linked place, checked against the lake."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.identity.conftest import place, trained  # noqa: F401 - fixtures, found by pytest through this import
from tests.identity.test_views import LinkedPlace, connection, linked_place  # noqa: F401 - fixtures, as above
from tests.support.factories import MOMENT
from wholeplace.core.errors import InvalidInputError, NotFoundError
from wholeplace.governance.chain import LogEntry, log_time
from wholeplace.governance.models import AccessExemption
from wholeplace.governance.service import consent, log, subject_access
from wholeplace.governance.service.subject_access import EXEMPTION_GROUNDS, Look, record_exemption, who_looked
from wholeplace.identity import service as identity
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake

PERSON = "P-ADA"
HOUSEHOLD = "H-LOVELACE"
TODAY = MOMENT.date()
CRIME = EXEMPTION_GROUNDS[0]
ENTITIES = ("person", "involvement", "event", "relationship")


@pytest.fixture
def lake(request: pytest.FixtureRequest) -> Lake:
    return linked_lake(request)


def linked_lake(request: pytest.FixtureRequest) -> Lake:
    """The linked place's lake, read only."""
    linked: LinkedPlace = request.getfixturevalue("linked_place")
    return Lake.in_data_dir(linked.data_dir)


def logged(db: Session, *, days_ago: int = 0, **changes: Any) -> int:
    """An access-log entry about the person, permitted unless told otherwise; its position."""
    entry: dict[str, Any] = {
        "at": log_time(MOMENT - timedelta(days=days_ago)),
        "username": "sam.worker",
        "agency": "Riverford Homes",
        "role": "practitioner",
        "purpose": "early_help",
        "case_reference": "EH-1",
        "subject_kind": "person",
        "subject_id": PERSON,
        "categories": ("identity", "contact"),
        "fields": ("given_name", "family_name", "postcode"),
        "agreements": ("ISA-1@1",),
        "lawful_basis": "6(1)(e) Public task",
        "outcome": "permit",
        "reason": "Allowed.",
        "break_glass": False,
    }
    entry.update(changes)
    return log.append(db, LogEntry(**entry)).position


def looked(db: Session, *, today: date = TODAY, household_id: str | None = HOUSEHOLD) -> list[int]:
    return [
        look.position for look in who_looked(db, person_id=PERSON, household_id=household_id, today=today)
    ]


def withhold(db: Session, position: int, until: date, *, at_day: date = TODAY) -> AccessExemption:
    return record_exemption(
        db,
        position=position,
        ground=CRIME,
        withheld_until=until,
        by="Disclosure officer",
        at=MOMENT.replace(year=at_day.year, month=at_day.month, day=at_day.day),
    )


# ---------------------------------------------------------------- who looked


def test_who_looked_lists_the_accesses_to_the_person_and_their_household_newest_first(db: Session) -> None:
    older = logged(db, days_ago=3)
    household = logged(db, days_ago=2, subject_kind="household", subject_id=HOUSEHOLD)
    newer = logged(db, days_ago=1)
    assert looked(db) == [newer, household, older]


def test_who_looked_leaves_out_refusals_other_people_and_other_households(db: Session) -> None:
    kept = logged(db)
    logged(db, outcome="deny", fields=(), reason="No agreement.")
    logged(db, subject_id="P-SOMEONE-ELSE")
    logged(db, subject_kind="household", subject_id="H-ELSEWHERE")
    assert looked(db) == [kept]


def test_without_a_household_only_the_persons_own_accesses_are_listed(db: Session) -> None:
    own = logged(db)
    logged(db, subject_kind="household", subject_id=HOUSEHOLD)
    assert looked(db, household_id=None) == [own]


def test_who_looked_says_the_agency_role_purpose_and_kind_of_information_but_not_the_worker(
    db: Session,
) -> None:
    logged(db, days_ago=1)
    [look] = who_looked(db, person_id=PERSON, household_id=HOUSEHOLD, today=TODAY)
    assert (look.agency, look.role, look.purpose, look.about) == (
        "Riverford Homes",
        "Practitioner",
        "Early-help coordination",
        "person",
    )
    assert look.categories == ("Name, date of birth and sex", "Address and contact details")
    assert "sam.worker" not in json.dumps(look.as_json())


def test_a_kind_of_information_nothing_of_was_released_is_not_named(db: Session) -> None:
    logged(db, categories=("identity", "health"), fields=("given_name",))
    [look] = who_looked(db, person_id=PERSON, household_id=HOUSEHOLD, today=TODAY)
    assert look.categories == ("Name, date of birth and sex",)


def test_an_exempted_access_is_hidden_through_its_last_day_and_shown_the_day_after(db: Session) -> None:
    shown = logged(db, days_ago=2)
    exempted = logged(db, days_ago=1, agency="Vale Police")
    last_day = TODAY + timedelta(days=30)
    withhold(db, exempted, last_day)
    assert looked(db) == [shown]
    assert looked(db, today=last_day) == [shown]
    assert looked(db, today=last_day + timedelta(days=1)) == [exempted, shown]


def test_the_latest_exemption_of_an_entry_holds(db: Session) -> None:
    exempted = logged(db)
    withhold(db, exempted, TODAY + timedelta(days=10))
    withhold(db, exempted, TODAY + timedelta(days=300), at_day=TODAY + timedelta(days=5))
    assert looked(db, today=TODAY + timedelta(days=200)) == []
    assert looked(db, today=TODAY + timedelta(days=301)) == [exempted]


def test_nothing_shows_that_an_access_was_withheld(db: Session, lake: Lake) -> None:
    """The report with an access withheld is exactly the report of a log that never held it."""
    logged(db, days_ago=3)
    exempted = logged(db, days_ago=2, agency="Vale Police")
    logged(db, days_ago=1)
    withhold(db, exempted, TODAY + timedelta(days=30))
    visible = [look.as_json() for look in who_looked(db, person_id=PERSON, household_id=None, today=TODAY)]
    assert [look["log_entry"] for look in visible] == [exempted + 1, exempted - 1]
    section = export_of(db, lake, PERSON)["who_looked"]
    assert set(section) == {"explanation", "accesses"}
    assert section["accesses"] == visible
    assert not any(word in json.dumps(section).lower() for word in ("withh", "exempt", "hidden"))


# ---------------------------------------------------------------- exemptions


def test_an_exemption_is_kept_with_its_ground_day_and_who_recorded_it(db: Session) -> None:
    position = logged(db)
    made = withhold(db, position, TODAY + timedelta(days=90))
    assert (made.position, made.ground, made.withheld_until, made.recorded_by) == (
        position,
        CRIME,
        TODAY + timedelta(days=90),
        "Disclosure officer",
    )
    assert made.ground.startswith("DPA 2018 Sch. 2 para. 2")


def test_renewing_an_exemption_records_another_and_keeps_the_first(db: Session) -> None:
    position = logged(db)
    first = withhold(db, position, TODAY + timedelta(days=90))
    second = withhold(db, position, TODAY + timedelta(days=400), at_day=TODAY + timedelta(days=80))
    assert [one.id for one in subject_access.exemptions_of(db, position)] == [second.id, first.id]


def test_only_a_permitted_access_can_be_withheld(db: Session) -> None:
    refused = logged(db, outcome="deny", fields=(), reason="No agreement.")
    with pytest.raises(InvalidInputError, match="refused"):
        withhold(db, refused, TODAY + timedelta(days=30))
    with pytest.raises(NotFoundError):
        withhold(db, refused + 1, TODAY + timedelta(days=30))


@pytest.mark.parametrize("ground", ["", "Because the police asked", CRIME.upper()])
def test_an_exemption_rests_on_one_of_the_documented_grounds(db: Session, ground: str) -> None:
    position = logged(db)
    with pytest.raises(InvalidInputError) as raised:
        record_exemption(
            db, position=position, ground=ground, withheld_until=TODAY + timedelta(days=30), by="x", at=MOMENT
        )
    assert raised.value.field == "ground"


def test_every_documented_ground_names_its_provision() -> None:
    assert all(ground.startswith("DPA 2018 ") and " — " in ground for ground in EXEMPTION_GROUNDS)


@pytest.mark.parametrize(
    "until", [TODAY - timedelta(days=1), TODAY, date(TODAY.year + 1, TODAY.month, TODAY.day + 1)]
)
def test_an_exemption_ends_after_today_and_within_a_year(db: Session, until: date) -> None:
    position = logged(db)
    with pytest.raises(InvalidInputError) as raised:
        withhold(db, position, until)
    assert raised.value.field == "withheld_until"


@pytest.mark.parametrize("until", [TODAY + timedelta(days=1), date(TODAY.year + 1, TODAY.month, TODAY.day)])
def test_an_exemption_may_end_from_tomorrow_to_a_year_ahead(db: Session, until: date) -> None:
    assert withhold(db, logged(db), until).withheld_until == until


def test_a_year_from_the_29th_of_february_is_the_28th() -> None:
    assert subject_access.latest_withholding(date(2028, 2, 29)) == date(2029, 2, 28)


# ---------------------------------------------------------------- the export


@pytest.fixture
def someone(db: Session, lake: Lake) -> str:
    return a_person_of_many_sources(db, lake)


def a_person_of_many_sources(db: Session, lake: Lake) -> str:
    """A person whose records come from the most sources with events, in the linked place."""
    linked = identity.linked_people(db, lake).to_pydict()
    sources_of: dict[str, set[str]] = {}
    for source, person in zip(linked["source"], linked["person_id"], strict=True):
        sources_of.setdefault(person, set()).add(source)
    with_events = {key.split(":")[0] for key in lake_keys(db, lake, "event")}
    return max(
        sorted(sources_of),
        key=lambda person: (len(sources_of[person] & with_events), len(sources_of[person])),
    )


def lake_keys(db: Session, lake: Lake, entity: str) -> set[str]:
    with lake.connect(sources.lake_batches(db)) as lake_view:
        found = lake_view.sql(f"SELECT source, record_id FROM {entity}").fetchall()  # noqa: S608
    return {f"{source}:{record}" for source, record in found}


def keys_of(db: Session, lake: Lake, person_id: str) -> set[str]:
    linked = identity.linked_people(db, lake).to_pydict()
    return {
        f"{source}:{record}"
        for source, record, person in zip(
            linked["source"], linked["record_id"], linked["person_id"], strict=True
        )
        if person == person_id
    }


def lake_rows(db: Session, lake: Lake, entity: str, keys: set[str]) -> list[dict[str, Any]]:
    """The entity's current rows of these records, read whole from the lake and kept in Python."""
    with lake.connect(sources.lake_batches(db)) as lake_view:
        found = lake_view.sql(f"SELECT * FROM {entity}")  # noqa: S608
        names = found.columns
        rows = [dict(zip(names, row, strict=True)) for row in found.fetchall()]
    return [plain(row) for row in rows if f"{row['source']}:{row['record_id']}" in keys]


def plain(row: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value.isoformat() if isinstance(value, date) else value
        for name, value in row.items()
        if value is not None
    }


def by_row(rows: list[dict[str, Any]]) -> dict[tuple[str, str, int], dict[str, Any]]:
    return {(row["source"], row["record_id"], row["row_number"]): row for row in rows}


def export_of(db: Session, lake: Lake, person_id: str) -> dict[str, Any]:
    return subject_access.subject_access_export(
        db, lake, sources.lake_batches(db), person_id=person_id, at=MOMENT
    )


def test_the_export_holds_every_record_of_the_person_from_every_source(
    db: Session, lake: Lake, someone: str
) -> None:
    keys = keys_of(db, lake, someone)
    records = export_of(db, lake, someone)["records"]
    assert len({key.split(":")[0] for key in keys}) > 1
    for entity in ENTITIES:
        assert by_row(records[entity]) == by_row(lake_rows(db, lake, entity, keys)), entity
    assert records["event"], "the person chosen has events"
    assert set(records["agencies"]) == {key.split(":")[0] for key in keys}


def test_the_export_holds_nothing_of_anyone_else(db: Session, lake: Lake, someone: str) -> None:
    keys = keys_of(db, lake, someone)
    export = export_of(db, lake, someone)
    for entity in ENTITIES:
        assert {f"{row['source']}:{row['record_id']}" for row in export["records"][entity]} <= keys
    household = export["household"]
    members = identity.household_members(db, lake, household["household_id"])
    assert household["other_members"] == [member for member in members if member != someone]
    assert all(isinstance(member, str) for member in household["other_members"])


def test_the_export_explains_each_section_and_is_json(db: Session, lake: Lake, someone: str) -> None:
    export = export_of(db, lake, someone)
    assert json.loads(json.dumps(export)) == export
    assert export["person_id"] == someone
    assert export["generated_at"] == MOMENT.isoformat()
    for section in ("records", "household", "involvements", "choices", "who_looked"):
        assert len(export[section]["explanation"]) > 80, section


def test_the_export_gives_involvements_choices_and_who_looked(db: Session, lake: Lake, someone: str) -> None:
    consent.record_choice(
        db,
        person_id=someone,
        kind="objection",
        status="given",
        scope=consent.Scope(purposes=frozenset({"early_help"})),
        given_by=consent.GivenBy(),
        evidence="Letter of 1 October",
        by="Officer Name",
        at=MOMENT - timedelta(days=3),
    )
    position = logged(db, subject_id=someone)
    export = export_of(db, lake, someone)
    [choice] = export["choices"]["records"]
    assert (choice["kind"], choice["status"], choice["purposes"], choice["in_force"]) == (
        "objection",
        "given",
        ["Early-help coordination"],
        True,
    )
    assert "Officer Name" not in json.dumps(export)
    assert [look["log_entry"] for look in export["who_looked"]["accesses"]] == [position]
    agencies = {one["agency"] for one in export["involvements"]["agencies"]}
    assert agencies <= set(export["records"]["agencies"].values())


def test_released_keeps_a_records_origin_and_only_the_fields_released() -> None:
    export = {
        "records": {
            "agencies": {"schools": "Riverford Schools"},
            "person": [
                {
                    "source": "schools",
                    "record_id": "R1",
                    "given_name": "Ada",
                    "given_name_original": "ADA",
                    "given_name_key": "ada",
                    "postcode": "RF1 1AA",
                    "postcode_sector": "RF1 1",
                    "identifiers.pupil": "77",
                }
            ],
            "involvement": [],
            "event": [{"source": "schools", "record_id": "R1", "type": "exclusion", "detail": "Fight"}],
            "relationship": [],
        }
    }
    narrowed = subject_access.released(export, fields=frozenset({"given_name", "event.type"}))
    assert narrowed["records"]["person"] == [
        {
            "source": "schools",
            "record_id": "R1",
            "given_name": "Ada",
            "given_name_original": "ADA",
            "given_name_key": "ada",
        }
    ]
    assert narrowed["records"]["event"] == [{"source": "schools", "record_id": "R1", "type": "exclusion"}]


def test_a_person_no_run_knows_has_no_records(db: Session, lake: Lake) -> None:
    export = export_of(db, lake, "P-NOBODY")
    assert all(export["records"][entity] == [] for entity in ENTITIES)
    assert export["household"]["household_id"] is None


def test_look_as_json_names_the_household_when_that_was_looked_at() -> None:
    look = Look(1, MOMENT, "Vale Police", "Practitioner", "Safeguarding children", (), "household")
    assert look.as_json()["about"] == "your household"
