"""The Linkage pages on a small linked place: analysts only; the quality of the latest run, the review queue, a
pair side by side with its weights and a decision that re-links at once, a person whose link is undone, and the
place's thresholds. No page lists everyone."""

from __future__ import annotations

import html
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import SecretStr
from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.orm import Session

from tests.identity.conftest import ACTOR, link, load_files
from tests.sources.test_views import table
from tests.support import agreements
from tests.support.factories import MOMENT
from tests.support.web import post_form
from tests.web.conftest import SignedInAs
from wholeplace.core.roles import Role
from wholeplace.core.settings import Settings
from wholeplace.demo.service import demo_files
from wholeplace.governance.models import AccessLogEntry
from wholeplace.identity import service, store
from wholeplace.identity.models import LinkDecision, LinkRun, ReviewPair
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake


@dataclass(frozen=True)
class LinkedPlace:
    connection: Connection
    data_dir: Path


@pytest.fixture(scope="module")
def linked_place(
    engine: Engine, place: Path, trained: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LinkedPlace]:
    """The place loaded and linked once per database, in a transaction rolled back after the module's tests."""
    data_dir = tmp_path_factory.mktemp("linked")
    with engine.connect() as connection:
        outer = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint") as db:
            lake = Lake.in_data_dir(data_dir)
            load_files(db, demo_files(place), lake)
            link(db, lake, model_file=trained)
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
def settings(linked_place: LinkedPlace, tmp_path: Path) -> Settings:
    """A copy of the linked place's data directory: each decision writes a run folder of its own."""
    data_dir = tmp_path / "data"
    shutil.copytree(linked_place.data_dir, data_dir)
    return Settings(data_dir=data_dir, secret_key=SecretStr("test-secret-key-" * 3), environment="test")


@pytest.fixture
def lake(settings: Settings) -> Lake:
    return Lake.in_data_dir(settings.data_dir)


@pytest.fixture
def analyst(client: TestClient, signed_in_as: SignedInAs, db: Session) -> TestClient:
    """An analyst whose agency may compare the sources' records under a record-linkage agreement."""
    user = signed_in_as(Role.ANALYST)
    agreements.record_linkage(db, analysts=user.agency.name, at=MOMENT)
    db.commit()
    return client


def people(db: Session, lake: Lake) -> dict[str, str]:
    """Each record's person in the latest run, by the record's key."""
    linked = service.linked_people(db, lake).to_pydict()
    keys = [
        f"{source}:{record}" for source, record in zip(linked["source"], linked["record_id"], strict=True)
    ]
    return dict(zip(keys, linked["person_id"], strict=True))


def log_positions(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(AccessLogEntry)) or 0


def log_entries_after(db: Session, count: int) -> list[AccessLogEntry]:
    return list(db.scalars(select(AccessLogEntry).order_by(AccessLogEntry.position).offset(count)))


def open_pairs(db: Session) -> list[ReviewPair]:
    return list(
        db.scalars(
            select(ReviewPair)
            .where(ReviewPair.status == "open")
            .order_by(ReviewPair.impact.desc(), ReviewPair.match_probability.desc(), ReviewPair.id)
        )
    )


def a_pair_in_two_people(db: Session, lake: Lake) -> ReviewPair:
    person_of = people(db, lake)
    return next(
        pair
        for pair in open_pairs(db)
        if pair.reason == "between the thresholds" and person_of[pair.record_l] != person_of[pair.record_r]
    )


def a_person_with_records(db: Session, lake: Lake, count: int) -> tuple[str, list[str]]:
    records_of: dict[str, list[str]] = {}
    for key, person in people(db, lake).items():
        records_of.setdefault(person, []).append(key)
    return next((person, sorted(keys)) for person, keys in sorted(records_of.items()) if len(keys) == count)


def decisions(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(LinkDecision)) or 0)


def redirected_to(response: Response) -> tuple[str, dict[str, list[str]]]:
    assert response.status_code == 303, response.text
    parts = urlsplit(response.headers["location"])
    return parts.path, parse_qs(parts.query)


def error_summary(page: str) -> list[str]:
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', page, flags=re.DOTALL)
    assert summary, "the page has no error summary"
    found = re.findall(r"<a [^>]*>(.*?)</a>", summary.group(0), flags=re.DOTALL)
    return [" ".join(html.unescape(text).split()) for text in found]


