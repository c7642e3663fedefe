"""The access log: the only writer of its entries and checkpoints. Appends each decision to the hash chain,
signs checkpoints of the chain's head, exports them for partners to witness, and verifies the whole log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from wholeplace.core.errors import InvalidInputError, WholeplaceError
from wholeplace.governance import signing
from wholeplace.governance.chain import (
    GENESIS,
    STORED_COLUMNS,
    ChainVerdict,
    LogEntry,
    log_time,
    stored_row,
    verify_chain,
)
from wholeplace.governance.models import AccessLogEntry, LogCheckpoint

EXPORT_FORMAT = "wholeplace access-log checkpoints"
EXPORT_VERSION = 1
HEAD_LOCK = 0x77686F6C65_6C6F67  # "wholelog": the PostgreSQL advisory lock every writer of the head takes
STREAM_BATCH = 20_000
CHECKPOINT_FIELDS = ("position", "head_hash", "signed_at", "key_id", "signature")


def append(db: Session, entry: LogEntry) -> AccessLogEntry:
    """Add an entry after the log's head. Writers wait for each other, so two can never take one position."""
    _lock_head(db)
    position, head_hash = _head(db)
    values = dict(zip(STORED_COLUMNS, stored_row(position + 1, head_hash, entry), strict=True))
    db.connection().execute(_INSERT, values)  # a plain insert: the unit of work would cost more than the row
    return AccessLogEntry(**values)


_INSERT = insert(AccessLogEntry)
_HEAD = (
    select(AccessLogEntry.position, AccessLogEntry.entry_hash)
    .order_by(AccessLogEntry.position.desc())
    .limit(1)
)
_POSTGRESQL_LOCK = select(func.pg_advisory_xact_lock(HEAD_LOCK))
# SQLite: take the write lock before reading the head. Reading first would hold a shared lock that two writers
# then both try to raise, and SQLite fails one of them at once rather than let it wait.
_SQLITE_LOCK = text("UPDATE access_log SET position = position WHERE 0")


def entry(db: Session, position: int) -> AccessLogEntry | None:
    """The entry at a position of the log, or None when there is none."""
    return db.get(AccessLogEntry, position)


def _lock_head(db: Session) -> None:
    connection = db.connection()
    connection.execute(_POSTGRESQL_LOCK if connection.dialect.name == "postgresql" else _SQLITE_LOCK)


def _head(db: Session) -> tuple[int, str]:
    """The last position and its hash; (0, GENESIS) while the log is empty."""
    last = db.connection().execute(_HEAD).one_or_none()
    return (0, GENESIS) if last is None else (last.position, last.entry_hash)


def checkpoint(db: Session, *, key: Ed25519PrivateKey, at: datetime) -> LogCheckpoint | None:
    """Sign the log's head; None when the log is empty or its head is already signed."""
    position, head_hash = _head(db)
    if position == 0 or position <= _last_checkpointed(db):
        return None
    signed_at = log_time(at)
    signed = LogCheckpoint(
        position=position,
        head_hash=head_hash,
        signed_at=signed_at,
        key_id=signing.key_id(key.public_key()),
        signature=signing.sign(key, signing.checkpoint_message(position, head_hash, signed_at)),
    )
    db.add(signed)
    db.flush()
    return signed


def checkpoint_if_due(
    db: Session, *, key: Ed25519PrivateKey, at: datetime, every: int = 1000
) -> LogCheckpoint | None:
    """Sign the head once it is `every` entries or more past the last checkpoint."""
    position, _ = _head(db)
    if position - _last_checkpointed(db) < every:
        return None
    return checkpoint(db, key=key, at=at)


def _last_checkpointed(db: Session) -> int:
    return db.scalar(select(func.coalesce(func.max(LogCheckpoint.position), 0))) or 0


