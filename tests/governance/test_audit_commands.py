"""The audit commands as a person runs them, on SQLite and PostgreSQL, against a log that someone with the
database in hand has changed behind the application's back: the append-only guards taken off, rows edited,
deleted, inserted, swapped, cut from the end, rewritten, and checkpoints forged. Each is found, at the right
position, and the command exits non-zero.

Every test starts from ten entries with signed checkpoints at positions 4 and 10."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.governance.test_chain import ENTRY as SHARED_ENTRY
from tests.test_cli import _run
from wholeplace.core.db import make_engine, session_factory, upgrade
from wholeplace.governance import signing
from wholeplace.governance.chain import STORED_COLUMNS, log_time, stored_row
from wholeplace.governance.service import log

ENTRY = replace(SHARED_ENTRY, case_reference="EH-0")
FORGED = replace(ENTRY, username="intruder", subject_id="P99999999999999999999")
SIGNED_AT = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
Run = Callable[..., list[Any]]


@pytest.fixture
def place(empty_database_url: str, tmp_path: Path) -> dict[str, Any]:
    """Ten entries, checkpoints signed at 4 and 10 with the place's key; the arguments `_run` needs."""
    engine = make_engine(empty_database_url)
    upgrade(engine)
    key = signing.place_key(tmp_path)
    with session_factory(engine)() as db, db.begin():
        for number in range(10):
            log.append(db, replace(ENTRY, case_reference=f"EH-{number}"))
            if number in (3, 9):
                log.checkpoint(db, key=key, at=SIGNED_AT)
    engine.dispose()
    return {"data_dir": tmp_path, "database_url": empty_database_url}


