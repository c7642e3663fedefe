"""What every source draws on: the population, its needs, the seed, the mess rates, and people as records saw them."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from wholeplace.demo.generate import noise
from wholeplace.demo.generate.calendar import DAYS_PER_YEAR, EXTRACT_DATE, FINANCIAL_YEARS, WINDOW_START
from wholeplace.demo.generate.needs import AREA_NAMES
from wholeplace.demo.generate.population import Population
from wholeplace.demo.generate.workforce import Workforce

Ints = npt.NDArray[np.int64]
Dates = npt.NDArray[np.datetime64]


@dataclass
class World:
    population: Population
    needs: pd.DataFrame
    seed: int
    rates: noise.NoiseRates
    workforce: Workforce = field(init=False)
    _need_matrix: npt.NDArray[np.int8] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        years = len(FINANCIAL_YEARS)
        households = len(self.population.households)
        matrix = (
            self.needs[list(AREA_NAMES)].to_numpy(dtype=np.int8).reshape(years, households, len(AREA_NAMES))
        )
        self._need_matrix = matrix
        self.workforce = Workforce(self.seed)

    def rng(self, purpose: str) -> np.random.Generator:
        """A generator of its own for each purpose, so adding a source never shifts another's draws."""
        digest = np.frombuffer(purpose.encode().ljust(32, b"\0")[:32], dtype=np.uint32)
        return np.random.default_rng(np.random.SeedSequence([self.seed, *digest.tolist()]))

    def person_need(self, area: str, year: int) -> npt.NDArray[np.bool_]:
        """Whether each person's household (the one they lived in mid-year) had the need in a financial year."""
        everyone = np.arange(len(self.population.people))
        mid_year = WINDOW_START + np.timedelta64(int((year + 0.5) * DAYS_PER_YEAR), "D")
        household = self.household_on(everyone, np.full(len(everyone), mid_year))
        return self._need_matrix[year, household, AREA_NAMES.index(area)].astype(bool)

    def household_on(self, people: Ints, dates: Dates) -> Ints:
        """The household each person belonged to on a date: people who left or joined one changed it."""
        table = self.population.people
        joined = table["joined_on"].to_numpy().astype("datetime64[D]")[people]
        before = ~np.isnat(joined) & (dates < joined)
        return np.where(
            before, table["previous_household"].to_numpy()[people], table["household"].to_numpy()[people]
        )

    def alive_on(self, dates: Dates, people: Ints) -> npt.NDArray[np.bool_]:
        died = self.population.people["died_on"].to_numpy().astype("datetime64[D]")[people]
        born = self.population.people["date_of_birth"].to_numpy().astype("datetime64[D]")[people]
        return (np.isnat(died) | (died > dates)) & (born <= dates)

    def head_of_household_on(self, people: Ints, dates: Dates) -> Ints:
        """An adult of each person's household on the date: its head now, else its partner now, else whoever
        has since left it; -1 where there is none."""
        household = self.household_on(people, dates)
        found = np.full(len(people), -1, dtype=np.int64)
        for adult_of in self._household_adults():
            adult = adult_of[household]
            there = adult >= 0
            there[there] = self.household_on(adult[there], dates[there]) == household[there]
            found = np.where((found < 0) & there, adult, found)
        return found

    def _household_adults(self) -> list[Ints]:
        """For each household, its head now, its partner now, and an adult who has since left it (-1: none)."""
        table = self.population.people
        count = len(self.population.households)
        role = table["role"].to_numpy()
        household = table["household"].to_numpy()
        previous = table["previous_household"].to_numpy()
        columns = []
        for members, of in (
            (role == "adult", household),
            (role == "partner", household),
            (previous >= 0, previous),
        ):
            adult_of = np.full(count, -1, dtype=np.int64)
            chosen = np.flatnonzero(members)
            adult_of[of[chosen]] = chosen
            columns.append(adult_of)
        return columns


@dataclass(frozen=True)
class Habits:
    """How a source keeps its records: scales on the mess rates and what it never holds."""

    mess: float = 1.0
    upper_case: float = 1.0
    nicknames: float = 1.0
    keeps_middle_names: bool = True
    ascii_only: bool = False


