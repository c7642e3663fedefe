"""The access log in the database, on SQLite and PostgreSQL: appends make one valid chain even from writers at
once, the database refuses to change or remove entries and checkpoints, checkpoints are signed and checked, and
their export lets a partner witness the log."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.governance.test_chain import ENTRY
from wholeplace.core.db import make_engine, session_factory, upgrade
from wholeplace.core.errors import InvalidInputError
from wholeplace.core.settings import Settings
from wholeplace.governance import signing
from wholeplace.governance.chain import GENESIS, STORED_COLUMNS, entry_hash, log_time
from wholeplace.governance.models import AccessLogEntry, LogCheckpoint
from wholeplace.governance.service import log

KEY = Ed25519PrivateKey.generate()
KEYS = {signing.key_id(KEY.public_key()): KEY.public_key()}
SIGNED_AT = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def appended(db: Session, count: int) -> list[AccessLogEntry]:
    return [log.append(db, replace(ENTRY, case_reference=f"EH-{number}")) for number in range(count)]


def forged_checkpoint(
    db: Session, *, position: int, head_hash: str, key: Ed25519PrivateKey = KEY, key_id: str | None = None
) -> None:
    """A checkpoint written straight into the table, signed with whatever key its maker holds."""
    signed_at = log_time(SIGNED_AT)
    db.add(
        LogCheckpoint(
            position=position,
            head_hash=head_hash,
            signed_at=signed_at,
            key_id=key_id or signing.key_id(key.public_key()),
            signature=signing.sign(key, signing.checkpoint_message(position, head_hash, signed_at)),
        )
    )
    db.flush()


def test_appended_entries_form_one_valid_chain_from_genesis(db: Session) -> None:
    rows = appended(db, 3)
    assert [row.position for row in rows] == [1, 2, 3]
    assert [row.previous_hash for row in rows] == [GENESIS, rows[0].entry_hash, rows[1].entry_hash]
    assert rows[2].entry_hash == entry_hash(3, rows[1].entry_hash, replace(ENTRY, case_reference="EH-2"))
    assert rows[0].categories == '["identity","contact"]'
    found = log.verify(db, public_keys=KEYS)
    assert (found.valid, found.entries, found.first_invalid_position, found.problem) == (True, 3, None, None)


def test_an_empty_log_verifies(db: Session) -> None:
    assert log.verify(db, public_keys={}) == log.Verification(True, 0, 0, None, None)


def test_writers_at_the_same_moment_never_fork_the_chain(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    failures: list[Exception] = []

    def write() -> None:
        for _ in range(15):
            try:
                with sessions() as db, db.begin():
                    log.append(db, ENTRY)
            except Exception as error:
                failures.append(error)

    writers = [threading.Thread(target=write) for _ in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    with sessions() as db:
        found = log.verify(db, public_keys={})
    engine.dispose()
    assert failures == []
    assert found.valid and found.entries == 60


@pytest.mark.parametrize(
    ("table", "statement"),
    [
        ("access_log", "UPDATE access_log SET reason = 'nothing to see'"),
        ("access_log", "DELETE FROM access_log WHERE position = 2"),
        ("log_checkpoint", "UPDATE log_checkpoint SET head_hash = 'x'"),
        ("log_checkpoint", "DELETE FROM log_checkpoint"),
    ],
)
def test_the_database_refuses_to_change_or_remove_entries_and_checkpoints(
    db: Session, table: str, statement: str
) -> None:
    rows = appended(db, 2)
    log.checkpoint(db, key=KEY, at=SIGNED_AT)
    with pytest.raises(DBAPIError, match=f"{table} is append-only"), db.begin_nested():
        db.execute(text(statement))
    assert db.scalars(select(AccessLogEntry.reason)).all() == [ENTRY.reason] * 2
    assert db.scalars(select(LogCheckpoint.head_hash)).all() == [rows[1].entry_hash]


def test_sqlite_refuses_to_replace_an_entry_in_place(db: Session) -> None:
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("INSERT OR REPLACE is SQLite's")
    appended(db, 2)
    columns = ", ".join(STORED_COLUMNS)
    copied = columns.replace("position", "1", 1)  # entry 2's content, put in entry 1's place
    replacing = f"INSERT OR REPLACE INTO access_log ({columns}) SELECT {copied} FROM access_log"  # noqa: S608
    with pytest.raises(DBAPIError, match="access_log is append-only"), db.begin_nested():
        db.execute(text(replacing + " WHERE position = 2"))
    assert [row.position for row in db.scalars(select(AccessLogEntry))] == [1, 2]
    assert log.verify(db, public_keys=KEYS).valid


@pytest.mark.parametrize("table", ["access_log", "log_checkpoint"])
def test_postgresql_refuses_to_truncate_the_log(db: Session, table: str) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its DELETE is refused")
    appended(db, 1)
    with pytest.raises(DBAPIError, match=f"{table} is append-only"), db.begin_nested():
        db.execute(text(f"TRUNCATE {table} CASCADE"))


def test_a_checkpoint_signs_the_head_and_verifies(db: Session) -> None:
    rows = appended(db, 3)
    signed = log.checkpoint(db, key=KEY, at=SIGNED_AT)
    assert signed is not None
    assert (signed.position, signed.head_hash, signed.signed_at) == (
        3,
        rows[2].entry_hash,
        "2026-11-30T15:00:00.000000Z",
    )
    message = signing.checkpoint_message(3, rows[2].entry_hash, signed.signed_at)
    assert signing.signature_is_valid(KEY.public_key(), message, signed.signature)
    found = log.verify(db, public_keys=KEYS)
    assert found.valid and found.checkpoints_checked == 1


def test_no_checkpoint_is_made_of_an_empty_log_or_a_head_already_signed(db: Session) -> None:
    assert log.checkpoint(db, key=KEY, at=SIGNED_AT) is None
    appended(db, 1)
    assert log.checkpoint(db, key=KEY, at=SIGNED_AT) is not None
    assert log.checkpoint(db, key=KEY, at=SIGNED_AT) is None


def test_a_checkpoint_falls_due_every_so_many_entries(db: Session) -> None:
    signed = []
    for _ in range(7):
        appended(db, 1)
        made = log.checkpoint_if_due(db, key=KEY, at=SIGNED_AT, every=3)
        signed.append(None if made is None else made.position)
    assert signed == [None, None, 3, None, None, 6, None]


def test_exported_checkpoints_round_trip_and_witness_the_log(db: Session) -> None:
    appended(db, 2)
    log.checkpoint(db, key=KEY, at=SIGNED_AT)
    appended(db, 2)
    log.checkpoint(db, key=KEY, at=SIGNED_AT)
    exported = json.loads(json.dumps(log.export_checkpoints(db, public_key=KEY.public_key())))
    assert (exported["format"], exported["version"]) == ("wholeplace access-log checkpoints", 1)
    assert exported["key_id"] == signing.key_id(signing.load_public_key_pem(exported["public_key"]))
    assert [item["position"] for item in exported["checkpoints"]] == [2, 4]
    assert set(exported["checkpoints"][0]) == {"position", "head_hash", "signed_at", "key_id", "signature"}
    found = log.verify(db, public_keys=KEYS, witnessed=exported)
    assert found.valid and found.checkpoints_checked == 4


def test_a_checkpoint_signed_with_another_key_is_found_at_its_position(db: Session) -> None:
    rows = appended(db, 4)
    forged_checkpoint(db, position=3, head_hash=rows[2].entry_hash, key=Ed25519PrivateKey.generate())
    found = log.verify(db, public_keys=KEYS)
    assert not found.valid and found.first_invalid_position == 3
    assert "does not hold" in (found.problem or "")


def test_a_checkpoint_claiming_the_place_key_but_signed_with_another_is_found(db: Session) -> None:
    rows = appended(db, 4)
    forged_checkpoint(
        db,
        position=2,
        head_hash=rows[1].entry_hash,
        key=Ed25519PrivateKey.generate(),
        key_id=signing.key_id(KEY.public_key()),
    )
    found = log.verify(db, public_keys=KEYS)
    assert found.first_invalid_position == 2 and "valid signature" in (found.problem or "")


@pytest.mark.parametrize("column", ["signature", "head_hash", "signed_at", "position"])
def test_a_checkpoint_altered_after_signing_is_found(db: Session, column: str) -> None:
    rows = appended(db, 4)
    signed = log.checkpoint(db, key=KEY, at=SIGNED_AT)
    assert signed is not None
    altered = {
        "signature": ("00" if signed.signature[:2] != "00" else "11") + signed.signature[2:],
        "head_hash": rows[1].entry_hash,
        "signed_at": "2026-12-01T00:00:00.000000Z",
        "position": 2,
    }
    copy = {name: getattr(signed, name) for name in log.CHECKPOINT_FIELDS}
    db.add(LogCheckpoint(**{**copy, column: altered[column]}))
    db.flush()
    found = log.verify(db, public_keys=KEYS)
    assert not found.valid and found.checkpoints_checked == 2
    assert found.first_invalid_position == (2 if column == "position" else 4)
    assert "valid signature" in (found.problem or "")


def test_a_signed_head_the_log_no_longer_gives_is_found_after_the_last_good_checkpoint(db: Session) -> None:
    rows = appended(db, 6)
    log.checkpoint_if_due(db, key=KEY, at=SIGNED_AT, every=1)
    forged_checkpoint(db, position=2, head_hash=rows[1].entry_hash)
    forged_checkpoint(db, position=5, head_hash=rows[3].entry_hash)  # as if entries 3 to 5 were rewritten
    found = log.verify(db, public_keys=KEYS)
    assert found.first_invalid_position == 3
    assert "entries 3 to 5 were rewritten" in (found.problem or "")


def test_a_checkpoint_beyond_the_end_is_found_at_the_first_missing_entry(db: Session) -> None:
    appended(db, 3)
    forged_checkpoint(db, position=5, head_hash="ab" * 32)
    found = log.verify(db, public_keys=KEYS)
    assert found.first_invalid_position == 4
    assert "entries 4 to 5 were removed from its end" in (found.problem or "")


def test_a_partners_witnessed_checkpoint_beyond_the_end_is_found(db: Session) -> None:
    appended(db, 3)
    witnessed = log.export_checkpoints(db, public_key=KEY.public_key())
    signed_at = log_time(SIGNED_AT)
    witnessed["checkpoints"].append(
        {
            "position": 6,
            "head_hash": "cd" * 32,
            "signed_at": signed_at,
            "key_id": witnessed["key_id"],
            "signature": signing.sign(KEY, signing.checkpoint_message(6, "cd" * 32, signed_at)),
        }
    )
    assert log.verify(db, public_keys=KEYS).valid
    found = log.verify(db, public_keys=KEYS, witnessed=witnessed)
    assert found.first_invalid_position == 4 and "witnessed checkpoint" in (found.problem or "")


def test_witnessed_checkpoints_are_checked_with_the_key_the_partner_kept(db: Session) -> None:
    rows = appended(db, 3)
    earlier = Ed25519PrivateKey.generate()  # the place's key when the partner exported, since replaced
    signed_at = log_time(SIGNED_AT)
    witnessed = {
        "format": log.EXPORT_FORMAT,
        "version": log.EXPORT_VERSION,
        "public_key": signing.public_key_pem(earlier.public_key()),
        "key_id": signing.key_id(earlier.public_key()),
        "checkpoints": [
            {
                "position": 3,
                "head_hash": rows[2].entry_hash,
                "signed_at": signed_at,
                "key_id": signing.key_id(earlier.public_key()),
                "signature": signing.sign(
                    earlier, signing.checkpoint_message(3, rows[2].entry_hash, signed_at)
                ),
            }
        ],
    }
    assert log.verify(db, public_keys=KEYS, witnessed=witnessed).valid
    claiming_the_place_key = {
        **witnessed,
        "public_key": signing.public_key_pem(KEY.public_key()),
        "key_id": signing.key_id(KEY.public_key()),
    }
    found = log.verify(db, public_keys=KEYS, witnessed=claiming_the_place_key)
    assert found.first_invalid_position == 3 and "witnessed checkpoint" in (found.problem or "")


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"format": "something else"}, "not a wholeplace access-log checkpoints file"),
        ({"public_key": "not a key"}, "cannot be read"),
        ({"key_id": "0" * 64}, "not the id of its public key"),
        ({"checkpoints": [{"position": 1}]}, "it has no .head_hash."),
    ],
)
def test_a_witnessed_file_that_is_not_an_export_is_refused_saying_why(
    db: Session, change: dict[str, object], says: str
) -> None:
    witnessed = {**log.export_checkpoints(db, public_key=KEY.public_key()), **change}
    with pytest.raises(InvalidInputError, match=says):
        log.verify(db, public_keys=KEYS, witnessed=witnessed)


def test_the_place_key_is_made_once_readable_by_its_owner_only(settings: Settings) -> None:
    key = signing.place_key(settings.data_dir)
    path = settings.data_dir / signing.KEY_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text(encoding="ascii").startswith("-----BEGIN PRIVATE KEY-----")
    again = signing.place_key(settings.data_dir)
    assert signing.key_id(again.public_key()) == signing.key_id(key.public_key())
    assert list(signing.place_public_keys(settings.data_dir)) == [signing.key_id(key.public_key())]
    assert [found.name for found in path.parent.iterdir()] == ["audit_ed25519.pem"]


def test_a_place_without_a_key_has_no_public_keys_and_makes_none(settings: Settings) -> None:
    assert signing.place_public_keys(settings.data_dir) == {}
    assert not (settings.data_dir / signing.KEY_FILE).exists()


def test_the_checkpoint_message_is_the_documented_text() -> None:
    assert signing.checkpoint_message(1000, "ab" * 32, "2026-11-30T14:50:00.123456Z") == (
        b"wholeplace access-log checkpoint v1\n"
        b"position: 1000\n"
        b"head: " + b"ab" * 32 + b"\n"
        b"signed-at: 2026-11-30T14:50:00.123456Z\n"
    )


def test_a_signature_that_is_not_hex_is_simply_invalid() -> None:
    assert not signing.signature_is_valid(KEY.public_key(), b"message", "not hex")