def export_checkpoints(db: Session, *, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """Every checkpoint with the key that checks them, as JSON partners keep to witness the log."""
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "public_key": signing.public_key_pem(public_key),
        "key_id": signing.key_id(public_key),
        "checkpoints": [
            {name: getattr(stored, name) for name in CHECKPOINT_FIELDS} for stored in _stored_checkpoints(db)
        ],
    }


def _stored_checkpoints(db: Session) -> list[LogCheckpoint]:
    return list(db.scalars(select(LogCheckpoint).order_by(LogCheckpoint.position, LogCheckpoint.id)))


class UnreadableLogError(WholeplaceError):
    """The database could not hand over every entry of the log."""


@dataclass(frozen=True)
class Verification:
    """What `verify` found: `first_invalid_position` is the first position the log can no longer vouch for."""

    valid: bool
    entries: int
    checkpoints_checked: int
    first_invalid_position: int | None
    problem: str | None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Checkpoint:
    """A checkpoint to check, wherever it was kept, with the keys that may have signed it."""

    kept: str  # "stored", or "witnessed" for one a partner kept
    position: int
    head_hash: str
    signed_at: str
    key_id: str
    signature: str
    keys: Mapping[str, Ed25519PublicKey]


@dataclass(frozen=True)
class _Finding:
    position: int
    problem: str


def verify(
    db: Session,
    *,
    public_keys: Mapping[str, Ed25519PublicKey],
    witnessed: Mapping[str, Any] | None = None,
) -> Verification:
    """Read the whole log in order and check its chain, then every stored checkpoint against `public_keys` and
    every checkpoint in `witnessed` (an export a partner kept) against the key in it."""
    checkpoints = [_stored_checkpoint(stored, public_keys) for stored in _stored_checkpoints(db)]
    if witnessed is not None:
        checkpoints += _witnessed_checkpoints(witnessed)
    chain = _verify_stored_chain(db, remember={checkpoint.position for checkpoint in checkpoints})
    findings = _chain_findings(chain) + _checkpoint_findings(checkpoints, chain)
    first = min(findings, key=lambda finding: finding.position, default=None)
    return Verification(
        valid=first is None,
        entries=chain.entries,
        checkpoints_checked=len(checkpoints),
        first_invalid_position=None if first is None else first.position,
        problem=None if first is None else first.problem,
    )


def _stored_checkpoint(stored: LogCheckpoint, keys: Mapping[str, Ed25519PublicKey]) -> _Checkpoint:
    # SQLite keeps whatever type it is given: a value of another kind written straight into the table must fail
    # the signature like any other change, not stop the check.
    return _Checkpoint(
        kept="stored",
        position=stored.position if isinstance(stored.position, int) else 0,
        head_hash=str(stored.head_hash),
        signed_at=str(stored.signed_at),
        key_id=str(stored.key_id),
        signature=str(stored.signature),
        keys=keys,
    )


def _verify_stored_chain(db: Session, *, remember: set[int]) -> ChainVerdict:
    table = AccessLogEntry.__table__
    query = select(*(table.c[name] for name in STORED_COLUMNS)).order_by(table.c.position)
    try:
        # Streamed in large batches from a server-side cursor, as plain rows: the log may hold millions.
        with db.connection().execute(query, execution_options={"yield_per": STREAM_BATCH}) as rows:
            return verify_chain(rows, remember=remember)
    except OperationalError as error:
        raise UnreadableLogError(
            f"The access log could not be read to its end: {error.orig}.",
            fix="If the database is reachable, a value in the log is not valid text, which only a change made "
            "straight to the database can cause: keep a copy as it is and restore the log from a backup.",
        ) from error


def _chain_findings(chain: ChainVerdict) -> list[_Finding]:
    if chain.first_invalid_position is None or chain.problem is None:
        return []
    return [_Finding(chain.first_invalid_position, chain.problem)]


