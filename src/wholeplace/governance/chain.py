"""The access log's hash chain, as pure functions: what an entry's hash covers, and the check that a stored log,
read in order, is still the chain that was written.

An entry's hash is the SHA-256, in hex, of the UTF-8 bytes of eighteen texts joined by NUL (U+0000): the format
tag `wholeplace access-log entry v1`, the position in decimal, the hash of the entry before (GENESIS for the
first), then the stored columns from `at` to `reason` exactly as the database holds them, and `true` or `false`
for break-glass. No value may hold a NUL, so the joined text reads back into its values one way only.
"""

from __future__ import annotations

import json
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any

GENESIS = "0" * 64
ENTRY_FORMAT = "wholeplace access-log entry v1"
SEPARATOR = "\x00"

# The columns of access_log in the order a StoredRow holds them; the last two are the chain's own.
STORED_COLUMNS = (
    "position",
    "at",
    "username",
    "agency",
    "role",
    "purpose",
    "case_reference",
    "subject_kind",
    "subject_id",
    "categories",
    "fields",
    "agreements",
    "lawful_basis",
    "outcome",
    "reason",
    "break_glass",
    "previous_hash",
    "entry_hash",
)

StoredRow = Sequence[Any]  # one access_log row, its values in STORED_COLUMNS order


def log_time(moment: datetime) -> str:
    """The text an entry or a checkpoint keeps for a moment: ISO 8601 in UTC with microseconds."""
    if moment.tzinfo is None:
        raise ValueError("log times must be timezone-aware")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical_list(values: Sequence[str]) -> str:
    """A list as the log stores it: compact JSON, in the order given."""
    return json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class LogEntry:
    """One access decision as the log records it; `at` is the text `log_time` gives."""

    at: str
    username: str
    agency: str
    role: str
    purpose: str
    case_reference: str
    subject_kind: str
    subject_id: str
    categories: tuple[str, ...]
    fields: tuple[str, ...]
    agreements: tuple[str, ...]  # "reference@version"
    lawful_basis: str
    outcome: str  # permit, deny
    reason: str
    break_glass: bool

    def __post_init__(self) -> None:
        for column in fields(self):
            value = getattr(self, column.name)
            texts = value if isinstance(value, tuple) else (value,)
            if any(isinstance(text, str) and SEPARATOR in text for text in texts):
                raise ValueError(f"an access-log entry's {column.name} cannot hold a NUL character")

    def stored_values(self) -> tuple[Any, ...]:
        """The entry's columns as the database holds them, from `at` to `break_glass`."""
        return (
            self.at,
            self.username,
            self.agency,
            self.role,
            self.purpose,
            self.case_reference,
            self.subject_kind,
            self.subject_id,
            canonical_list(self.categories),
            canonical_list(self.fields),
            canonical_list(self.agreements),
            self.lawful_basis,
            self.outcome,
            self.reason,
            self.break_glass,
        )


def stored_row(position: int, previous_hash: str, entry: LogEntry) -> tuple[Any, ...]:
    """The row that puts an entry at a position after the entry whose hash is `previous_hash`."""
    unhashed = (position, *entry.stored_values(), previous_hash)
    return (*unhashed, _digest(_hashed_text(unhashed)))


def entry_hash(position: int, previous_hash: str, entry: LogEntry) -> str:
    """The hash of the entry at a position, chained to the hash of the one before."""
    return _digest(_hashed_text((position, *entry.stored_values(), previous_hash)))


def _hashed_text(row: StoredRow) -> str:
    return SEPARATOR.join((ENTRY_FORMAT, str(row[0]), row[16], *row[1:15], "true" if row[15] else "false"))


def _digest(text: str) -> str:
    return sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainVerdict:
    """What reading the stored log in order found.

    `first_invalid_position` is k when the first k-1 rows read are a valid chain (positions 1 to k-1) and the
    k-th is not: it has another position (entries deleted there, or one inserted with a made-up position), it
    does not name the hash of the entry before (inserted, removed or reordered), or its contents no longer
    give its hash (changed).
    """

    valid: bool
    entries: int  # every row read, valid or not
    head_hash: str  # the hash of the last entry of the valid part (GENESIS if none)
    first_invalid_position: int | None
    problem: str | None
    hashes_at: dict[int, str] = field(default_factory=dict)  # the asked-for positions in the valid part


def verify_chain(rows: Iterable[StoredRow], *, remember: Container[int] = ()) -> ChainVerdict:
    """Check the rows as stored, ordered by position, keeping the hash at each position in `remember`."""
    stream = iter(rows)
    expected, head = 1, GENESIS
    hashes_at: dict[int, str] = {}
    for row in stream:
        position, previous_hash, stored_hash = row[0], row[16], row[17]
        try:  # _digest(_hashed_text(row)), written out: this runs once for each of millions of entries
            recomputed = sha256(
                SEPARATOR.join(
                    (ENTRY_FORMAT, str(position), previous_hash, *row[1:15], "true" if row[15] else "false")
                ).encode("utf-8")
            ).hexdigest()
        except TypeError:  # SQLite keeps whatever type it is given: a number or bytes put in a text column
            recomputed = None
        if position != expected or previous_hash != head or recomputed != stored_hash:
            problem = _row_problem(
                expected=expected, head=head, position=position, previous_hash=previous_hash
            )
            read = expected + sum(1 for _ in stream)
            return ChainVerdict(False, read, head, expected, problem, hashes_at)
        if position in remember:
            hashes_at[position] = stored_hash
        head = stored_hash
        expected += 1
    return ChainVerdict(True, expected - 1, head, None, None, hashes_at)


def _row_problem(*, expected: int, head: str, position: Any, previous_hash: Any) -> str:
    if position != expected:
        where = "The log begins" if expected == 1 else f"After entry {expected - 1} the log goes on"
        return (
            f"{where} with an entry numbered {position} where entry {expected} should be: entries were "
            "deleted there, or an entry was inserted with a made-up position."
        )
    if previous_hash != head:
        before = "the start of the log" if expected == 1 else f"entry {expected - 1}"
        return (
            f"Entry {expected} does not follow {before}: it names {str(previous_hash)[:12]}… as the hash "
            f"before it, but {before} has {head[:12]}…. An entry was inserted, removed or moved there, or "
            f"{before} was rewritten."
        )
    return f"Entry {expected} was changed after it was written: its contents no longer give its hash."
