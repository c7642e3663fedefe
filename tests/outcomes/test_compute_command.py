"""`wholeplace outcomes define` and `compute` as an operator runs them, on SQLite and PostgreSQL: a definition
printed with every parameter, a change needing a reason, a line per measure computed with a summary (or JSON),
and mistakes told as a message and exit code 1, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.coordination.test_coordination_commands import database
from tests.outcomes import factories as make
from tests.outcomes.test_computing import generated  # noqa: F401 - a fixture, found by pytest through this import
from tests.support import factories
from tests.support.cli import Ran, run_in_process
from tests.support.factories import MOMENT
from tests.test_cli import _run
from wholeplace.core import geography
from wholeplace.core.roles import Role
from wholeplace.demo.generate.place import NEIGHBOURHOODS_FILE
from wholeplace.demo.service import demo_files, load_demo_file
from wholeplace.identity import service as identity
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake

Run = Callable[[list[str]], Ran]
DEFINE = ["outcomes", "define"]
ATTENDANCES = ["--key", "events_per_thousand", "--description", "Emergency attendances per 1,000 residents."]


@pytest.fixture
def place(empty_database_url: str, tmp_path: Path) -> dict[str, Any]:
    """An analyst, ana, a practitioner, pat, and an indicator; the arguments the commands need."""
    with database(empty_database_url) as db:
        factories.user(db, Role.ANALYST, username="ana")
        factories.user(db, Role.PRACTITIONER, username="pat")
        measure = make.indicator(db)
        measure_id = str(measure.id)
    return {"data_dir": tmp_path, "database_url": empty_database_url, "measure_id": measure_id}


@pytest.fixture
def cli(place: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    where = {"data_dir": place["data_dir"], "database_url": place["database_url"]}
    return lambda args: run_in_process(args, **where, monkeypatch=monkeypatch, capsys=capsys)


def test_define_prints_every_parameter_and_a_change_needs_a_reason(cli: Run, place: dict[str, Any]) -> None:
    measure = place["measure_id"]
    first = cli([*DEFINE, measure, *ATTENDANCES, "--param", "period=quarter", "--as", "ana"])
    assert first.returncode == 0, first.stderr
    assert "  per = 1,000" in first.stdout.splitlines()
    assert "  period = quarter" in first.stdout.splitlines()
    assert first.stdout.splitlines()[-1] == "Defined by events_per_thousand, version 1, in ana's name."

    unexplained = cli([*DEFINE, measure, *ATTENDANCES, "--param", "per=100", "--as", "ana"])
    assert unexplained.returncode == 1
    assert "Say why the definition changes." in " ".join(unexplained.stderr.split())

    explained = cli(
        [*DEFINE, measure, *ATTENDANCES, "--param", "per=100", "--reason", "Per 100.", "--as", "ana"]
    )
    assert explained.returncode == 0, explained.stderr
    assert "version 2" in explained.stdout


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (
            ["--key", "attendances", "--description", "A&E.", "--as", "ana"],
            "the keys are share_of_people_with_event",
        ),
        ([*ATTENDANCES, "--param", "per=lots", "--as", "ana"], "Per: give a whole number"),
        ([*ATTENDANCES, "--param", "per", "--as", "ana"], "is not written as name = value"),
        ([*ATTENDANCES, "--as", "pat"], "may not define measures"),
        ([*ATTENDANCES, "--as", "nobody"], "no active user called 'nobody'"),
    ],
)
def test_a_definition_refused_says_why_without_a_traceback(
    cli: Run, place: dict[str, Any], arguments: list[str], said: str
) -> None:
    ran = cli([*DEFINE, place["measure_id"], *arguments])
    assert ran.returncode == 1
    assert said in " ".join(ran.stderr.split())  # the message as read, however the terminal wraps it
    assert "Traceback" not in ran.stderr + ran.stdout


def test_computing_before_the_records_are_linked_says_to_link_them(place: dict[str, Any]) -> None:
    where = {"data_dir": place["data_dir"], "database_url": place["database_url"]}
    assert _run([*DEFINE, place["measure_id"], *ATTENDANCES, "--as", "ana"], **where).returncode == 0

    ran = _run(["outcomes", "compute"], **where)

    assert ran.returncode == 1
    assert "have not been linked yet" in " ".join(ran.stderr.split())
    assert "wholeplace link" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_compute_prints_a_line_per_measure_and_a_summary_or_json(
    cli: Run,
    place: dict[str, Any],
    generated: Path,  # noqa: F811 - the fixture imported above
) -> None:
    with database(place["database_url"]) as db:
        lake = Lake.in_data_dir(place["data_dir"])
        for demo_file in demo_files(generated):
            load_demo_file(db, demo_file, lake=lake, now=MOMENT)
        geography.replace_neighbourhoods(
            db, geography.read_neighbourhoods(generated / NEIGHBOURHOODS_FILE), now=MOMENT
        )
        identity.link_place(db, lake, sources.lake_batches(db), secret="s", actor=identity.Actor("t", MOMENT))
    assert cli([*DEFINE, place["measure_id"], *ATTENDANCES, "--as", "ana"]).returncode == 0

    ran = cli(["outcomes", "compute"])

    assert ran.returncode == 0, ran.stderr
    line, summary = ran.stdout.strip().splitlines()[-2:]
    assert line.startswith("Pupils persistently absent (events_per_thousand v1): ")
    assert "added, 0 replaced, 0 unchanged)" in line
    assert summary.startswith("Computed 1 of 1 measure: ")
    again = cli(["outcomes", "compute", "--measure", place["measure_id"], "--json"])
    assert again.returncode == 0, again.stderr
    (shown,) = json.loads(again.stdout)
    assert (shown["computed"], shown["version"], shown["added"], shown["replaced"]) == (True, 1, 0, 0)
    assert shown["unchanged"] == shown["values"] > 0