def chart_spec(page: str, name: str) -> dict[str, object]:
    found = re.search(rf'<script type="application/json" id="{name}-spec">(.*?)</script>', page, re.DOTALL)
    assert found, f"the page has no {name} chart"
    spec: dict[str, object] = json.loads(found.group(1))
    return spec


# ---------------------------------------------------------------- who may see them


@pytest.mark.parametrize(
    "path",
    [
        "/linkage",
        "/linkage/review",
        "/linkage/review/00000000-0000-0000-0000-000000000001",
        "/linkage/people/P1",
    ],
)
def test_only_analysts_reach_the_linkage_pages(
    client: TestClient, signed_in_as: SignedInAs, path: str
) -> None:
    signed_in_as(
        Role.PRACTITIONER,
        Role.LEAD_PROFESSIONAL,
        Role.ADMINISTRATOR,
        Role.INFORMATION_GOVERNANCE_OFFICER,
        Role.PROGRAMME_MANAGER,
    )
    assert client.get(path).status_code == 403


def test_only_analysts_can_decide(client: TestClient, signed_in_as: SignedInAs, db: Session) -> None:
    pair = open_pairs(db)[0]
    signed_in_as(Role.PRACTITIONER)
    response = post_form(
        client, f"/linkage/review/{pair.id}", {"decision": "same", "reason": "same NHS number"}, from_page="/"
    )
    assert response.status_code == 403
    assert decisions(db) == 0


def test_someone_signed_out_is_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/linkage/review", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_the_navigation_offers_linkage_to_analysts_only(client: TestClient, signed_in_as: SignedInAs) -> None:
    signed_in_as(Role.PRACTITIONER)
    assert 'href="/linkage"' not in client.get("/").text
    signed_in_as(Role.ANALYST)
    assert 'href="/linkage"' in client.get("/").text


def test_no_page_lists_everyone(analyst: TestClient) -> None:
    assert analyst.get("/linkage/people").status_code == 404


# ---------------------------------------------------------------- the quality page


def test_the_quality_page_shows_the_latest_run_and_what_the_model_expects(
    analyst: TestClient, db: Session, lake: Lake
) -> None:
    run = service.latest_run(db)
    assert run is not None
    page = analyst.get("/linkage").text
    assert f"{run.records:,}" in page and f"{run.people:,}" in page
    assert "chosen by the model" in page
    assert "Precision of automatic links" in page
    bins = table(page, "Pairs by match weight and band")
    scored = sum(int(cell.replace(",", "")) for row in bins for cell in row[1:])
    assert scored == store.read_table(lake, run.folder, store.PAIRS).num_rows
    charted = chart_spec(page, "weight-chart")
    datasets: dict[str, list[dict[str, int]]] = charted["datasets"]  # type: ignore[assignment]
    bars = next(values for values in datasets.values() if "pairs" in values[0])
    assert sum(bar["pairs"] for bar in bars) == scored


def test_links_by_source_count_each_source_s_records_and_never_name_anyone(
    analyst: TestClient, db: Session, lake: Lake
) -> None:
    person_of = people(db, lake)
    page = analyst.get("/linkage").text
    rows = {row[0]: row[1:] for row in table(page, "Links by source")}
    sources_of: dict[str, set[str]] = {}
    for key, person in person_of.items():
        sources_of.setdefault(person, set()).add(key.partition(":")[0])
    schools = [key for key in person_of if key.startswith("schools:")]
    elsewhere = sum(1 for key in schools if len(sources_of[person_of[key]]) > 1)
    assert rows["schools"][:2] == [f"{len(schools):,}", f"{elsewhere:,}"]
    assert sum(int(row[0].replace(",", "")) for row in rows.values()) == len(person_of)
    assert "/linkage/people/" not in page


# ---------------------------------------------------------------- the review queue


def test_the_queue_lists_open_pairs_most_impact_first_25_a_page(analyst: TestClient, db: Session) -> None:
    waiting = open_pairs(db)
    page = analyst.get("/linkage/review").text
    rows = table(page, "Pairs to review")
    assert len(rows) == min(25, len(waiting))
    links = re.findall(r'href="/linkage/review/([0-9a-f-]{36})"', page)
    assert links == [str(pair.id) for pair in waiting[:25]]
    assert f"Showing pairs 1 to {len(rows)} of {len(waiting):,}" in page
    if len(waiting) > 25:
        second = analyst.get("/linkage/review?page=2").text
        assert re.findall(r'href="/linkage/review/([0-9a-f-]{36})"', second) == [
            str(pair.id) for pair in waiting[25:50]
        ]


