"""Name features: the names a name is also known by, a sound code, and every word of a record's names."""

from __future__ import annotations

from itertools import pairwise

import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholeplace.identity.names import name_parts, name_sounds, name_variants, sound_of, variants_of

# Variants


def test_a_nickname_is_a_variant_of_the_full_name() -> None:
    assert "bill" in variants_of("william")


def test_a_full_name_is_a_variant_of_its_nickname() -> None:
    assert "william" in variants_of("bill")


def test_a_british_short_form_is_a_variant_of_the_full_name() -> None:
    assert "bex" in variants_of("rebecca")


def test_a_full_name_is_a_variant_of_its_british_short_form() -> None:
    assert "rebecca" in variants_of("bex")


def test_a_name_nobody_knows_has_no_variants() -> None:
    assert variants_of("zorblax") == []


@pytest.mark.parametrize("name", ["william", "bill", "rebecca", "bex", "alexander", "alex"])
def test_variants_are_sorted_and_never_the_name_itself(name: str) -> None:
    variants = variants_of(name)
    assert variants == sorted(variants)
    assert name not in variants


# Sounds


def test_spelling_variants_sound_the_same() -> None:
    assert sound_of("smith") == sound_of("smyth") != ""


def test_different_names_sound_different() -> None:
    assert sound_of("smith") != sound_of("jones")


def test_only_letters_make_a_sound() -> None:
    assert sound_of("o'brien-smith") == sound_of("obriensmith")


@pytest.mark.parametrize("name", ["", "123", " - ' "])
def test_a_name_without_letters_has_no_sound(name: str) -> None:
    assert sound_of(name) == ""


# Columns

NAMES = ["william", "bill", "rebecca", "bex", "smith", "smyth", "zorblax", "123", ""]
name_lists = st.lists(
    st.none() | st.sampled_from(NAMES) | st.text(alphabet="abcxyz '", max_size=8), max_size=25
)


@st.composite
def chunked(draw: st.DrawFn, values: list[str | None]) -> pa.ChunkedArray:
    """The values cut into chunks at random places, some chunks empty."""
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=len(values)), max_size=4)))
    bounds = [0, *cuts, len(values)]
    return pa.chunked_array(
        [pa.array(values[start:end], pa.string()) for start, end in pairwise(bounds)],
        pa.string(),
    )


@given(st.data(), name_lists)
def test_name_variants_keep_each_rows_place_and_its_nulls(
    data: st.DataObject, names: list[str | None]
) -> None:
    result = name_variants(data.draw(chunked(names)))
    assert result.to_pylist() == [None if name is None else variants_of(name) for name in names]


@given(st.data(), name_lists)
def test_name_sounds_keep_each_rows_place_and_are_null_without_letters(
    data: st.DataObject, names: list[str | None]
) -> None:
    result = name_sounds(data.draw(chunked(names)))
    assert result.to_pylist() == [None if name is None else sound_of(name) or None for name in names]


def test_name_variants_of_a_plain_array_are_a_list_column() -> None:
    result = name_variants(pa.array(["bex", None, "zorblax"], pa.string()))
    assert result.type == pa.list_(pa.string())
    assert result.to_pylist() == [["rebecca"], None, []]


def test_name_sounds_of_no_names_are_empty() -> None:
    assert name_sounds(pa.array([], pa.string())).to_pylist() == []
    assert name_sounds(pa.array([None, None], pa.string())).to_pylist() == [None, None]


# Parts


def _strings(*values: str | None) -> pa.Array:
    return pa.array(values, pa.string())


def test_name_parts_split_a_name_on_spaces() -> None:
    assert name_parts(_strings("de la cruz", "smith")).to_pylist() == [["de", "la", "cruz"], ["smith"]]


def test_name_parts_join_the_words_of_every_column() -> None:
    result = name_parts(_strings("smith", None, "ali"), _strings("jones", "khan", None))
    assert result.to_pylist() == [["smith", "jones"], ["khan"], ["ali"]]


@pytest.mark.parametrize(("first", "second"), [(None, None), ("", None), ("", ""), (None, "")])
def test_name_parts_are_null_when_no_column_holds_a_name(first: str | None, second: str | None) -> None:
    assert name_parts(_strings(first), _strings(second)).to_pylist() == [None]


def test_name_parts_hold_no_empty_word_where_a_middle_column_is_null() -> None:
    result = name_parts(_strings("anne"), _strings(None), _strings("smith"))
    assert result.to_pylist() == [["anne", "smith"]]


words = st.lists(st.sampled_from(["anne", "de", "la", "cruz", "smith", "okafor"]), max_size=3).map(" ".join)


@given(
    st.integers(min_value=1, max_value=3).flatmap(
        lambda width: st.lists(st.lists(st.none() | words, min_size=width, max_size=width), max_size=10)
    )
)
def test_name_parts_are_the_words_of_each_rows_names_in_column_order(rows: list[list[str | None]]) -> None:
    width = len(rows[0]) if rows else 1
    columns = [_strings(*[row[column] for row in rows]) for column in range(width)]
    expected = [[word for name in row for word in (name or "").split()] or None for row in rows]
    assert name_parts(*columns).to_pylist() == expected
