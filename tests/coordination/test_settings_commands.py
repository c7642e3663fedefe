"""The settings commands as an operator runs them, on SQLite and PostgreSQL: show (as lines and as JSON), set from
JSON on the command line or from a YAML file, and reset, each in a named administrator's name; bad input is a
message saying what to do and exit code 1, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.coordination.test_coordination_commands import _said, database
from tests.support import factories
from tests.support.cli import Ran, run_in_process
from tests.test_cli import _run
from wholeplace.coordination.service import settings
from wholeplace.core.roles import Role

SETTINGS = ["coordination", "settings"]
Run = Callable[[list[str]], Ran]


@pytest.fixture
def place(empty_database_url: str, tmp_path: Path) -> dict[str, Any]:
    """A place with an administrator, ada, and a practitioner, pat; the arguments `_run` needs."""
    with database(empty_database_url) as db:
        factories.user(db, Role.ADMINISTRATOR, username="ada")
        factories.user(db, Role.PRACTITIONER, username="pat")
    return {"data_dir": tmp_path, "database_url": empty_database_url}


@pytest.fixture
def cli(place: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """The commands run in this process, on the place: one test below runs a real process."""
    return lambda args: run_in_process(args, **place, monkeypatch=monkeypatch, capsys=capsys)


def _shown(cli: Run) -> dict[str, Any]:
    ran = cli([*SETTINGS, "show", "--json"])
    assert ran.returncode == 0, ran.stderr
    shown: dict[str, Any] = json.loads(ran.stdout)
    return shown


def test_show_lists_each_setting_as_the_default_until_one_is_set(place: dict[str, Any]) -> None:
    ran = _run([*SETTINGS, "show"], **place)
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.strip().splitlines()
    assert lines[0] == "outcome_framework (Outcome framework): the default, never changed"
    assert '  {"immediate": 4, "urgent": 24, "routine": 120}' in lines
    assert lines[-1] == "5 settings: 0 the place's own, 5 the default."


def test_set_from_json_and_from_a_yaml_file_then_reset_each_in_the_administrator_s_name(
    cli: Run, tmp_path: Path
) -> None:
    ran = cli([*SETTINGS, "set", "response_hours", '{"urgent": 8}', "--as", "ADA"])
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip().splitlines()[-1] == (
        "Set response_hours (Response times for referrals) as the place's own, in ada's name."
    )
    framework = tmp_path / "framework.yaml"
    framework.write_text("- code: home\n  label: A safe home\n- code: learning\n  label: Learning\n")
    assert cli([*SETTINGS, "set", "outcome_framework", str(framework), "--as", "ada"]).returncode == 0
    shown = _shown(cli)
    assert shown["response_hours"]["value"] == {"immediate": 4, "urgent": 8, "routine": 120}
    assert (shown["response_hours"]["default"], shown["response_hours"]["changed_by"]) == (False, "ada")
    assert [area["code"] for area in shown["outcome_framework"]["value"]] == ["home", "learning"]
    reset = cli([*SETTINGS, "reset", "response_hours", "--as", "ada"])
    assert reset.returncode == 0, reset.stderr
    after = _shown(cli)["response_hours"]
    assert (after["value"]["urgent"], after["default"], after["changed_by"]) == (24, True, "ada")
    assert after["changed_at"] is not None


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (
            ["set", "sustainment_months", "0", "--as", "ada"],
            "Months before a sustainment check (sustainment_months): The months before a sustainment check must "
            "be from 1 to 60. Give a number from 1 to 60.",
        ),
        (["set", "sustainment_months", "six", "--as", "ada"], "The value 'six' is neither JSON nor a file."),
        (["set", "colour", '"blue"', "--as", "ada"], "There is no coordination setting called 'colour'."),
        (["reset", "sustainment_months", "--as", "nobody"], "There is no active user called 'nobody'."),
        (["set", "sustainment_months", "12", "--as", "pat"], "(pat) is not an administrator"),
    ],
)
def test_bad_input_is_a_message_saying_what_to_do_and_changes_nothing(
    cli: Run, place: dict[str, Any], arguments: list[str], said: str
) -> None:
    ran = cli([*SETTINGS, *arguments])
    assert ran.returncode == 1
    assert said in _said(ran.stderr)
    assert "Traceback" not in ran.stderr
    with database(place["database_url"]) as db:
        assert all(one.is_default and one.changed_by is None for one in settings.every_setting(db))


def test_a_file_that_holds_no_readable_value_is_refused(cli: Run, tmp_path: Path) -> None:
    broken = tmp_path / "rules.json"
    broken.write_text("{not json")
    ran = cli([*SETTINGS, "set", "sustainment_rules", str(broken), "--as", "ada"])
    assert ran.returncode == 1
    assert f"{broken} does not hold a readable value" in _said(ran.stderr)
    assert "Traceback" not in ran.stderr