def test_the_queue_can_show_the_pairs_held_for_one_reason(analyst: TestClient, db: Session) -> None:
    reason = "between the thresholds"
    page = analyst.get("/linkage/review", params={"queue": reason}).text
    shown = re.findall(r'href="/linkage/review/([0-9a-f-]{36})\?queue=', page)
    assert shown == [str(pair.id) for pair in open_pairs(db) if pair.reason == reason][:25]


def test_the_queue_says_when_nothing_waits(analyst: TestClient, db: Session) -> None:
    db.execute(update(ReviewPair).values(status="decided"))
    db.commit()
    page = analyst.get("/linkage/review").text
    assert "No pairs are waiting" in page
    assert "Pairs to review</caption>" not in page


# ---------------------------------------------------------------- one pair


def test_a_pair_shows_both_records_side_by_side_and_the_weights_that_scored_it(
    analyst: TestClient, db: Session, lake: Lake
) -> None:
    pair = a_pair_in_two_people(db, lake)
    person_of = people(db, lake)
    page = analyst.get(f"/linkage/review/{pair.id}").text
    fields = {row[0]: row[1:] for row in table(page, "The two records side by side")}
    assert "Given name" in fields and "Family name" in fields
    assert all(row[2] in ("Differs", "Agrees", "Only one holds it") for row in fields.values())
    steps = table(page, "The pair's match weight, step by step")
    levels = json.loads(pair.levels)
    assert steps[0][0] == "Starting point (prior)" and steps[-1][2] == f"{levels['total']:+.2f}"
    assert len(steps) == len(levels["steps"]) + 2
    assert chart_spec(page, "waterfall-chart")["description"]
    for record in (pair.record_l, pair.record_r):
        assert f'href="/linkage/people/{person_of[record]}"' in page


def test_differing_values_are_marked_in_words(analyst: TestClient, db: Session) -> None:
    pair = next(pair for pair in open_pairs(db) if pair.reason == "given names differ")
    fields = {
        row[0]: row[1:]
        for row in table(analyst.get(f"/linkage/review/{pair.id}").text, "The two records side by side")
    }
    left, right, compared = fields["Given name"]
    assert left.casefold() != right.casefold() and compared == "Differs"


def test_deciding_same_person_links_the_two_records_and_goes_on_to_the_next_pair(
    analyst: TestClient, db: Session, lake: Lake
) -> None:
    pair = a_pair_in_two_people(db, lake)
    response = post_form(
        analyst,
        f"/linkage/review/{pair.id}",
        {"decision": "same", "reason": "Same NHS number in the GP system"},
    )
    path, query = redirected_to(response)
    assert path.startswith("/linkage/review/") and path != f"/linkage/review/{pair.id}"
    assert query["decided"] == [str(pair.id)]
    person_of = people(db, lake)
    assert person_of[pair.record_l] == person_of[pair.record_r]
    next_page = analyst.get(response.headers["location"]).text
    assert "Decision saved: same person" in next_page
    assert f'href="/linkage/people/{person_of[pair.record_l]}"' in next_page
    (decision,) = db.scalars(select(LinkDecision))
    assert (decision.decision, decision.origin, decision.reason) == (
        "same",
        "review",
        "Same NHS number in the GP system",
    )


def test_a_decision_needs_a_choice_and_a_reason(analyst: TestClient, db: Session) -> None:
    pair = open_pairs(db)[0]
    response = post_form(analyst, f"/linkage/review/{pair.id}", {"decision": "", "reason": " "})
    assert response.status_code == 400
    assert error_summary(response.text) == [
        "Select whether the two records are the same person",
        "Enter the reason for your decision",
    ]
    assert decisions(db) == 0


