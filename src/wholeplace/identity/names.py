"""Name features for matching, worked out once per distinct name: the names a name is also known by (nicknames
and the full names they shorten), and a sound code that survives spelling variants.

Nicknames come from the hand-curated English list of the `nicknames` package, with British short forms it lacks
(data/british_short_forms.csv) beside it; a name neither knows simply has no variants.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jellyfish
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
from nicknames import NickNamer

SHORT_FORMS = Path(__file__).parent / "data" / "british_short_forms.csv"


@cache
def _nicknamer() -> NickNamer:
    return NickNamer()


@cache
def _short_forms() -> dict[str, set[str]]:
    """Each name in the British list with the names it is related to, in both directions."""
    related: dict[str, set[str]] = {}
    with SHORT_FORMS.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            for short in row["short_forms"].split():
                related.setdefault(row["name"], set()).add(short)
                related.setdefault(short, set()).add(row["name"])
    return related


def variants_of(name: str) -> list[str]:
    """The names `name` may stand for or be shortened to, without itself, sorted."""
    namer = _nicknamer()
    related = namer.nicknames_of(name) | namer.canonicals_of(name) | _short_forms().get(name, set())
    return sorted(related - {name})


def sound_of(name: str) -> str:
    """A Metaphone code of the name's letters, or "" when it has none."""
    letters = "".join(character for character in name if character.isalpha())
    return jellyfish.metaphone(letters) if letters else ""


def name_variants(names: pa.Array | pa.ChunkedArray) -> pa.Array:
    """`variants_of` each name (case-folded ASCII keys), as a list column; null for a null name."""
    return _per_distinct(names, variants_of, pa.list_(pa.string()))


def name_sounds(names: pa.Array | pa.ChunkedArray) -> pa.Array:
    """`sound_of` each name, null for a null name or one without letters."""
    return _per_distinct(names, lambda name: sound_of(name) or None, pa.string())


def name_parts(*columns: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The words of each row's names across the columns, as a list column; null where every column is."""
    joined = pc.utf8_trim(
        pc.binary_join_element_wise(*columns, " ", null_handling="replace", null_replacement=""), " "
    )
    words = pc.utf8_split_whitespace(joined)
    return pc.if_else(pc.equal(joined, ""), pa.scalar(None, words.type), words)


def _per_distinct(
    names: pa.Array | pa.ChunkedArray, function: Callable[[str], Any], kind: pa.DataType
) -> pa.Array:
    """Apply `function` once per distinct value and spread the answers back over the rows."""
    distinct = pc.unique(names).drop_null()
    answers = pa.array([function(name) for name in distinct.to_pylist()], kind)
    positions = pc.index_in(names, value_set=distinct)
    return pc.take(answers, positions)
