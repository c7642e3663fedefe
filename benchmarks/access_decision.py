"""Time the access decision with a million people and ten sharing agreements: p50 and p95 of one decision,
logged and committed as a page would, on PostgreSQL (the target: p95 at most 5 ms) and SQLite; beside a naive
decision that scans every version of every agreement and checks each one's text again, and the ratio.

Each agreement has three versions (two replaced, one in force). A million people have one to three involvements
each with the ten agencies, and one in fifty has recorded a choice. Run with the project's Python:
    .venv/bin/python benchmarks/access_decision.py [--people 1000000] [--decisions 2000]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.postgres import scratch_database

from wholeplace.core import service as core
from wholeplace.core.db import make_engine, upgrade
from wholeplace.core.roles import AgencyKind, Role, Sector
from wholeplace.governance.decision import AgreementTerms, Facts, Request, Subject, decide
from wholeplace.governance.models import Agreement
from wholeplace.governance.schemas import AgreementBody
from wholeplace.governance.service import agreements as agreement_service
from wholeplace.governance.service import consent, decisions, involvements, log
from wholeplace.sources.lake import Lake

TARGET_P95_MS = 5.0
AGENCIES = 10
AGREEMENTS = 10
VERSIONS = 3
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
PURPOSES = ("early_help", "safeguarding_children", "statutory_assessment", "safeguarding_adults")
CATEGORIES = {
    "identity": ["given_name", "family_name", "date_of_birth"],
    "contact": ["postcode", "phone"],
    "involvement": ["involvement.agency", "involvement.type", "involvement.start"],
    "events": ["event.type", "event.date"],
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--decisions", type=int, default=2_000)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "WHOLEPLACE_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help="A server to make a scratch database on.",
    )
    arguments = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        with scratch_database(arguments.postgres) as url:
            rows.append(_measure("PostgreSQL", make_engine(url), Path(work), arguments))
        rows.append(
            _measure("SQLite", make_engine(f"sqlite:///{Path(work) / 'bench.db'}"), Path(work), arguments)
        )
    _report(rows, arguments)


def _measure(name: str, engine: Engine, work: Path, arguments: argparse.Namespace) -> dict[str, object]:
    upgrade(engine)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    built = time.perf_counter()
    askers, people = _build_place(sessions, engine, arguments.people)
    print(f"{name}: built {arguments.people:,} people in {time.perf_counter() - built:.0f} s", flush=True)
    lake = Lake.in_data_dir(work)
    ours = _time_decisions(sessions, lake, askers, people, arguments.decisions, _ours)
    naive = _time_decisions(sessions, lake, askers, people, max(200, arguments.decisions // 4), _naive)
    engine.dispose()
    return {"database": name, "ours": ours, "naive": naive}


# ---------------------------------------------------------------- the place


def _build_place(
    sessions: sessionmaker[Session], engine: Engine, count: int
) -> tuple[list[decisions.Asker], list[str]]:
    rng = np.random.default_rng(7)
    with sessions() as db:
        core.create_place(db, name="Benchford", now=NOW)
        agencies = [
            core.add_agency(
                db, name=f"Agency {index}", kind=AgencyKind.PUBLIC, sector=Sector.HOUSING, now=NOW
            )
            for index in range(AGENCIES)
        ]
        for index in range(AGREEMENTS):
            _agreement_versions(db, index, [agency.name for agency in agencies], rng)
        db.commit()
        askers = [
            decisions.Asker(f"worker{index}", agency.id, agency.name, Role.PRACTITIONER)
            for index, agency in enumerate(agencies)
        ]
    people = [f"P{value:012x}" for value in rng.choice(16**12, size=count, replace=False)]
    _involvements(engine, people, [agency.id for agency in agencies], rng)
    _choices(sessions, people, rng)
    return askers, people


def _agreement_versions(db: Session, index: int, agencies: list[str], rng: np.random.Generator) -> None:
    chosen = sorted(rng.choice(len(agencies), size=int(rng.integers(3, len(agencies) + 1)), replace=False))
    parties = [agencies[int(position)] for position in chosen]
    for version in range(VERSIONS):
        body = AgreementBody.model_validate(
            {
                "parties": [{"agency": party, "lawful_basis": "6(1)(e)"} for party in parties],
                "purposes": list(PURPOSES[: 1 + (index + version) % len(PURPOSES)]),
                "categories": [{"category": code, "fields": fields} for code, fields in CATEGORIES.items()],
                "overrides_objection": index % 3 == 0,
                "retention": f"{6 + version} years",
                "signatories": [
                    {"name": "Director", "role": "SIRO", "agency": party, "signed_on": "2026-01-05"}
                    for party in parties
                ],
            }
        )
        made = agreement_service.draft(
            db,
            reference=f"ISA-{index:02d}",
            title=f"Agreement {index}",
            effective_from=date(2026, 1, 1),
            expires_on=date(2028, 12, 31),
            review_by=date(2027, 6, 30),
            body=body,
            by="bench",
            at=NOW,
        )
        agreement_service.activate(db, agreement_id=made.id, by="bench", at=NOW, reason="Signed")


def _involvements(
    engine: Engine, people: list[str], agencies: list[uuid.UUID], rng: np.random.Generator
) -> None:
    repeats = rng.integers(1, 4, size=len(people))
    persons = np.repeat(np.array(people, dtype=object), repeats)
    agency = rng.integers(0, len(agencies), size=len(persons))
    started = [date(2024, 1, 1) + timedelta(days=int(day)) for day in rng.integers(0, 900, size=len(persons))]
    ended = rng.random(len(persons)) < 0.3
    rows = [
        {
            "person_id": person,
            "household_id": f"H{hash(person) % 400_000:06d}",
            "agency_id": agencies[int(which)],
            "started_on": start,
            "ended_on": start + timedelta(days=200) if gone else None,
            "origin": involvements.FROM_RECORDS,
            "reference": None,
            "link_run": 1,
        }
        for person, which, start, gone in zip(persons, agency, started, ended, strict=True)
    ]
    if engine.dialect.name == "postgresql":
        _copy_rows(engine, rows)
        return
    with engine.begin() as connection:
        for start in range(0, len(rows), 50_000):
            connection.execute(insert(involvements.Involvement), rows[start : start + 50_000])


def _copy_rows(engine: Engine, rows: list[dict[str, object]]) -> None:
    columns = ["person_id", "household_id", "agency_id", "started_on", "ended_on", "origin", "link_run"]
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if row[name] is None else str(row[name]) for name in columns) + "\n")
    buffer.seek(0)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY involvement ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)
        raw.commit()
        cursor.execute("ANALYZE involvement")
        raw.commit()
    finally:
        raw.close()


def _choices(sessions: sessionmaker[Session], people: list[str], rng: np.random.Generator) -> None:
    chosen = rng.choice(len(people), size=len(people) // 50, replace=False)
    with sessions() as db:
        for index in chosen:
            consent.record_choice(
                db,
                person_id=people[int(index)],
                kind="objection",
                status="given",
                scope=consent.Scope(purposes=frozenset({"early_help"})),
                given_by=consent.GivenBy(),
                evidence="Recorded by the benchmark",
                by="bench",
                at=NOW - timedelta(days=1),
            )
        db.commit()


# ---------------------------------------------------------------- timing


Decide = Callable[[Session, Lake, decisions.Asker, Subject, datetime], object]


def _ours(db: Session, lake: Lake, asker: decisions.Asker, subject: Subject, at: datetime) -> object:
    return decisions.disclose(
        db,
        lake,
        asker=asker,
        purpose="early_help",
        subject=subject,
        categories=("identity",),
        case_reference="B-1",
        at=at,
    )


def _naive(db: Session, lake: Lake, asker: decisions.Asker, subject: Subject, at: datetime) -> object:
    """The same decision and log entry, with the agreements found by reading every version of every agreement
    and checking each one's text as if it were new."""
    every = [
        AgreementTerms(
            row.reference,
            row.version,
            row.status,
            row.effective_from,
            row.expires_on,
            AgreementBody.model_validate(row.body),
        )
        for row in db.scalars(select(Agreement))
    ]
    facts = decisions.gather_facts(
        db, lake, asker=asker, purpose="early_help", subject=subject, case_reference="B-1", at=at
    )
    decision = decide(
        Request(
            username=asker.username,
            agency=asker.agency,
            role=asker.role,
            purpose="early_help",
            subject=subject,
            category="identity",
            case_reference="B-1",
            at=at,
        ),
        Facts(facts.purpose, tuple(every), facts.involved, facts.people, facts.choices, facts.first_inquiry),
    )
    return log.append(
        db, decisions.log_entry(asker, "early_help", subject, "B-1", at, {"identity": decision})
    )