def as_recorded(
    world: World, people: Ints, on: Dates, habits: Habits, rng: np.random.Generator
) -> pd.DataFrame:
    """People as a source recorded them on given dates: the name and address of the time, and the mess."""
    population = world.population
    table = population.people
    rates = world.rates.scaled(habits.mess)
    count = len(people)

    family = table["family_name"].to_numpy()[people]
    previous = table["previous_family_name"].to_numpy()[people]
    changed = table["name_changed_on"].to_numpy().astype("datetime64[D]")[people]
    family = np.where(~np.isnat(changed) & (on < changed), previous, family)
    given = table["given_name"].to_numpy()[people].astype(object)
    given = noise.with_nicknames(given, noise.chosen(rng, count, rates.nickname * habits.nicknames), rng)
    given = noise.typos(given, noise.chosen(rng, count, rates.name_typo), rng)
    family = noise.typos(family.astype(object), noise.chosen(rng, count, rates.name_typo), rng)
    shout = noise.chosen(rng, count, rates.upper_case * habits.upper_case)
    given, family = noise.upper(given, shout), noise.upper(family, shout)
    middle = (
        table["middle_names"].to_numpy()[people]
        if habits.keeps_middle_names
        else np.full(count, None, dtype=object)
    )

    dob = noise.swap_day_and_month(
        table["date_of_birth"].to_numpy()[people], noise.chosen(rng, count, rates.day_month_swap)
    )
    address = _address_on(world, people, on, noise.chosen(rng, count, rates.stale_address))
    postcode = noise.malformed_postcodes(
        address["postcode"].to_numpy(), noise.chosen(rng, count, rates.malformed_postcode), rng
    )
    postcode = noise.blank(postcode, noise.chosen(rng, count, rates.missing_postcode))
    recorded = pd.DataFrame(
        {
            "person": people,
            "recorded_on": on.astype("datetime64[D]"),
            "given_name": given,
            "middle_names": middle,
            "family_name": family,
            "date_of_birth": dob,
            "dob_missing": noise.chosen(rng, count, rates.missing_date_of_birth),
            "dob_partial": noise.chosen(rng, count, rates.partial_date_of_birth),
            "sex": table["sex"].to_numpy()[people],
            "address_line_1": address["address_line_1"].to_numpy(),
            "town": address["town"].to_numpy(),
            "postcode": postcode,
            **{
                name: _identifier_as_recorded(table[name].to_numpy()[people], rates, rng)
                for name in ("nhs_number", "ni_number", "upn")
            },
        }
    )
    if habits.ascii_only:
        for column in ("given_name", "middle_names", "family_name", "address_line_1"):
            recorded[column] = np.array(
                [_plain(value) for value in recorded[column].to_numpy()], dtype=object
            )
    return recorded


def _identifier_as_recorded(
    values: npt.NDArray[np.object_], rates: noise.NoiseRates, rng: np.random.Generator
) -> npt.NDArray[np.object_]:
    count = len(values)
    mistyped = noise.identifier_typos(
        values.astype(object), noise.chosen(rng, count, rates.identifier_typo), rng
    )
    return noise.blank(mistyped, noise.chosen(rng, count, rates.missing_identifier))


def _address_on(world: World, people: Ints, on: Dates, stale: npt.NDArray[np.bool_]) -> pd.DataFrame:
    """Where each person lived on the date (or, if the record is stale, where they lived before)."""
    households = world.population.households
    household = world.household_on(people, on)
    previous_household = world.population.people["previous_household"].to_numpy()[people]
    moved_household = (previous_household >= 0) & (household != previous_household)
    household = np.where(stale & moved_household, previous_household, household)
    moved_in = households["moved_in_on"].to_numpy()[household]
    previous = households["previous_uprn"].to_numpy()[household]
    before_move = ~np.isnat(moved_in) & ((on < moved_in) | stale)
    uprn = np.where(before_move & pd.notna(previous), previous, households["uprn"].to_numpy()[household])
    properties = world.population.properties.set_index("uprn")
    return properties.loc[uprn, ["address_line_1", "town", "postcode"]].reset_index(names="uprn")