def _checkpoint_findings(checkpoints: list[_Checkpoint], chain: ChainVerdict) -> list[_Finding]:
    """What is wrong with the checkpoints. A signed head that the chain no longer gives means entries after
    the last good checkpoint kept the same way were rewritten, so the finding is at the first of those."""
    findings: list[_Finding] = []
    vouched = {"stored": 0, "witnessed": 0}
    for checkpoint in sorted(checkpoints, key=lambda checkpoint: checkpoint.position):
        problem = _signature_problem(checkpoint)
        if problem is not None:
            findings.append(_Finding(max(checkpoint.position, 1), problem))
        elif chain.valid and checkpoint.position > chain.entries:
            findings.append(_Finding(chain.entries + 1, _beyond_the_end(checkpoint, chain.entries)))
        elif checkpoint.position in chain.hashes_at:
            if chain.hashes_at[checkpoint.position] == checkpoint.head_hash:
                vouched[checkpoint.kept] = checkpoint.position
            else:
                since = vouched[checkpoint.kept]
                findings.append(_Finding(since + 1, _rewritten(checkpoint, since, chain)))
    return findings


def _signature_problem(checkpoint: _Checkpoint) -> str | None:
    key = checkpoint.keys.get(checkpoint.key_id)
    name = f"The {checkpoint.kept} checkpoint at position {checkpoint.position}"
    if key is None:
        return (
            f"{name} names a signing key the place does not hold ({checkpoint.key_id[:12]}…): it was forged, "
            f"or the place's key file {signing.KEY_FILE} was replaced or lost."
        )
    message = signing.checkpoint_message(checkpoint.position, checkpoint.head_hash, checkpoint.signed_at)
    if not signing.signature_is_valid(key, message, checkpoint.signature):
        return f"{name} does not carry a valid signature: it was forged or altered."
    return None


def _beyond_the_end(checkpoint: _Checkpoint, entries: int) -> str:
    return (
        f"The {checkpoint.kept} checkpoint signed at {checkpoint.signed_at} vouches for {checkpoint.position} "
        f"entries, but the log ends at entry {entries}: entries {entries + 1} to {checkpoint.position} were "
        "removed from its end."
    )


def _rewritten(checkpoint: _Checkpoint, since: int, chain: ChainVerdict) -> str:
    return (
        f"The {checkpoint.kept} checkpoint at position {checkpoint.position}, signed at {checkpoint.signed_at}, "
        f"vouches for the hash {checkpoint.head_hash[:12]}… there, but the log now gives "
        f"{chain.hashes_at[checkpoint.position][:12]}…: entries {since + 1} to {checkpoint.position} were "
        "rewritten after it was signed."
    )


def _witnessed_checkpoints(witnessed: Mapping[str, Any]) -> list[_Checkpoint]:
    """The checkpoints of an exported file, each with the file's own key (the one the partner saw)."""
    try:
        if (witnessed.get("format"), witnessed.get("version")) != (EXPORT_FORMAT, EXPORT_VERSION):
            raise ValueError(f"it is not a {EXPORT_FORMAT} file, version {EXPORT_VERSION}")
        public_key = signing.load_public_key_pem(str(witnessed["public_key"]))
        if signing.key_id(public_key) != witnessed["key_id"]:
            raise ValueError("its key_id is not the id of its public key")
        keys = {signing.key_id(public_key): public_key}
        return [
            _Checkpoint(
                kept="witnessed",
                position=int(item["position"]),
                head_hash=str(item["head_hash"]),
                signed_at=str(item["signed_at"]),
                key_id=str(item["key_id"]),
                signature=str(item["signature"]),
                keys=keys,
            )
            for item in witnessed["checkpoints"]
        ]
    except (KeyError, TypeError, ValueError) as error:
        reason = f"it has no {error}" if isinstance(error, KeyError) else str(error)
        raise InvalidInputError(
            f"The witnessed checkpoints cannot be read: {reason}.",
            fix="Give the file `wholeplace audit export-checkpoints` wrote, as the partner kept it.",
        ) from error