def _time_decisions(
    sessions: sessionmaker[Session],
    lake: Lake,
    askers: list[decisions.Asker],
    people: list[str],
    count: int,
    how: Decide,
) -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(11)
    deciding, committed = [], []
    with sessions() as db:
        for index in range(count + 50):
            asker = askers[int(rng.integers(len(askers)))]
            subject = Subject("person", people[int(rng.integers(len(people)))])
            started = time.perf_counter()
            how(db, lake, asker, subject, NOW + timedelta(milliseconds=index))
            decided = time.perf_counter()
            db.commit()
            if index >= 50:  # the first decisions warm the caches and the connection
                deciding.append((decided - started) * 1000)
                committed.append((time.perf_counter() - started) * 1000)
    return deciding, committed


def _report(rows: list[dict[str, object]], arguments: argparse.Namespace) -> None:
    print(
        f"\nAccess decisions, {arguments.people:,} people, {AGREEMENTS} agreements ({VERSIONS} versions each). "
        "'decide' is the decision with its log entry written; 'with commit' adds the transaction's commit."
    )
    print(
        f"{'database':<12}{'measure':<13}{'p50 ms':>9}{'p95 ms':>9}{'naive p50':>11}{'naive p95':>11}"
        f"{'ratio p95':>11}"
    )
    for row in rows:
        ours, naive = row["ours"], row["naive"]
        assert isinstance(ours, tuple) and isinstance(naive, tuple)
        for label, mine, theirs in (("decide", ours[0], naive[0]), ("with commit", ours[1], naive[1])):
            p50, p95 = _percentile(mine, 50), _percentile(mine, 95)
            naive_p50, naive_p95 = _percentile(theirs, 50), _percentile(theirs, 95)
            print(
                f"{row['database']:<12}{label:<13}{p50:>9.2f}{p95:>9.2f}{naive_p50:>11.2f}{naive_p95:>11.2f}"
                f"{naive_p95 / p95:>10.1f}x"
            )
    print(f"Target: p95 at most {TARGET_P95_MS} ms on PostgreSQL. Decisions timed: {arguments.decisions:,}.")


def _percentile(values: list[float], percent: int) -> float:
    return float(np.percentile(values, percent)) if values else float("nan")


if __name__ == "__main__":
    main()
