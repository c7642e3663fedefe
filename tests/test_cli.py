"""The commands as a person runs them: real processes, real databases, messages instead of tracebacks."""

import json
import os
import subprocess
import sys
from pathlib import Path

from wholeplace.core import service
from wholeplace.core.db import make_engine, session_factory


def _run(
    args: list[str], *, data_dir: Path, database_url: str, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "WHOLEPLACE_DATA_DIR": str(data_dir),
        "WHOLEPLACE_DATABASE_URL": database_url,
        **extra_env,
    }
    command = [sys.executable, "-c", "from wholeplace.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)


def test_demo_builds_in_the_configured_database_and_later_commands_see_it(
    empty_database_url: str, tmp_path: Path
) -> None:
    built = _run(
        ["demo", "--no-serve", "--residents", "1000"], data_dir=tmp_path, database_url=empty_database_url
    )
    assert built.returncode == 0, built.stderr
    assert "riverford-demo" in built.stdout
    assert (tmp_path / "demo-place" / "truth" / "records.csv").exists()
    assert "Outcomes framework: 5 results and 9 measures, 2 partnerships" in built.stdout
    listed = _run(["users", "list"], data_dir=tmp_path, database_url=empty_database_url)
    assert "governance" in listed.stdout
    again = _run(
        ["demo", "--no-serve", "--residents", "1000"], data_dir=tmp_path, database_url=empty_database_url
    )
    assert again.returncode == 0, again.stderr
    assert "Outcomes framework: 5 results and 9 measures, 2 partnerships" in again.stdout
    assert "Investment cases: 2." in again.stdout


def test_demo_refuses_another_place_unless_forced(empty_database_url: str, tmp_path: Path) -> None:
    assert (
        _run(["place", "create", "Lowmoor"], data_dir=tmp_path, database_url=empty_database_url).returncode
        == 0
    )
    refused = _run(
        ["demo", "--no-serve", "--residents", "1000"], data_dir=tmp_path, database_url=empty_database_url
    )
    assert refused.returncode == 1
    assert "holds the place 'Lowmoor'" in refused.stderr
    assert "Traceback" not in refused.stderr
    forced = _run(
        ["demo", "--no-serve", "--force", "--residents", "1000"],
        data_dir=tmp_path,
        database_url=empty_database_url,
    )
    assert forced.returncode == 0, forced.stderr
    engine = make_engine(empty_database_url)
    with session_factory(engine)() as db:
        place = service.get_place(db)
        assert place is not None and place.name == "Riverford"
    engine.dispose()


def test_users_create_reads_the_password_from_the_environment(
    empty_database_url: str, tmp_path: Path
) -> None:
    common = {"data_dir": tmp_path, "database_url": empty_database_url}
    _run(["place", "create", "Lowmoor"], **common)
    _run(["place", "add-agency", "Lowmoor Homes", "--kind", "public", "--sector", "housing"], **common)
    created = _run(
        [
            "users",
            "create",
            "ana",
            "--name",
            "Ana Silva",
            "--agency",
            "Lowmoor Homes",
            "--role",
            "practitioner",
            "--role",
            "lead_professional",
            "--password-env",
            "NEW_PASSWORD",
        ],
        **common,
        NEW_PASSWORD="a long enough password",
    )
    assert created.returncode == 0, created.stderr
    assert "lead_professional, practitioner" in created.stdout


def test_an_unknown_agency_is_a_message_not_a_traceback(empty_database_url: str, tmp_path: Path) -> None:
    common = {"data_dir": tmp_path, "database_url": empty_database_url}
    _run(["place", "create", "Lowmoor"], **common)
    failed = _run(
        [
            "users",
            "create",
            "ana",
            "--name",
            "Ana",
            "--agency",
            "Nowhere",
            "--role",
            "practitioner",
            "--password-env",
            "NEW_PASSWORD",
        ],
        **common,
        NEW_PASSWORD="a long enough password",
    )
    assert failed.returncode == 1
    assert "no agency called 'Nowhere'" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_config_show_masks_secrets(tmp_path: Path) -> None:
    shown = _run(
        ["config", "show", "--json"],
        data_dir=tmp_path,
        database_url="postgresql+psycopg://app:hunter2@localhost/wp",
        WHOLEPLACE_SECRET_KEY="very-secret",
    )
    settings = json.loads(shown.stdout)
    assert "hunter2" not in shown.stdout and "very-secret" not in shown.stdout
    assert settings["database_url"] == "postgresql+psycopg://app:***@localhost/wp"


def test_an_unreachable_database_says_what_to_check(tmp_path: Path) -> None:
    failed = _run(
        ["db", "upgrade"], data_dir=tmp_path, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    assert failed.returncode == 1
    assert "WHOLEPLACE_DATABASE_URL" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_a_wrong_option_value_is_a_usage_message(tmp_path: Path) -> None:
    failed = _run(
        ["users", "create", "x", "--name", "X", "--agency", "Y", "--role", "wizard"],
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
    )
    assert failed.returncode == 2
    assert "'wizard' is not one of" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_generate_writes_a_place_and_says_what_it_made(tmp_path: Path) -> None:
    made = _run(
        ["generate", "--residents", "1000", "--seed", "3", "--out", str(tmp_path / "place")],
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
    )
    assert made.returncode == 0, made.stderr
    assert "Generated 1,00" in made.stdout
    assert (tmp_path / "place" / "truth" / "records.csv").exists()


def test_generate_refuses_a_size_outside_its_range(tmp_path: Path) -> None:
    refused = _run(
        ["generate", "--residents", "10", "--out", str(tmp_path / "place")],
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
    )
    assert refused.returncode == 2
    assert "Traceback" not in refused.stderr
    assert not (tmp_path / "place").exists()
