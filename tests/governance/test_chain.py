"""The access log's hash chain as a pure function: any log written in order verifies, and every way of changing
a stored log (a value edited, an entry deleted, a forged entry inserted under any numbering, two entries swapped)
is found at the right position.

Positions reported (chain.ChainVerdict): the k-th row read, when rows 1 to k-1 are a valid chain and row k is
not. So an entry edited in place is reported at its own position; an entry deleted at its position (the next
entry turns up there); a forged entry with made-up hashes at its own position; a forged entry numbered outside
the log at 1 (below it) or n+1 (above it); two entries swapped at the first of them. An entry whose hash its
forger computed (inserted, or rewritten in place) is itself a valid link, so it is reported at the entry after
it. The last entries deleted, or every entry from some point rewritten with fresh hashes, leave a valid chain:
only the signed checkpoints catch those (tests/governance/test_log.py).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from wholeplace.governance.chain import (
    GENESIS,
    STORED_COLUMNS,
    LogEntry,
    entry_hash,
    log_time,
    stored_row,
    verify_chain,
)

Row = tuple[Any, ...]
POSITION, BREAK_GLASS, PREVIOUS, HASH = 0, 15, 16, 17
CONTENT = range(1, 16)  # from `at` to `break_glass`

texts = st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
lists = st.lists(texts, max_size=3).map(tuple)
entries = st.builds(
    LogEntry,
    at=st.datetimes(timezones=st.just(UTC)).map(log_time),
    username=texts,
    agency=texts,
    role=texts,
    purpose=texts,
    case_reference=texts,
    subject_kind=st.sampled_from(["person", "household"]),
    subject_id=texts,
    categories=lists,
    fields=lists,
    agreements=lists,
    lawful_basis=texts,
    outcome=st.sampled_from(["permit", "deny"]),
    reason=texts,
    break_glass=st.booleans(),
)
hashes = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


def written(log: list[LogEntry], *, start: int = 1, after: str = GENESIS) -> list[Row]:
    """The rows an honest writer stores for these entries, from position `start` after the hash `after`."""
    rows = []
    for position, entry in enumerate(log, start=start):
        rows.append(stored_row(position, after, entry))
        after = rows[-1][HASH]
    return rows


def as_stored(rows: list[Row]) -> list[Row]:
    """The rows as the database reads them back: ordered by position."""
    return sorted(rows, key=lambda row: row[POSITION])


def replaced(row: Row, column: int, value: Any) -> Row:
    return (*row[:column], value, *row[column + 1 :])


@st.composite
def logs_and_index(draw: st.DrawFn, *, min_size: int = 1) -> tuple[list[Row], int]:
    rows = written(draw(st.lists(entries, min_size=min_size, max_size=10)))
    return rows, draw(st.integers(0, len(rows) - 1))


@given(st.lists(entries, min_size=1, max_size=20))
def test_any_log_written_in_order_is_a_valid_chain(log: list[LogEntry]) -> None:
    rows = written(log)
    verdict = verify_chain(rows)
    assert verdict.valid and verdict.problem is None and verdict.first_invalid_position is None
    assert (verdict.entries, verdict.head_hash) == (len(rows), rows[-1][HASH])


def test_an_empty_log_is_valid_and_its_head_is_genesis() -> None:
    verdict = verify_chain([])
    assert verdict.valid and (verdict.entries, verdict.head_hash) == (0, GENESIS)


@given(logs_and_index(), st.sampled_from([*CONTENT, PREVIOUS, HASH]), st.data())
def test_changing_any_stored_value_of_any_entry_is_found_at_that_entry(
    log_and_index: tuple[list[Row], int], column: int, data: st.DataObject
) -> None:
    rows, index = log_and_index
    old = rows[index][column]
    if column == BREAK_GLASS:
        new: Any = not old
    else:  # anything SQLite would keep in a text column, a NUL or a number included
        new = data.draw(st.one_of(st.text(max_size=70), st.integers(), hashes))
        assume(new != old)
    rows[index] = replaced(rows[index], column, new)
    verdict = verify_chain(rows)
    assert not verdict.valid and verdict.first_invalid_position == index + 1
    assert verdict.entries == len(rows)


@given(logs_and_index(), st.integers())
def test_renumbering_an_entry_to_a_free_position_is_found_where_the_log_first_goes_wrong(
    log_and_index: tuple[list[Row], int], position: int
) -> None:
    rows, index = log_and_index
    assume(not 1 <= position <= len(rows))
    rows[index] = replaced(rows[index], POSITION, position)
    verdict = verify_chain(as_stored(rows))
    assert verdict.first_invalid_position == (1 if position < 1 else index + 1)


@given(logs_and_index(min_size=2))
def test_deleting_any_entry_but_the_last_is_found_at_its_position(
    log_and_index: tuple[list[Row], int],
) -> None:
    rows, index = log_and_index
    assume(index < len(rows) - 1)
    del rows[index]
    verdict = verify_chain(rows)
    assert not verdict.valid and verdict.first_invalid_position == index + 1
    assert "deleted" in (verdict.problem or "")


@given(st.lists(entries, min_size=1, max_size=10))
def test_deleting_the_last_entries_leaves_a_valid_chain_which_only_checkpoints_catch(
    log: list[LogEntry],
) -> None:
    rows = written(log)
    verdict = verify_chain(rows[:-1])
    assert verdict.valid and verdict.entries == len(rows) - 1


@given(logs_and_index(), entries)
def test_an_entry_rewritten_with_a_fresh_hash_of_its_own_is_found_at_the_entry_after_it(
    log_and_index: tuple[list[Row], int], replacement: LogEntry
) -> None:
    rows, index = log_and_index
    assume(replacement.stored_values() != rows[index][1:16])
    rows[index] = stored_row(index + 1, rows[index][PREVIOUS], replacement)
    verdict = verify_chain(rows)
    if index == len(rows) - 1:  # the last entry has no successor to tell
        assert verdict.valid
    else:
        assert verdict.first_invalid_position == index + 2
        assert f"Entry {index + 2} does not follow entry {index + 1}" in (verdict.problem or "")


@st.composite
def insertion(draw: st.DrawFn) -> tuple[list[Row], int, LogEntry]:
    rows = written(draw(st.lists(entries, min_size=1, max_size=10)))
    return rows, draw(st.integers(0, len(rows))), draw(entries)


def renumbered_after(rows: list[Row], index: int) -> list[Row]:
    """The rows from `index` on, each moved one position up to make room."""
    return [replaced(row, POSITION, row[POSITION] + 1) for row in rows[index:]]


@given(insertion())
def test_a_forged_entry_with_honest_hashes_and_the_rest_renumbered_is_found_at_the_entry_after_it(
    inserted: tuple[list[Row], int, LogEntry],
) -> None:
    rows, index, forged = inserted
    before = rows[index - 1][HASH] if index else GENESIS
    tampered = [*rows[:index], stored_row(index + 1, before, forged), *renumbered_after(rows, index)]
    verdict = verify_chain(tampered)
    if index == len(rows):  # added at the end, it is an ordinary new entry
        assert verdict.valid
    else:
        assert verdict.first_invalid_position == index + 2
        assert f"Entry {index + 2} does not follow entry {index + 1}" in (verdict.problem or "")


@given(insertion(), hashes, hashes)
def test_a_forged_entry_with_made_up_hashes_is_found_at_its_own_position(
    inserted: tuple[list[Row], int, LogEntry], previous_hash: str, forged_hash: str
) -> None:
    rows, index, forged = inserted
    made_up = (index + 1, *forged.stored_values(), previous_hash, forged_hash)
    verdict = verify_chain([*rows[:index], made_up, *renumbered_after(rows, index)])
    assert verdict.first_invalid_position == index + 1


@given(insertion(), st.integers(), st.booleans())
def test_a_forged_entry_numbered_outside_the_log_is_found_where_its_number_puts_it(
    inserted: tuple[list[Row], int, LogEntry], position: int, honest: bool
) -> None:
    rows, _, forged = inserted
    assume(not 1 <= position <= len(rows) + 1)
    row = (
        stored_row(position, rows[-1][HASH], forged)
        if honest
        else (position, *forged.stored_values(), "", "")
    )
    verdict = verify_chain(as_stored([*rows, row]))
    assert verdict.first_invalid_position == (1 if position < 1 else len(rows) + 1)
    assert "made-up position" in (verdict.problem or "")


@given(st.lists(entries, min_size=2, max_size=10), st.data())
def test_swapping_two_whole_entries_but_their_positions_is_found_at_the_first(
    log: list[LogEntry], data: st.DataObject
) -> None:
    rows = written(log)
    first, second = sorted(
        data.draw(st.lists(st.integers(0, len(rows) - 1), min_size=2, max_size=2, unique=True))
    )
    rows[first], rows[second] = (
        (first + 1, *rows[second][1:]),
        (second + 1, *rows[first][1:]),
    )
    assert verify_chain(rows).first_invalid_position == first + 1


@given(st.lists(entries, min_size=2, max_size=10), st.data())
def test_swapping_the_contents_of_two_entries_is_found_at_the_first(
    log: list[LogEntry], data: st.DataObject
) -> None:
    rows = written(log)
    first, second = sorted(
        data.draw(st.lists(st.integers(0, len(rows) - 1), min_size=2, max_size=2, unique=True))
    )
    assume(rows[first][1:16] != rows[second][1:16])
    swapped = list(rows)
    swapped[first] = (rows[first][POSITION], *rows[second][1:16], *rows[first][16:])
    swapped[second] = (rows[second][POSITION], *rows[first][1:16], *rows[second][16:])
    assert verify_chain(swapped).first_invalid_position == first + 1


@given(logs_and_index(), st.lists(entries, min_size=1, max_size=5))
def test_a_log_rewritten_from_any_entry_with_fresh_hashes_is_a_valid_chain_which_only_checkpoints_catch(
    log_and_index: tuple[list[Row], int], replacements: list[LogEntry]
) -> None:
    rows, index = log_and_index
    after = rows[index - 1][HASH] if index else GENESIS
    rewritten = [*rows[:index], *written(replacements, start=index + 1, after=after)]
    assert verify_chain(rewritten).valid


@given(st.lists(entries, min_size=1, max_size=10), st.data())
def test_the_hashes_asked_for_are_those_at_their_positions(log: list[LogEntry], data: st.DataObject) -> None:
    rows = written(log)
    asked = data.draw(st.sets(st.integers(-2, len(rows) + 2)))
    verdict = verify_chain(rows, remember=asked)
    assert verdict.hashes_at == {row[POSITION]: row[HASH] for row in rows if row[POSITION] in asked}


def test_hashes_before_a_break_are_kept_and_none_after_it() -> None:
    rows = written([ENTRY] * 5)
    rows[2] = replaced(rows[2], 14, "edited")
    verdict = verify_chain(rows, remember={2, 3, 4})
    assert verdict.hashes_at == {2: rows[1][HASH]} and verdict.head_hash == rows[1][HASH]


ENTRY = LogEntry(
    at="2026-11-30T14:50:00.123456Z",
    username="amira",
    agency="Riverford Homes",
    role="practitioner",
    purpose="early_help",
    case_reference="EH-2026-0042",
    subject_kind="person",
    subject_id="P0123456789abcdef0123",
    categories=("identity", "contact"),
    fields=("given_name", "family_name", "postcode"),
    agreements=("RIV-DSA-003@2",),
    lawful_basis="6(1)(e)",
    outcome="permit",
    reason="Agreement RIV-DSA-003 version 2 allows early help; Zoë's school is a party.",
    break_glass=False,
)


def test_an_entry_hash_is_sha256_of_its_texts_joined_by_nul_as_documented() -> None:
    texts = [
        "wholeplace access-log entry v1",
        "7",
        "ab" * 32,
        "2026-11-30T14:50:00.123456Z",
        "amira",
        "Riverford Homes",
        "practitioner",
        "early_help",
        "EH-2026-0042",
        "person",
        "P0123456789abcdef0123",
        '["identity","contact"]',
        '["given_name","family_name","postcode"]',
        '["RIV-DSA-003@2"]',
        "6(1)(e)",
        "permit",
        "Agreement RIV-DSA-003 version 2 allows early help; Zoë's school is a party.",
        "false",
    ]
    expected = hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()
    assert entry_hash(7, "ab" * 32, ENTRY) == expected


def test_stored_rows_follow_the_columns_of_the_table() -> None:
    row = dict(zip(STORED_COLUMNS, stored_row(1, GENESIS, ENTRY), strict=True))
    assert row["categories"] == '["identity","contact"]' and row["previous_hash"] == GENESIS
    assert row["entry_hash"] == entry_hash(1, GENESIS, ENTRY) and row["break_glass"] is False


def test_lists_keep_their_order_and_their_letters() -> None:
    assert stored_row(1, GENESIS, ENTRY)[10] == '["given_name","family_name","postcode"]'
    zoe = LogEntry(**{**ENTRY.__dict__, "fields": ("Zoë", "a")})
    assert zoe.stored_values()[9] == '["Zoë","a"]'


def test_an_entry_holding_a_nul_is_refused() -> None:
    with pytest.raises(ValueError, match="reason"):
        LogEntry(**{**ENTRY.__dict__, "reason": "a\x00b"})
    with pytest.raises(ValueError, match="categories"):
        LogEntry(**{**ENTRY.__dict__, "categories": ("identity\x00",)})


def test_log_time_is_utc_with_microseconds() -> None:
    moment = datetime(2026, 11, 30, 15, 50, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    assert log_time(moment) == "2026-11-30T14:50:00.123456Z"
    assert log_time(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000000Z"
    assert log_time(datetime(5, 1, 1, tzinfo=UTC)) == "0005-01-01T00:00:00.000000Z"  # sorts as text
    with pytest.raises(ValueError, match="timezone"):
        log_time(datetime(2026, 1, 1))