@contextmanager
def intruder(database_url: str) -> Iterator[Run]:
    """The database as someone holding its file (SQLite) or the server's superuser (PostgreSQL) has it: the
    triggers that keep the log append-only taken off, then any statement at all."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(str(url.database))
        for table in ("access_log", "log_checkpoint"):
            for action in ("update", "delete"):
                connection.execute(f"DROP TRIGGER {table}_no_{action}")
        try:
            yield lambda sql, **values: connection.execute(sql, values).fetchall()
            connection.commit()
        finally:
            connection.close()
        return
    engine = create_engine(database_url)
    with engine.begin() as server:
        server.execute(text("SET LOCAL session_replication_role = replica"))

        def run(sql: str, **values: Any) -> list[Any]:
            result = server.execute(text(sql), values)
            return list(result.all()) if result.returns_rows else []

        yield run
    engine.dispose()


def row_at(run: Run, position: int) -> dict[str, Any]:
    (found,) = run(f"SELECT {', '.join(STORED_COLUMNS)} FROM access_log WHERE position = :p", p=position)  # noqa: S608
    return dict(zip(STORED_COLUMNS, found, strict=True))


def insert(run: Run, row: tuple[Any, ...]) -> None:
    names = ", ".join(STORED_COLUMNS)
    run(
        f"INSERT INTO access_log ({names}) VALUES ({', '.join(':' + name for name in STORED_COLUMNS)})",  # noqa: S608
        **dict(zip(STORED_COLUMNS, row, strict=True)),
    )


def verified(place: dict[str, Any], *extra: str) -> tuple[int, dict[str, Any]]:
    done = _run(["audit", "verify", "--json", *extra], **place)
    assert "Traceback" not in done.stderr
    return done.returncode, json.loads(done.stdout)


def test_an_untouched_log_verifies_in_one_line_and_exits_zero(place: dict[str, Any]) -> None:
    done = _run(["audit", "verify"], **place)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "The access log is intact: 10 entries, 2 signed checkpoints checked."
    assert verified(place) == (
        0,
        {
            "valid": True,
            "entries": 10,
            "checkpoints_checked": 2,
            "first_invalid_position": None,
            "problem": None,
        },
    )


def test_an_edited_entry_is_named_and_the_command_says_what_to_do(place: dict[str, Any]) -> None:
    with intruder(place["database_url"]) as run:
        run("UPDATE access_log SET reason = 'Nothing to see.' WHERE position = 4")
    done = _run(["audit", "verify"], **place)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "not valid from position 4" in done.stderr and "Entry 4 was changed" in done.stderr
    assert "restore the log from a backup" in done.stderr
    code, found = verified(place)
    assert (code, found["valid"], found["first_invalid_position"], found["entries"]) == (1, False, 4, 10)


def test_a_deleted_entry_is_found_at_its_position(place: dict[str, Any]) -> None:
    with intruder(place["database_url"]) as run:
        run("DELETE FROM access_log WHERE position = 6")
    code, found = verified(place)
    assert (code, found["first_invalid_position"]) == (1, 6)
    assert "entries were deleted there" in found["problem"]


def test_a_forged_entry_with_an_honest_hash_and_the_rest_renumbered_is_found_at_the_entry_after_it(
    place: dict[str, Any],
) -> None:
    with intruder(place["database_url"]) as run:
        for position in range(10, 6, -1):
            run("UPDATE access_log SET position = position + 1 WHERE position = :p", p=position)
        insert(run, stored_row(7, row_at(run, 6)["entry_hash"], FORGED))
    code, found = verified(place)
    assert (code, found["first_invalid_position"], found["entries"]) == (1, 8, 11)
    assert "Entry 8 does not follow entry 7" in found["problem"]


def test_a_forged_entry_with_a_made_up_position_is_found_where_it_sorts(place: dict[str, Any]) -> None:
    with intruder(place["database_url"]) as run:
        insert(run, stored_row(0, "0" * 64, FORGED))
    code, found = verified(place)
    assert (code, found["first_invalid_position"]) == (1, 1)
    assert "made-up position" in found["problem"]


def test_two_swapped_entries_are_found_at_the_first(place: dict[str, Any]) -> None:
    with intruder(place["database_url"]) as run:
        second, seventh = row_at(run, 2), row_at(run, 7)
        run("DELETE FROM access_log WHERE position IN (2, 7)")
        insert(run, (2, *list(seventh.values())[1:]))
        insert(run, (7, *list(second.values())[1:]))
    code, found = verified(place)
    assert (code, found["first_invalid_position"]) == (1, 2)


def test_a_log_rewritten_with_fresh_hashes_is_caught_by_the_checkpoint_after_the_rewrite(
    place: dict[str, Any],
) -> None:
    with intruder(place["database_url"]) as run:
        before = row_at(run, 5)["entry_hash"]
        run("DELETE FROM access_log WHERE position > 5")
        for position in range(6, 11):
            insert(run, stored_row(position, before, FORGED))
            before = row_at(run, position)["entry_hash"]
    code, found = verified(place)
    assert (code, found["first_invalid_position"]) == (1, 5)
    assert "stored checkpoint at position 10" in found["problem"]
    assert "entries 5 to 10 were rewritten" in found["problem"]


def test_cutting_the_tail_and_its_checkpoint_is_caught_only_with_a_partners_witnessed_copy(
    place: dict[str, Any], tmp_path: Path
) -> None:
    witnessed = tmp_path / "witnessed.json"
    exported = _run(["audit", "export-checkpoints", "--out", str(witnessed)], **place)
    assert exported.returncode == 0 and "Wrote 2 checkpoints" in exported.stdout
    with intruder(place["database_url"]) as run:
        run("DELETE FROM access_log WHERE position >= 8")
        run("DELETE FROM log_checkpoint WHERE position >= 8")
    assert verified(place) == (
        0,
        {
            "valid": True,
            "entries": 7,
            "checkpoints_checked": 1,
            "first_invalid_position": None,
            "problem": None,
        },
    )
    code, found = verified(place, "--witnessed", str(witnessed))
    assert (code, found["first_invalid_position"], found["checkpoints_checked"]) == (1, 8, 3)
    assert "entries 8 to 10 were removed from its end" in found["problem"]


def test_a_rewrite_re_signed_with_the_place_key_is_caught_by_a_partners_witnessed_copy(
    place: dict[str, Any], tmp_path: Path
) -> None:
    witnessed = tmp_path / "witnessed.json"
    assert _run(["audit", "export-checkpoints", "--out", str(witnessed)], **place).returncode == 0
    with intruder(place["database_url"]) as run:
        before = row_at(run, 5)["entry_hash"]
        run("DELETE FROM access_log WHERE position > 5")
        run("DELETE FROM log_checkpoint WHERE position = 10")
        for position in range(6, 11):
            insert(run, stored_row(position, before, FORGED))
            before = row_at(run, position)["entry_hash"]
    assert _run(["audit", "checkpoint"], **place).returncode == 0
    assert verified(place)[0] == 0  # the intruder held the key, so the stored checkpoints agree
    code, found = verified(place, "--witnessed", str(witnessed))
    assert (code, found["first_invalid_position"]) == (1, 5)
    assert "witnessed checkpoint at position 10" in found["problem"]


def test_a_checkpoint_moved_back_to_hide_a_cut_tail_is_found_as_forged(place: dict[str, Any]) -> None:
    with intruder(place["database_url"]) as run:
        ninth = row_at(run, 9)["entry_hash"]
        run("DELETE FROM access_log WHERE position = 10")
        run("UPDATE log_checkpoint SET position = 9, head_hash = :h WHERE position = 10", h=ninth)
    code, found = verified(place)
    assert (code, found["first_invalid_position"]) == (1, 9)
    assert "stored checkpoint at position 9 does not carry a valid signature" in found["problem"]


def test_a_checkpoint_signed_with_the_intruders_own_key_is_found(place: dict[str, Any]) -> None:
    own = Ed25519PrivateKey.generate()
    with intruder(place["database_url"]) as run:
        head, signed_at = row_at(run, 7)["entry_hash"], log_time(SIGNED_AT)
        run(
            "INSERT INTO log_checkpoint (position, head_hash, signed_at, key_id, signature) "
            "VALUES (7, :h, :at, :k, :s)",
            h=head,
            at=signed_at,
            k=signing.key_id(own.public_key()),
            s=signing.sign(own, signing.checkpoint_message(7, head, signed_at)),
        )
    code, found = verified(place)
    assert (code, found["first_invalid_position"]) == (1, 7)
    assert "signing key the place does not hold" in found["problem"]


def test_a_value_that_is_not_text_is_reported_not_a_traceback(place: dict[str, Any]) -> None:
    if not place["database_url"].startswith("sqlite"):
        pytest.skip("PostgreSQL refuses invalid text itself")
    with intruder(place["database_url"]) as run:
        run("UPDATE access_log SET reason = CAST(X'FF' AS TEXT) WHERE position = 3")
    done = _run(["audit", "verify"], **place)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "could not be read to its end" in done.stderr


def test_a_checkpoint_holding_values_of_another_kind_is_found_as_forged(place: dict[str, Any]) -> None:
    if not place["database_url"].startswith("sqlite"):
        pytest.skip("PostgreSQL keeps each column's type")
    with intruder(place["database_url"]) as run:
        run("UPDATE log_checkpoint SET position = 'ten', signature = 42 WHERE position = 10")
    code, found = verified(place)
    assert (code, found["first_invalid_position"]) == (1, 1)
    assert "does not carry a valid signature" in found["problem"]


def test_checkpoint_signs_the_new_head_once(place: dict[str, Any]) -> None:
    engine = make_engine(place["database_url"])
    with session_factory(engine)() as db, db.begin():
        log.append(db, FORGED)
    engine.dispose()
    signed = _run(["audit", "checkpoint"], **place)
    assert signed.returncode == 0 and "Signed the head at position 11" in signed.stdout
    again = _run(["audit", "checkpoint"], **place)
    assert again.returncode == 0 and "already signed" in again.stdout
    assert verified(place)[1]["checkpoints_checked"] == 3


def test_a_witnessed_file_that_is_not_json_is_refused_saying_so(
    place: dict[str, Any], tmp_path: Path
) -> None:
    witnessed = tmp_path / "witnessed.json"
    witnessed.write_text("not json", encoding="utf-8")
    done = _run(["audit", "verify", "--witnessed", str(witnessed)], **place)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "Cannot read the witnessed checkpoints" in done.stderr
