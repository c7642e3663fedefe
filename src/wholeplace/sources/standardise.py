"""Vectorised checks and standardisation of the values in agency extracts, over Arrow string arrays.

Each function keeps its input's length, leaves the input as it was, and gives a blank null, not a problem.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Literal, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]

BAD_SHAPE = "bad_shape"
BAD_CHECK_DIGIT = "bad_check_digit"
UNALLOCATED_PREFIX = "unallocated_prefix"
NON_UK = "non_uk"
NOT_A_DATE = "not_a_date"
IN_FUTURE = "in_future"
TOO_OLD = "too_old"
UNKNOWN_CODE = "unknown_code"
NO_LETTERS = "no_letters"
PROBLEM_CODES = (
    BAD_SHAPE,
    BAD_CHECK_DIGIT,
    UNALLOCATED_PREFIX,
    NON_UK,
    NOT_A_DATE,
    IN_FUTURE,
    TOO_OLD,
    UNKNOWN_CODE,
    NO_LETTERS,
)

Strings: TypeAlias = "pa.Array | pa.ChunkedArray"
Mask: TypeAlias = npt.NDArray[np.bool_]
Integers: TypeAlias = npt.NDArray[np.int64]
Check: TypeAlias = tuple[Mask, str]
NameOrder: TypeAlias = Literal["family_first_comma", "given_first", "family_first"]
DateKind: TypeAlias = Literal["birth", "event"]

OLDEST_AGE_YEARS = 120
EVENT_HORIZON_YEARS = 1
# One stray cell in another format is a bad value with its own problem; a format change needs a run of them.
DRIFT_MIN_CELLS = 3

WHITESPACE_RUN = r"[\s\p{Z}]+"
# Two spaces in a row, a space other than U+0020, or a tab or line break.
IRREGULAR_SPACING = r"[\s\p{Z}]{2}|[^ \PZ]|[\t\n\v\f\r]"
COMBINING_MARK = r"\p{M}"
# A key is words of letters with one space between; these find the rows that are not yet.
NOT_KEY = r"[^\p{L}\p{M} ]|  |^ | $"
NOT_ASCII_KEY = r"[^a-z ]|  |^ | $"
APOSTROPHES = (
    "['`\N{RIGHT SINGLE QUOTATION MARK}\N{LEFT SINGLE QUOTATION MARK}"
    "\N{MODIFIER LETTER APOSTROPHE}\N{ACUTE ACCENT}]"
)
# Letters that NFKD leaves whole, so dropping combining marks alone would not reach ASCII.
UNDECOMPOSABLE_LETTERS = {
    "ł": "l",
    "ø": "o",
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ħ": "h",
    "\N{LATIN SMALL LETTER DOTLESS I}": "i",
}
FAMILY_NAME_PARTICLES = (
    "van|von|de|der|den|del|della|da|das|di|do|dos|du|la|le|ter|ten|bin|binti|ibn|al|el|ap"
)
FAMILY = rf"(?P<family>(?:(?i:{FAMILY_NAME_PARTICLES})\s+)*\S+)"
NAME_PATTERNS: dict[str, str] = {
    "given_first": rf"^(?:(?P<given>\S+)(?:\s+(?P<middle>.+?))??\s+)?{FAMILY}$",
    "family_first": rf"^{FAMILY}(?:\s+(?P<given>\S+)(?:\s+(?P<middle>.+))?)?$",
    "family_first_comma": r"^(?P<family>[^,]+?)\s*,\s*(?:(?P<given>[^\s,]+)(?:\s+(?P<middle>[^,]+?))?)?$",
}

# BS 7666: no Q, V, X first; no I, J, Z second; few letters after the digit; no C, I, K, M, O, V inward.
UK_POSTCODE = (
    r"^(?:[A-PR-UWYZ](?:[0-9]{1,2}|[0-9][A-HJKPSTUW]|[A-HK-Y](?:[0-9]{1,2}|[0-9][ABEHMNPRV-Y]))"
    r"[0-9][ABD-HJLNP-UW-Z]{2}|GIR0AA)$"
)
INWARD_LENGTH = 3

NHS_NUMBER = r"^\d{10}$"
NI_NUMBER = r"^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]?$"
NI_UNALLOCATED_PREFIXES = ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ")
NI_STEM_LENGTH = 8
UPN = r"^[A-Z]\d{12}$"
UPN_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"

PHONE_PUNCTUATION = "-./()"
# National numbers begin 1, 2, 3, 5, 7, 8 or 9 after the 0; spreadsheets drop a leading 0 or "+".
UK_PHONE = r"^(?:(?:\+|00)?440?|0)?(?P<national>[1235789]\d{9})$"
INTERNATIONAL_PHONE = r"^(?:\+|00)(?P<digits>[1-9]\d{7,14})$"
UK_COUNTRY_CODE = "44"

EMAIL = r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$"

FORMULA_START = r"^[=+\-@\t\r]"

MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
MONTH_SPELLINGS = {
    **{name: number for number, name in enumerate(MONTH_NAMES, start=1)},
    **{name[:3]: number for number, name in enumerate(MONTH_NAMES, start=1)},
    "sept": 9,
}
DATE_DIRECTIVES = {
    "d": r"(?P<day>\d{1,2})",
    "m": r"(?P<month>\d{1,2})",
    "Y": r"(?P<year>\d{4})",
    "y": r"(?P<short_year>\d{2})",
    "b": r"(?P<month_name>[A-Za-z]{3,9})",
    "B": r"(?P<month_name>[A-Za-z]{3,9})",
    "H": r"\d{1,2}",
    "M": r"\d{1,2}",
    "S": r"\d{1,2}",
    "f": r"\d{1,6}",
    "%": "%",
}
ISO_DATE = (
    r"^(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)


@dataclass(frozen=True)
class Checked:
    """Standard values (null where blank or unusable) and a problem code per row (null where fine)."""

    value: pa.Array
    problem: pa.Array


@dataclass(frozen=True)
class CheckedPostcodes(Checked):
    """Postcodes with the sector ("RF1 5") and district ("RF1") of each valid UK one."""

    sector: pa.Array
    district: pa.Array


@dataclass(frozen=True)
class NameParts:
    """A name as shown, its comparison keys, and the words of its ASCII key."""

    display: pa.Array
    key: pa.Array
    key_ascii: pa.Array
    parts: pa.Array
    problem: pa.Array


@dataclass(frozen=True)
class FullName:
    """A one-column name split into given, middle and family names, each as the source wrote it."""

    given: pa.Array
    middle: pa.Array
    family: pa.Array


_Result = TypeVar("_Result", Checked, CheckedPostcodes, NameParts, FullName)


@dataclass(frozen=True)
class _CalendarDates:
    days_since_epoch: Integers
    real: Mask
    fits: Mask


def names(values: Strings) -> NameParts:
    """Standardise names: `display` keeps the case; `key` is lower case with apostrophes dropped (O'Brien
    stays one word, "obrien") and any other run of non-letters (hyphens, dots, digits) made one space;
    `key_ascii` is the key without accents, and without letters of scripts that have no ASCII spelling."""
    return _per_distinct(values, _names)


def split_full_name(values: Strings, order: NameOrder) -> FullName:
    """Split one-column names; the first given name is `given`, any others `middle`. A single word is taken as
    the family name; family names keep their particles ("Anna van der Berg" → family "van der Berg")."""
    return _per_distinct(values, lambda text: _split_full_name(text, order))


def postcodes(values: Strings, *, expect_uk: bool = True) -> CheckedPostcodes:
    """UK postcodes in upper case with one space before the inward code ("rf15ab" → "RF1 5AB"); with
    `expect_uk` false, other values are kept as upper-case text and marked non-UK rather than bad."""
    return _per_distinct(values, lambda text: _postcodes(text, expect_uk=expect_uk))


def nhs_numbers(values: Strings) -> Checked:
    """NHS numbers as 10 digits, valid when the modulus-11 check digit holds."""
    compact = _without_whitespace(_present(values), also="-")
    well_formed = _matches(compact, NHS_NUMBER)
    numbers = _as_integers(compact, well_formed)
    body_total = _weighted_digit_sum(numbers // 10, weights=range(10, 1, -1))
    # A remainder giving 10 can never equal a digit, so such numbers fail here as they should.
    check_holds = (11 - body_total % 11) % 11 == numbers % 10
    return _checked(
        compact,
        [
            (_is_present(compact) & ~well_formed, BAD_SHAPE),
            (well_formed & ~check_holds, BAD_CHECK_DIGIT),
        ],
    )


def ni_numbers(values: Strings) -> Checked:
    """National Insurance numbers as their 8-character stem (prefix and digits, "AB123456"). The suffix
    letter is optional and dropped: it does not tell two people apart, and many systems never record it."""
    compact = pc.utf8_upper(_without_whitespace(_present(values)))
    well_formed = _matches(compact, NI_NUMBER)
    prefix = pc.utf8_slice_codeunits(compact, start=0, stop=2)
    unallocated = _mask(pc.is_in(prefix, value_set=pa.array(NI_UNALLOCATED_PREFIXES)))
    return _checked(
        pc.utf8_slice_codeunits(compact, start=0, stop=NI_STEM_LENGTH),
        [
            (_is_present(compact) & ~well_formed, BAD_SHAPE),
            (well_formed & unallocated, UNALLOCATED_PREFIX),
        ],
    )


def upns(values: Strings) -> Checked:
    """Unique pupil numbers: a check letter then 12 digits, the letter fixed by the weighted digit sum."""
    compact = pc.utf8_upper(_without_whitespace(_present(values)))
    well_formed = _matches(compact, UPN)
    numbers = _as_integers(pc.utf8_slice_codeunits(compact, start=1), well_formed)
    expected = _weighted_digit_sum(numbers, weights=range(2, 14)) % len(UPN_CHECK_LETTERS)
    letter = pc.index_in(
        pc.utf8_slice_codeunits(compact, start=0, stop=1), value_set=pa.array(list(UPN_CHECK_LETTERS))
    )
    check_holds = pc.fill_null(letter, -1).to_numpy() == expected
    return _checked(
        compact,
        [
            (_is_present(compact) & ~well_formed, BAD_SHAPE),
            (well_formed & ~check_holds, BAD_CHECK_DIGIT),
        ],
    )


def phones(values: Strings) -> Checked:
    """Phone numbers in E.164: UK ones as "+44" and the 10 digits after the 0, others as "+" and 8 to 15
    digits. Spaces, hyphens, dots, slashes, brackets and a "(0)" are ignored; any other character is a bad
    shape."""
    present = _present(values)
    compact = _without_whitespace(pc.replace_substring(present, "(0)", ""), also=PHONE_PUNCTUATION)
    national = pc.struct_field(pc.extract_regex(compact, UK_PHONE), "national")
    international = pc.struct_field(pc.extract_regex(compact, INTERNATIONAL_PHONE), "digits")
    # A "+44" number of the wrong length is a bad UK number, not a foreign one.
    foreign = pc.if_else(pc.starts_with(international, UK_COUNTRY_CODE), None, international)
    standard = pc.coalesce(
        pc.binary_join_element_wise("+" + UK_COUNTRY_CODE, national, ""),
        pc.binary_join_element_wise("+", foreign, ""),
    )
    bad = _is_present(present) & ~_is_present(standard)
    return Checked(value=standard, problem=_problems(len(present), [(bad, BAD_SHAPE)]))


def emails(values: Strings) -> Checked:
    """Email addresses, lower-cased (few mail systems treat the local part's case as meaningful)."""
    lowered = pc.utf8_lower(_present(values))
    return _checked(lowered, [(_is_present(lowered) & ~_matches(lowered, EMAIL), BAD_SHAPE)])


def dates(values: Strings, fmt: str, *, today: dt.date, kind: DateKind = "event") -> Checked:
    """Dates in the mapping's strptime-style format, or in ISO 8601 (with any time of day ignored).
    Month names are read in English whatever the machine's locale: no locale-bound parser is used.
    A two-digit year is the latest one with those digits not after this year (next year for events)."""
    return _per_distinct(values, lambda text: _dates(text, fmt, today=today, kind=kind))


def date_format_drift(values: Strings, fmt: str) -> int | None:
    """The 1-based position of the cell from which most non-blank cells stop fitting `fmt`, or None.

    The start is the one that best splits the column into fitting cells before and misfits after."""
    present = _present(values)
    positions = np.flatnonzero(_is_present(present))
    if not len(positions):
        return None
    encoded = pc.dictionary_encode(present)  # each distinct date matched once
    distinct = encoded.dictionary
    fits_distinct = _matches(distinct, _date_pattern(fmt)) | _matches(
        distinct, ISO_DATE
    )  # ISO fits any format
    indices = np.asarray(pc.fill_null(encoded.indices, 0).to_numpy(zero_copy_only=False))
    fits = fits_distinct[indices[positions]]
    misfit = ~fits
    misfits_minus_fits_from = np.cumsum(np.where(misfit, 1, -1)[::-1])[::-1]
    start = int(np.argmax(misfits_minus_fits_from))
    if misfits_minus_fits_from[start] <= 0 or int(misfit[start:].sum()) < DRIFT_MIN_CELLS:
        return None
    return int(positions[start]) + 1


def codes(values: Strings, translation: Mapping[str, str]) -> Checked:
    """Source codes translated to standard ones: an exact match first, then one ignoring case and spacing
    (where two source codes differ only so, the first in the mapping wins)."""
    return _per_distinct(values, lambda text: _codes(text, translation))


def formula_like(values: Strings) -> pa.BooleanArray:
    """True where a spreadsheet opening a CSV would run the cell as a formula."""
    return pc.fill_null(pc.match_substring_regex(_text(values), FORMULA_START), False)


def neutralise_formulas(values: Strings) -> pa.Array:
    """Cells with a single quote before any that a spreadsheet would run as a formula."""
    text = _text(values)
    return pc.if_else(formula_like(text), pc.binary_join_element_wise("'", text, ""), text)


def _names(text: pa.Array) -> NameParts:
    display = _display(text)
    key = _name_key(display)
    key_ascii = _where_non_ascii(key, _ascii_letters)
    no_letters = _mask(pc.is_valid(display)) & ~_mask(pc.is_valid(key))
    return NameParts(
        display=display,
        key=key,
        key_ascii=key_ascii,
        parts=pc.split_pattern(key_ascii, " "),
        problem=_problems(len(display), [(no_letters, NO_LETTERS)]),
    )


def _split_full_name(text: pa.Array, order: NameOrder) -> FullName:
    display = _display(text)
    parts = pc.extract_regex(display, NAME_PATTERNS[order])
    if order == "family_first_comma":
        without_comma = pc.extract_regex(display, NAME_PATTERNS["family_first"])
        parts = pc.if_else(pc.is_valid(parts), parts, without_comma)
    given, middle, family = (
        _null_if_empty(pc.struct_field(parts, field)) for field in ("given", "middle", "family")
    )
    return FullName(given=given, middle=middle, family=family)


def _postcodes(text: pa.Array, *, expect_uk: bool) -> CheckedPostcodes:
    present = _present(text)
    compact = pc.utf8_upper(_without_whitespace(present))
    uk = _matches(compact, UK_POSTCODE)
    district = _keep(pc.utf8_slice_codeunits(compact, start=0, stop=-INWARD_LENGTH), uk)
    canonical = pc.binary_join_element_wise(
        district, pc.utf8_slice_codeunits(compact, start=-INWARD_LENGTH), " "
    )
    sector = pc.utf8_slice_codeunits(canonical, start=0, stop=-(INWARD_LENGTH - 1))
    other = _is_present(present) & ~uk
    if expect_uk:
        value, problem = canonical, _problems(len(present), [(other, BAD_SHAPE)])
    else:
        as_written = pc.utf8_upper(_collapse_whitespace(present))
        value, problem = pc.coalesce(canonical, as_written), _problems(len(present), [(other, NON_UK)])
    return CheckedPostcodes(value=value, problem=problem, sector=sector, district=district)


def _dates(text: pa.Array, fmt: str, *, today: dt.date, kind: DateKind) -> Checked:
    present = _present(text)
    latest_year = today.year + (EVENT_HORIZON_YEARS if kind == "event" else 0)
    declared = _calendar_dates(present, _date_pattern(fmt), latest_year=latest_year)
    iso = _calendar_dates(present, ISO_DATE, latest_year=latest_year)
    days = np.where(declared.fits, declared.days_since_epoch, iso.days_since_epoch)
    real = np.where(declared.fits, declared.real, iso.real)
    checks = [(_is_present(present) & ~real, NOT_A_DATE), *_implausible(days, real, today=today, kind=kind)]
    usable = real & ~np.logical_or.reduce([failed for failed, _ in checks])
    value = pa.array(days.astype(np.int32), type=pa.date32(), mask=~usable)
    return Checked(value=value, problem=_problems(len(present), checks))


def _implausible(days: Integers, real: Mask, *, today: dt.date, kind: DateKind) -> list[Check]:
    if kind == "birth":
        return [
            (real & (days > _days_since_epoch(today)), IN_FUTURE),
            (real & (days < _days_since_epoch(_years_after(today, -OLDEST_AGE_YEARS))), TOO_OLD),
        ]
    return [(real & (days > _days_since_epoch(_years_after(today, EVENT_HORIZON_YEARS))), IN_FUTURE)]


def _codes(text: pa.Array, translation: Mapping[str, str]) -> Checked:
    present = _present(text)
    sources = pa.array(list(translation), pa.string())
    exact = pc.index_in(text, value_set=sources)
    loose = pc.index_in(_loosened(present), value_set=_loosened(sources))
    index = pc.if_else(pc.is_valid(present), pc.coalesce(exact, loose), None)
    standard = pa.array(list(translation.values()), pa.string()).take(index)
    unknown = _is_present(present) & ~_is_present(standard)
    return Checked(value=standard, problem=_problems(len(text), [(unknown, UNKNOWN_CODE)]))


def _per_distinct(values: Strings, standardise: Callable[[pa.Array], _Result]) -> _Result:
    """`standardise` run once per distinct value, then spread back to every row: in an extract the same
    names, postcodes, dates and codes come round again and again, and string work is the cost."""
    encoded = pc.dictionary_encode(_text(values))
    once = standardise(encoded.dictionary)
    return replace(
        once, **{field.name: getattr(once, field.name).take(encoded.indices) for field in fields(once)}
    )


def _text(values: Strings) -> pa.Array:
    """One contiguous string array; numbers from a typed reader are taken as their text."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return array if pa.types.is_string(array.type) else array.cast(pa.string())


def _present(values: Strings) -> pa.Array:
    return _null_if_empty(pc.utf8_trim_whitespace(_text(values)))


def _null_if_empty(text: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(text, ""), None, text)


def _is_present(array: pa.Array) -> Mask:
    return _mask(pc.is_valid(array))


def _mask(condition: pa.Array) -> Mask:
    mask: Mask = pc.fill_null(condition, False).to_numpy(zero_copy_only=False)
    return mask


def _matches(text: pa.Array, pattern: str) -> Mask:
    return _mask(pc.match_substring_regex(text, pattern))


def _without(text: pa.Array, pattern: str) -> pa.Array:
    return _where_found(text, pattern, lambda rows: pc.replace_substring_regex(rows, pattern, ""))


def _without_whitespace(text: pa.Array, *, also: str = "") -> pa.Array:
    """Text without whitespace or the characters in `also`; plain spaces, by far the commonest, go first and
    cheaply, as a literal."""
    for character in " " + also:
        text = pc.replace_substring(text, character, "")
    return _without(text, WHITESPACE_RUN)


def _collapse_whitespace(text: pa.Array) -> pa.Array:
    return _where_found(
        text, IRREGULAR_SPACING, lambda rows: pc.replace_substring_regex(rows, WHITESPACE_RUN, " ")
    )


def _keep(values: pa.Array, keep: Mask) -> pa.Array:
    return pc.if_else(pa.array(keep), values, pa.scalar(None, values.type))


def _problems(size: int, checks: Sequence[Check]) -> pa.Array:
    """Each row's first failed check's code; null where none failed."""
    index = np.full(size, -1, dtype=np.int8)
    for position in reversed(range(len(checks))):
        index[checks[position][0]] = position
    labels = pa.array([code for _, code in checks], pa.string())
    return labels.take(pa.array(index, mask=index < 0))


def _checked(standard: pa.Array, checks: Sequence[Check]) -> Checked:
    failed = np.logical_or.reduce([failed for failed, _ in checks])
    return Checked(value=_keep(standard, ~failed), problem=_problems(len(standard), checks))


def _as_integers(digits: pa.Array, usable: Mask) -> Integers:
    """The numbers that digit strings spell; 0 where a string is not usable."""
    safe = pc.if_else(pa.array(usable), digits, "0")
    numbers: Integers = pc.cast(safe, pa.int64()).to_numpy()
    return numbers


def _weighted_digit_sum(numbers: Integers, *, weights: range) -> Integers:
    """Sum of each digit times its weight, the first weight for the most significant digit."""
    total = np.zeros(len(numbers), dtype=np.int64)
    for power, weight in enumerate(reversed(weights)):
        total += (numbers // 10**power % 10) * weight
    return total


def _display(text: pa.Array) -> pa.Array:
    # NFC changes only text holding combining marks (bar a few symbols such as the ångström sign).
    composed = _where_found(_present(text), COMBINING_MARK, lambda rows: pc.utf8_normalize(rows, form="NFC"))
    return _collapse_whitespace(composed)


def _name_key(display: pa.Array) -> pa.Array:
    lowered = pc.utf8_lower(display)
    joined = _without(lowered, APOSTROPHES)
    return _null_if_empty(_where_found(joined, NOT_KEY, _letters_and_spaces))


def _letters_and_spaces(text: pa.Array) -> pa.Array:
    return pc.utf8_trim(pc.replace_substring_regex(text, r"[^\p{L}\p{M}]+", " "), " ")


def _ascii_letters(key: pa.Array) -> pa.Array:
    decomposed = pc.utf8_lower(pc.utf8_normalize(key, form="NFKD"))
    unmarked = _without(decomposed, COMBINING_MARK)
    spelled = _where_found(unmarked, f"[{''.join(UNDECOMPOSABLE_LETTERS)}]", _spell_undecomposable)
    return _null_if_empty(_where_found(spelled, NOT_ASCII_KEY, _ascii_letters_and_spaces))


def _spell_undecomposable(text: pa.Array) -> pa.Array:
    for letter, spelling in UNDECOMPOSABLE_LETTERS.items():
        text = pc.replace_substring(text, letter, spelling)
    return text


def _ascii_letters_and_spaces(text: pa.Array) -> pa.Array:
    return pc.utf8_trim(pc.replace_substring_regex(text, r"[^a-z]+", " "), " ")


def _where_non_ascii(text: pa.Array, transform: Callable[[pa.Array], pa.Array]) -> pa.Array:
    return _only_where(text, pc.invert(pc.string_is_ascii(text)), transform)


def _where_found(text: pa.Array, pattern: str, transform: Callable[[pa.Array], pa.Array]) -> pa.Array:
    return _only_where(text, pc.match_substring_regex(text, pattern), transform)


def _only_where(text: pa.Array, rows: pa.Array, transform: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """`transform` applied to the chosen rows alone: finding the few rows that need rewriting is several times
    cheaper than rewriting every row."""
    chosen = pc.fill_null(rows, False)
    if not pc.any(chosen).as_py():
        return text
    return pc.replace_with_mask(text, chosen, transform(text.filter(chosen)))


def _loosened(text: pa.Array) -> pa.Array:
    return pc.utf8_lower(_collapse_whitespace(pc.utf8_trim_whitespace(text)))


def _date_pattern(fmt: str) -> str:
    """A regular expression for `fmt` naming the day, month (or month name) and year (or short year)."""
    pieces = []
    for position, piece in enumerate(re.split(r"(%.)", fmt)):
        if position % 2:
            if piece[1] not in DATE_DIRECTIVES:
                raise ValueError(f"The date format {fmt!r} uses {piece}, which is not supported.")
            pieces.append(DATE_DIRECTIVES[piece[1]])
        elif "%" in piece:
            raise ValueError(f"The date format {fmt!r} ends with a lone %.")
        else:
            pieces.extend(_literal_pattern(token) for token in re.split(r"(\s+)", piece) if token)
    pattern = "^" + "".join(pieces) + "$"
    _require_day_month_year(fmt, pattern)
    return pattern


def _literal_pattern(token: str) -> str:
    # As with strptime, a space in the format matches any amount of whitespace, or none.
    return r"\s*" if token.isspace() else re.escape(token)


def _require_day_month_year(fmt: str, pattern: str) -> None:
    groups = re.findall(r"\(\?P<(\w+)>", pattern)
    wanted = ({"day"}, {"month", "month_name"}, {"year", "short_year"})
    named_once = len(groups) == len(set(groups))
    if not named_once or any(len(alternatives & set(groups)) != 1 for alternatives in wanted):
        raise ValueError(f"The date format {fmt!r} must give the day, the month and the year once each.")


def _calendar_dates(text: pa.Array, pattern: str, *, latest_year: int) -> _CalendarDates:
    captured = pc.extract_regex(text, pattern)
    group_names = {captured.type.field(i).name for i in range(captured.type.num_fields)}
    day = _field_integers(captured, "day")
    if "month_name" in group_names:
        spellings = pa.array(list(MONTH_SPELLINGS), pa.string())
        spelling = pc.index_in(pc.utf8_lower(pc.struct_field(captured, "month_name")), value_set=spellings)
        month = pc.fill_null(
            pa.array(list(MONTH_SPELLINGS.values()), pa.int64()).take(spelling), 0
        ).to_numpy()
    else:
        month = _field_integers(captured, "month")
    if "short_year" in group_names:
        year = latest_year - (latest_year - _field_integers(captured, "short_year")) % 100
    else:
        year = _field_integers(captured, "year")
    return _civil_days(year, month, day, fits=_is_present(captured))


def _field_integers(captured: pa.Array, name: str) -> Integers:
    numbers: Integers = pc.fill_null(pc.cast(pc.struct_field(captured, name), pa.int64()), 0).to_numpy()
    return numbers


def _civil_days(year: Integers, month: Integers, day: Integers, *, fits: Mask) -> _CalendarDates:
    """Days since 1970-01-01 of each (year, month, day), and whether that day exists in the calendar."""
    real_month = fits & (year >= 1) & (month >= 1) & (month <= 12)
    months = np.where(real_month, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    first_day = months.astype("datetime64[D]")
    month_length = ((months + 1).astype("datetime64[D]") - first_day).astype(np.int64)
    real = real_month & (day >= 1) & (day <= month_length)
    days = first_day.astype(np.int64) + np.where(real, day - 1, 0)
    return _CalendarDates(days_since_epoch=days, real=real, fits=fits)


def _days_since_epoch(date: dt.date) -> int:
    return (date - dt.date(1970, 1, 1)).days


def _years_after(date: dt.date, years: int) -> dt.date:
    """The same day `years` later (or earlier); 29 February becomes 28 February off a leap year."""
    try:
        return date.replace(year=date.year + years)
    except ValueError:
        return date.replace(year=date.year + years, day=28)
