"""The officer's oversight through the service, on SQLite and PostgreSQL: the access log searched by each filter
and paged, its CSV, each anomaly found in a real log, break-glass accesses reviewed once, and the overview."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.support import factories
from tests.support.agreements import in_force
from tests.support.clock import FakeClock
from tests.support.factories import MOMENT
from wholeplace.core.errors import ConflictError, InvalidInputError, NotFoundError
from wholeplace.core.models import Agency
from wholeplace.core.roles import Role
from wholeplace.governance import chain
from wholeplace.governance.decision import Subject
from wholeplace.governance.models import AccessLogEntry
from wholeplace.governance.service import consent, involvements, log, oversight
from wholeplace.governance.service.decisions import Asker, disclose
from wholeplace.governance.service.oversight import LogFilter
from wholeplace.sources.lake import Lake

HOMES = "Testford Homes"
SCHOOLS = "Testford Schools"
EMERGENCY = "Child alone at home with a head injury; paramedics need her health history now"


def logged(
    db: Session,
    *,
    at: datetime = MOMENT,
    username: str = "sam",
    agency: str = HOMES,
    purpose: str = "early_help",
    subject: str = "P-1",
    kind: str = "person",
    outcome: str = "permit",
    case_reference: str = "EH-1",
    fields: tuple[str, ...] = ("given_name", "family_name"),
) -> AccessLogEntry:
    """An entry appended to the log as a decision would write it."""
    return log.append(
        db,
        chain.LogEntry(
            at=chain.log_time(at),
            username=username,
            agency=agency,
            role=Role.PRACTITIONER,
            purpose=purpose,
            case_reference=case_reference,
            subject_kind=kind,
            subject_id=subject,
            categories=("identity",),
            fields=fields if outcome == "permit" else (),
            agreements=("ISA-1@1",) if outcome == "permit" else (),
            lawful_basis="6(1)(e) Public task" if outcome == "permit" else "",
            outcome=outcome,
            reason="Allowed for the test." if outcome == "permit" else "Refused for the test.",
            break_glass=False,
        ),
    )


def positions(found: oversight.LogPage) -> list[int]:
    return [entry.position for entry in found.entries]


def search(db: Session, **where: object) -> list[int]:
    return positions(oversight.search_log(db, where=LogFilter(**where), page=1, size=100))  # type: ignore[arg-type]


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake.in_data_dir(tmp_path)


@pytest.fixture
def homes(db: Session) -> Agency:
    return factories.agency(db, HOMES)


# ---------------------------------------------------------------- searching the log


def test_each_filter_finds_only_its_entries_the_newest_first(db: Session) -> None:
    first = logged(db, subject="P-1", username="sam", agency=HOMES).position
    second = logged(
        db, subject="P-2", username="ali", agency=SCHOOLS, purpose="safeguarding_children"
    ).position
    third = logged(db, subject="P-1", username="ali", agency=HOMES, outcome="deny").position
    assert search(db) == [third, second, first]
    assert search(db, person="P-1") == [third, first]
    assert search(db, user="ali") == [third, second]
    assert search(db, agency=SCHOOLS) == [second]
    assert search(db, purpose="safeguarding_children") == [second]
    assert search(db, outcome="deny") == [third]
    assert search(db, person="P-1", user="ali", outcome="deny") == [third]
    assert search(db, person="P-9") == []


def test_a_person_search_leaves_out_households_with_the_same_id(db: Session) -> None:
    logged(db, subject="X-1", kind="household")
    person = logged(db, subject="X-1").position
    assert search(db, person="X-1") == [person]


def test_the_period_runs_from_the_start_of_the_first_day_to_the_end_of_the_last(db: Session) -> None:
    day = MOMENT.date()
    before = logged(
        db, at=datetime.combine(day, datetime.min.time(), MOMENT.tzinfo) - timedelta(microseconds=1)
    )
    morning = logged(db, at=datetime.combine(day, datetime.min.time(), MOMENT.tzinfo))
    night = logged(db, at=datetime.combine(day, datetime.max.time(), MOMENT.tzinfo))
    after = logged(db, at=datetime.combine(day + timedelta(days=1), datetime.min.time(), MOMENT.tzinfo))
    assert search(db, since=day, until=day) == [night.position, morning.position]
    assert search(db, since=day) == [after.position, night.position, morning.position]
    assert search(db, until=day - timedelta(days=1)) == [before.position]


def test_the_log_is_paged_and_a_page_beyond_the_last_shows_the_last(db: Session) -> None:
    made = [logged(db, case_reference=f"EH-{number}").position for number in range(7)]
    first = oversight.search_log(db, where=LogFilter(), page=1, size=3)
    assert (first.total, first.pages, first.first, positions(first)) == (7, 3, 1, made[::-1][:3])
    last = oversight.search_log(db, where=LogFilter(), page=9, size=3)
    assert (last.page, last.first, positions(last)) == (3, 7, [made[0]])


def test_an_empty_log_is_one_empty_page(db: Session) -> None:
    found = oversight.search_log(db, where=LogFilter(), page=1, size=50)
    assert (found.total, found.pages, found.entries) == (0, 1, [])


# ---------------------------------------------------------------- the CSV


def csv_rows(db: Session, where: LogFilter) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(oversight.log_csv(db, where=where)))))


def test_the_csv_holds_the_same_search_with_lists_in_words(db: Session) -> None:
    logged(db, subject="P-1")
    wanted = logged(db, subject="P-2", fields=("given_name", "postcode"))
    [row] = csv_rows(db, LogFilter(person="P-2"))
    assert row["position"] == str(wanted.position)
    assert (row["subject_kind"], row["subject_id"], row["outcome"]) == ("person", "P-2", "permit")
    assert (row["fields"], row["agreements"], row["break_glass"]) == ("given_name; postcode", "ISA-1@1", "no")
    assert row["at"] == wanted.at


def test_the_csv_neutralises_cells_a_spreadsheet_would_run(db: Session) -> None:
    logged(db, case_reference='=HYPERLINK("http://evil")')
    [row] = csv_rows(db, LogFilter())
    assert row["case_reference"] == '\'=HYPERLINK("http://evil")'


def test_the_csv_streams_a_log_longer_than_one_batch(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oversight, "CSV_BATCH", 2)
    made = [logged(db, case_reference=f"EH-{number}").position for number in range(5)]
    assert [int(row["position"]) for row in csv_rows(db, LogFilter())] == made[::-1]


# ---------------------------------------------------------------- anomalies in a real log


def window(clock: FakeClock) -> dict[str, datetime]:
    return {"since": clock() - timedelta(days=30), "until": clock() + timedelta(days=1)}


def test_casework_on_someone_the_agency_was_never_involved_with_is_an_anomaly(
    db: Session, homes: Agency, clock: FakeClock
) -> None:
    logged(db, subject="P-1", agency=HOMES)
    logged(db, subject="P-2", agency=HOMES)
    involvements.open_involvement(
        db,
        person_id="P-2",
        household_id=None,
        agency_id=homes.id,
        origin="referral",
        reference=None,
        on=clock().date(),
    )
    found = oversight.anomalies(db, **window(clock))
    assert [(one.agency, one.subject_id) for one in found.uninvolved] == [(HOMES, "P-1")]


def test_an_involvement_with_the_household_covers_casework_on_the_household(
    db: Session, homes: Agency, clock: FakeClock
) -> None:
    logged(db, subject="H-1", kind="household")
    involvements.open_involvement(
        db,
        person_id="P-1",
        household_id="H-1",
        agency_id=homes.id,
        origin="referral",
        reference=None,
        on=clock().date(),
    )
    assert oversight.anomalies(db, **window(clock)).uninvolved == []


def test_a_day_of_looking_at_far_more_people_than_usual_is_an_anomaly(db: Session, clock: FakeClock) -> None:
    for day in range(1, 7):
        for number in range(5):
            logged(db, at=clock() - timedelta(days=day), subject=f"P-{day}-{number}")
    for number in range(40):
        logged(db, at=clock() + timedelta(seconds=number), subject=f"P-today-{number}")
    [found] = oversight.anomalies(db, **window(clock)).unusual_days
    assert (found.username, found.day, found.subjects, found.usual) == ("sam", clock().date(), 40, 5.0)


def test_five_refusals_in_ten_minutes_are_a_burst(db: Session, clock: FakeClock) -> None:
    for minute in (0, 1, 2, 3, 9):
        logged(db, at=clock() + timedelta(minutes=minute), outcome="deny", subject=f"P-{minute}")
    [burst] = oversight.anomalies(db, **window(clock)).bursts
    assert (burst.username, burst.denials, burst.start, burst.end) == (
        "sam",
        5,
        clock(),
        clock() + timedelta(minutes=9),
    )


def test_entries_outside_the_period_are_not_read(db: Session, clock: FakeClock) -> None:
    for minute in range(5):
        logged(db, at=clock() - timedelta(days=40, minutes=-minute), outcome="deny")
    assert oversight.anomalies(db, **window(clock)).count == 0


def test_casework_purposes_leave_out_emergencies_analysis_and_oversight(db: Session) -> None:
    purposes = oversight.casework_purposes(db)
    assert {"early_help", "safeguarding_children", "front_door_triage"} <= purposes
    assert not purposes & {"vital_interests", "record_linkage", "outcomes_evaluation", "subject_access"}


# ---------------------------------------------------------------- break-glass


def broke_glass(db: Session, lake: Lake, homes: Agency, clock: FakeClock, subject: str = "P-1") -> int:
    asker = Asker(username="sam", agency_id=homes.id, agency=homes.name, role=Role.PRACTITIONER)
    disclosure = disclose(
        db,
        lake,
        asker=asker,
        purpose="vital_interests",
        subject=Subject("person", subject),
        categories=("health",),
        case_reference="",
        at=clock(),
        break_glass_reason=EMERGENCY,
    )
    assert disclosure.permitted
    return disclosure.position


def test_a_break_glass_access_waits_for_review(
    db: Session, lake: Lake, homes: Agency, clock: FakeClock
) -> None:
    position = broke_glass(db, lake, homes, clock)
    [waiting] = oversight.break_glass_waiting(db)
    assert (waiting.entry.position, waiting.review.status) == (position, "awaiting")
    assert EMERGENCY in waiting.entry.reason


def test_reviewing_records_the_finding_and_takes_it_off_the_list(
    db: Session, lake: Lake, homes: Agency, clock: FakeClock
) -> None:
    position = broke_glass(db, lake, homes, clock)
    review = oversight.review_break_glass(
        db,
        position=position,
        finding=" Called the ward: it was real. ",
        justified=True,
        by="Grace",
        at=clock(),
    )
    assert (review.status, review.finding, review.reviewed_by, review.reviewed_at) == (
        "justified",
        "Called the ward: it was real.",
        "Grace",
        clock(),
    )
    assert oversight.break_glass_waiting(db) == []


def test_an_access_found_not_justified_says_so(
    db: Session, lake: Lake, homes: Agency, clock: FakeClock
) -> None:
    position = broke_glass(db, lake, homes, clock)
    review = oversight.review_break_glass(
        db, position=position, finding="No emergency on file.", justified=False, by="Grace", at=clock()
    )
    assert review.status == "not_justified"


def test_an_access_is_reviewed_only_once(db: Session, lake: Lake, homes: Agency, clock: FakeClock) -> None:
    position = broke_glass(db, lake, homes, clock)
    oversight.review_break_glass(
        db, position=position, finding="Real.", justified=True, by="Grace", at=clock()
    )
    with pytest.raises(ConflictError, match="already reviewed by Grace"):
        oversight.review_break_glass(
            db, position=position, finding="No.", justified=False, by="Ola", at=clock()
        )
    assert oversight.break_glass_access(db, position=position).review.status == "justified"


def test_a_review_needs_a_finding(db: Session, lake: Lake, homes: Agency, clock: FakeClock) -> None:
    position = broke_glass(db, lake, homes, clock)
    with pytest.raises(InvalidInputError, match="what the review found"):
        oversight.review_break_glass(
            db, position=position, finding="  ", justified=True, by="Grace", at=clock()
        )
    assert oversight.break_glass_access(db, position=position).review.status == "awaiting"


def test_only_a_break_glass_access_can_be_reviewed(db: Session, clock: FakeClock) -> None:
    position = logged(db).position
    with pytest.raises(NotFoundError, match="not an emergency"):
        oversight.review_break_glass(
            db, position=position, finding="x", justified=True, by="Grace", at=clock()
        )


# ---------------------------------------------------------------- the overview


def test_the_dashboard_gathers_everything_waiting(
    db: Session, lake: Lake, homes: Agency, clock: FakeClock
) -> None:
    schools = factories.agency(db, SCHOOLS)
    in_force(
        db,
        recipients=[HOMES],
        providers=[SCHOOLS],
        purposes=["early_help"],
        categories={"identity": ("given_name",)},
        at=clock() - timedelta(days=150),
    )
    broke_glass(db, lake, homes, clock)
    for minute in range(5):
        logged(db, at=clock() + timedelta(minutes=minute), outcome="deny", agency=schools.name, username="jo")
    consent.record_choice(
        db,
        person_id="P-7",
        kind="objection",
        status="given",
        scope=consent.Scope(),
        given_by=consent.GivenBy(),
        evidence="Said so at the review meeting",
        by="Grace",
        at=clock() - timedelta(days=3),
    )
    board = oversight.dashboard(db, today=clock().date())
    assert [attention.what for attention in board.attention] == ["review"]
    assert len(board.break_glass) == 1
    assert [burst.username for burst in board.anomalies.bursts] == ["jo"]
    assert [record.person_id for record in board.withdrawals] == ["P-7"]