def test_a_decision_on_a_pair_no_longer_in_the_queue_records_nothing(
    analyst: TestClient, db: Session, lake: Lake
) -> None:
    pair = next(pair for pair in open_pairs(db) if pair.reason == "between the thresholds")
    form = analyst.get(f"/linkage/review/{pair.id}")
    # Meanwhile someone raises the lower threshold above the pair's probability: re-linking withdraws it.
    lower = pair.match_probability + (1 - pair.match_probability) / 2
    service.set_thresholds(db, max(lower, 0.999), lower, "stricter", actor=ACTOR)
    service.relink(db, lake, actor=ACTOR)
    db.commit()
    response = analyst.post(
        f"/linkage/review/{pair.id}",
        data={"decision": "same", "reason": "looks right", "csrf_token": _csrf(form)},
        follow_redirects=False,
    )
    assert response.status_code == 409
    assert "This pair is no longer waiting for review" in response.text
    assert "Your decision was not recorded" in response.text
    assert decisions(db) == 0


def _csrf(page: Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def test_a_pair_that_does_not_exist_is_not_found(analyst: TestClient) -> None:
    assert analyst.get("/linkage/review/00000000-0000-0000-0000-000000000001").status_code == 404
    assert analyst.get("/linkage/review/not-a-pair").status_code == 404


# ---------------------------------------------------------------- one person


def test_a_person_page_shows_their_records_household_and_no_one_else_s_details(
    analyst: TestClient, db: Session, lake: Lake
) -> None:
    person, records = a_person_with_records(db, lake, 3)
    page = analyst.get(f"/linkage/people/{person}").text
    shown = table(page, "Records of this person")
    assert [f"{row[0]}:{row[1]}" for row in shown] == records
    assert page.count("Undo this link") == 3


def test_each_person_page_is_decided_and_logged_once(analyst: TestClient, db: Session, lake: Lake) -> None:
    person, _ = a_person_with_records(db, lake, 2)
    before = log_positions(db)
    assert analyst.get(f"/linkage/people/{person}").status_code == 200
    [entry] = log_entries_after(db, before)
    assert (entry.purpose, entry.subject_id, entry.outcome) == ("record_linkage", person, "permit")


def test_a_pair_page_decides_and_logs_each_person_it_shows(
    analyst: TestClient, db: Session, lake: Lake
) -> None:
    pair = a_pair_in_two_people(db, lake)
    before = log_positions(db)
    assert analyst.get(f"/linkage/review/{pair.id}").status_code == 200
    logged = log_entries_after(db, before)
    linked = people(db, lake)
    assert sorted(entry.subject_id for entry in logged) == sorted(
        {linked[pair.record_l], linked[pair.record_r]}
    )
    assert {entry.case_reference for entry in logged} == {f"review pair {pair.id}"}


def test_an_analyst_without_a_linkage_agreement_sees_no_records(
    client: TestClient, signed_in_as: SignedInAs, db: Session, lake: Lake
) -> None:
    signed_in_as(Role.ANALYST)
    person, records = a_person_with_records(db, lake, 2)
    before = log_positions(db)
    response = client.get(f"/linkage/people/{person}")
    assert response.status_code == 403
    assert "No sharing agreement in force" in html.unescape(response.text)
    assert records[0].split(":")[1] not in response.text
    [entry] = log_entries_after(db, before)
    assert entry.outcome == "deny"


def test_the_queue_names_no_one(analyst: TestClient, db: Session, lake: Lake) -> None:
    waiting = open_pairs(db)[:25]
    before = log_positions(db)
    page = analyst.get("/linkage/review").text
    with lake.connect(sources.lake_batches(db)) as view:
        names = {
            row[0]
            for row in view.execute(
                "SELECT family_name FROM person WHERE source || ':' || record_id IN (SELECT unnest(?))",
                [[key for pair in waiting for key in (pair.record_l, pair.record_r)]],
            ).fetchall()
            if row[0]
        }
    assert names and not any(f">{name}" in page or f" {name}<" in page for name in names)
    assert log_positions(db) == before  # it reveals nobody's details, so it has nothing to decide


def test_undoing_a_link_moves_the_record_to_a_new_person_kept_in_the_history(
    analyst: TestClient, db: Session, lake: Lake
) -> None:
    person, records = a_person_with_records(db, lake, 3)
    taken = records[0]
    response = post_form(
        analyst,
        f"/linkage/people/{person}/undo",
        {"record": taken, "reason": "Different date of birth"},
        from_page=f"/linkage/people/{person}",
    )
    path, query = redirected_to(response)
    assert path == f"/linkage/people/{person}" and query["moved"] == [taken]
    person_of = people(db, lake)
    moved_to = person_of[taken]
    assert moved_to != person and all(person_of[key] == person for key in records[1:])
    page = analyst.get(response.headers["location"]).text
    assert "Link undone" in page and f'href="/linkage/people/{moved_to}"' in page
    history = table(page, "How this person changed, newest first")
    assert history[0][2] == f"1 record left this person and became person {moved_to}"
    undone = table(page, "Decisions on these records, newest first")
    assert len(undone) == 2 and all(row[2] == "Undone link: different people" for row in undone)
    theirs = table(analyst.get(f"/linkage/people/{moved_to}").text, "How this person changed, newest first")
    assert theirs[0][2] == f"This person was made from 1 record that left person {person}"


def test_undoing_the_link_of_one_of_two_records_lands_on_the_person_the_other_now_makes(
    analyst: TestClient, db: Session, lake: Lake
) -> None:
    person, records = a_person_with_records(db, lake, 2)
    response = post_form(
        analyst,
        f"/linkage/people/{person}/undo",
        {"record": records[0], "reason": "Twins"},
        from_page=f"/linkage/people/{person}",
    )
    path, _query = redirected_to(response)
    person_of = people(db, lake)
    assert path == f"/linkage/people/{person_of[records[1]]}"
    assert person_of[records[0]] != person_of[records[1]]
    assert "Link undone" in analyst.get(response.headers["location"]).text


def test_undoing_a_link_needs_a_reason(analyst: TestClient, db: Session, lake: Lake) -> None:
    person, records = a_person_with_records(db, lake, 3)
    response = post_form(
        analyst,
        f"/linkage/people/{person}/undo",
        {"record": records[1], "reason": ""},
        from_page=f"/linkage/people/{person}",
    )
    assert response.status_code == 400
    assert error_summary(response.text) == ["Enter why the link is wrong"]
    assert 'href="#reason-2"' in response.text
    assert decisions(db) == 0


def test_a_person_who_does_not_exist_is_not_found(analyst: TestClient) -> None:
    response = analyst.get("/linkage/people/Pnobody")
    assert response.status_code == 404
    assert "There is no such person" in response.text


# ---------------------------------------------------------------- the thresholds


def test_setting_the_place_s_thresholds_links_again_with_them(analyst: TestClient, db: Session) -> None:
    before = service.latest_run(db)
    assert before is not None
    response = post_form(
        analyst,
        "/linkage/thresholds",
        {"chooser": "place", "upper": "0.99", "lower": "0.5", "reason": "Fewer automatic links for now"},
        from_page="/linkage",
    )
    path, query = redirected_to(response)
    run = service.latest_run(db)
    assert run is not None and run.sequence == before.sequence + 1
    assert (path, query["relinked"]) == ("/linkage", [str(run.sequence)])
    assert (run.upper, run.lower, run.thresholds_from) == (0.99, 0.5, "place")
    page = analyst.get(response.headers["location"]).text
    assert "Linked again with thresholds 0.9900 and 0.5000, chosen by the place" in page
    assert table(page, "Thresholds the place has set, newest first")[0][2:] == [
        "0.9900",
        "0.5000",
        "Fewer automatic links for now",
    ]
    back = post_form(
        analyst,
        "/linkage/thresholds",
        {"chooser": "model", "reason": "Trust the model"},
        from_page="/linkage",
    )
    redirected_to(back)
    latest = db.scalars(select(LinkRun).order_by(LinkRun.sequence.desc())).first()
    assert latest is not None and latest.thresholds_from == "model"


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (
            {"chooser": "place", "upper": "high", "lower": "", "reason": ""},
            [
                "Enter the upper threshold as a number between 0 and 1, like 0.95",
                "Enter the lower threshold as a number between 0 and 1, like 0.5",
                "Enter why the thresholds change",
            ],
        ),
        ({"reason": "because"}, ["Select who chooses the thresholds"]),
        (
            {"chooser": "place", "upper": "0.5", "lower": "0.9", "reason": "backwards"},
            ["The thresholds must satisfy 0 < lower ≤ upper < 1."],
        ),
    ],
)
def test_thresholds_the_form_refuses_are_explained_in_an_error_summary(
    analyst: TestClient, db: Session, form: dict[str, str], expected: list[str]
) -> None:
    before = service.latest_run(db)
    response = post_form(analyst, "/linkage/thresholds", form, from_page="/linkage")
    assert response.status_code == 400
    assert error_summary(response.text) == expected
    latest = service.latest_run(db)
    assert before is not None and latest is not None and latest.sequence == before.sequence
