import re

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from wholeplace.demo.generate import identifiers, noise

NI_PATTERN = re.compile(r"^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$")


def _nhs_valid(number: str) -> bool:
    digits = [int(c) for c in number]
    check = 11 - sum(d * (10 - i) for i, d in enumerate(digits[:9])) % 11
    return len(number) == 10 and (0 if check == 11 else check) == digits[9]


@given(st.integers(0, 2**32 - 1))
def test_nhs_numbers_are_unique_and_pass_the_check(seed: int) -> None:
    numbers = identifiers.nhs_numbers(np.random.default_rng(seed), 500)
    assert len(set(numbers)) == 500
    assert all(_nhs_valid(n) for n in numbers)


@given(st.integers(0, 2**32 - 1))
def test_national_insurance_numbers_have_the_real_shape(seed: int) -> None:
    numbers = identifiers.ni_numbers(np.random.default_rng(seed), 300)
    assert len(set(numbers)) == 300
    assert all(NI_PATTERN.match(n) and n[:2] not in identifiers.NI_BANNED for n in numbers)


def test_upns_carry_their_check_letter() -> None:
    for upn in identifiers.upns(np.random.default_rng(3), 200):
        total = sum(int(d) * w for d, w in zip(upn[1:], range(2, 14), strict=True))
        assert upn[0] == identifiers.UPN_CHECK_LETTERS[total % 23]


def test_a_mistyped_nhs_number_mostly_fails_its_check() -> None:
    rng = np.random.default_rng(5)
    numbers = identifiers.nhs_numbers(rng, 2000).astype(object)
    mistyped = noise.identifier_typos(numbers, np.ones(2000, dtype=bool), rng)
    assert (mistyped != numbers).mean() > 0.95
    assert np.mean([_nhs_valid(n) for n in mistyped]) < 0.15


@given(st.lists(st.dates(), min_size=1, max_size=50), st.integers(0, 2**32 - 1))
def test_swapping_day_and_month_keeps_real_dates_and_only_swaps_when_possible(dates: list, seed: int) -> None:  # type: ignore[type-arg]
    days = np.array(dates, dtype="datetime64[D]")
    swapped = noise.swap_day_and_month(days, np.ones(len(days), dtype=bool))
    for before, after in zip(days.tolist(), swapped.tolist(), strict=True):
        if before.day <= 12 and before.day != before.month:
            assert (after.day, after.month, after.year) == (before.month, before.day, before.year)
        else:
            assert after == before


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=20), st.integers(0, 2**32 - 1))
def test_a_typo_is_one_small_slip(word: str, seed: int) -> None:
    slipped = noise.typos(np.array([word], dtype=object), np.array([True]), np.random.default_rng(seed))[0]
    assert abs(len(slipped) - len(word)) <= 1
    assert sum(a != b for a, b in zip(slipped, word, strict=False)) <= 2 or len(slipped) != len(word)


def test_noise_rates_come_out_as_asked() -> None:
    rng = np.random.default_rng(11)
    mask = noise.chosen(rng, 100_000, 0.03)
    assert abs(mask.mean() - 0.03) < 0.003
    assert noise.NoiseRates().scaled(0).name_typo == 0
    assert noise.NoiseRates().scaled(200).nickname == 1.0