def _plain(value: object) -> object:
    """What a system that knows only Windows-1252 keeps of a name: accents it cannot hold are dropped."""
    if not isinstance(value, str):
        return value
    try:
        value.encode("cp1252")
        return value
    except UnicodeEncodeError:
        decomposed = unicodedata.normalize("NFKD", value.replace("ł", "l").replace("Ł", "L"))
        return (
            "".join(c for c in decomposed if not unicodedata.combining(c))
            .encode("cp1252", "replace")
            .decode("cp1252")
        )


def format_dates(
    dates: Dates,
    pattern: str,
    *,
    missing: npt.NDArray[np.bool_] | None = None,
    partial: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.object_]:
    """Dates as a source writes them; missing ones empty, partial ones with only the year known (1 January)."""
    days = pd.to_datetime(dates.astype("datetime64[D]"))
    if partial is not None:
        days = days.where(~partial, pd.to_datetime(days.year.astype(str) + "-01-01", errors="coerce"))
    text = days.strftime(pattern).to_numpy(dtype=object)
    text[pd.isna(days)] = None
    if missing is not None:
        text[missing] = None
    return text


def record_ids(
    rng: np.random.Generator, prefix: str, count: int, *, width: int = 8
) -> npt.NDArray[np.object_]:
    """A source's own keys: a prefix and digits, unique, not in population order."""
    from wholeplace.demo.generate.identifiers import unique_integers

    numbers = unique_integers(rng, count, 10 ** (width - 1), 10**width)
    return (prefix + numbers.astype(str).astype(object)).astype(object)


def needed_in_any_year(world: World, area: str) -> npt.NDArray[np.bool_]:
    """Whether each person's household had the need in any year of the window."""
    return np.logical_or.reduce([world.person_need(area, year) for year in range(len(FINANCIAL_YEARS))])


def episode_dates(
    rng: np.random.Generator, count: int, *, ended_share: float, length_days: tuple[int, int]
) -> tuple[Dates, Dates]:
    """Start dates in the window and end dates after them, or NaT where the episode is still open."""
    from wholeplace.demo.generate.calendar import random_days_in_window

    start = random_days_in_window(rng, count)
    length = rng.integers(length_days[0], length_days[1], count).astype("timedelta64[D]")
    end = start + length
    open_now = (rng.random(count) >= ended_share) | (end > EXTRACT_DATE)
    return start, np.where(open_now, np.datetime64("NaT"), end).astype("datetime64[D]")


def living_episodes(
    world: World, people: Ints, rng: np.random.Generator, *, ended_share: float, length_days: tuple[int, int]
) -> tuple[Ints, Dates, Dates]:
    """Episodes for the chosen people, dropping any that would start before birth or after death."""
    start, end = episode_dates(rng, len(people), ended_share=ended_share, length_days=length_days)
    alive = world.alive_on(start, people)
    return people[alive], start[alive], end[alive]


def involvement(
    kind: object, start_column: str, end_column: str, date_format: str, *, lead_worker: str | None = None
) -> dict[str, object]:
    """A mapping's involvement block: its type (a fixed value or a column spec), start, end, lead worker."""
    block: dict[str, object] = {
        "type": kind,
        "start": {"column": start_column, "format": date_format},
        "end": {"column": end_column, "format": date_format},
    }
    if lead_worker:
        block["lead_worker"] = lead_worker
    return block


def parent_or_carer(
    world: World, people: Ints, on: Dates
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """The adult a source names for each child, as "Given Family", and how they are related, on the date."""
    table = world.population.people
    adult = world.head_of_household_on(people, on)
    known = (adult >= 0) & (adult != people)
    name = np.full(len(people), None, dtype=object)
    name[known] = (
        table["given_name"].to_numpy()[adult[known]].astype(object)
        + " "
        + table["family_name"].to_numpy()[adult[known]].astype(object)
    )
    mother = table["sex"].to_numpy()[np.maximum(adult, 0)] == "female"
    relationship = np.where(
        table["dependant"].to_numpy()[people], np.where(mother, "Mother", "Father"), "Carer"
    ).astype(object)
    relationship[~known] = None
    return name, relationship
