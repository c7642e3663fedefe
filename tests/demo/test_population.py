"""The population behind the extracts: twins, same-name neighbours, and the mess at the rates asked for."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from wholeplace.demo.generate.calendar import EXTRACT_DATE, WINDOW_START
from wholeplace.demo.generate.needs import household_needs
from wholeplace.demo.generate.noise import NoiseRates
from wholeplace.demo.generate.population import TYPE_NAMES, Population, build_population
from wholeplace.demo.generate.world import Habits, World, as_recorded


@pytest.fixture(scope="module")
def population() -> Population:
    return build_population(20_000, np.random.default_rng(4))


def _world(population: Population, rates: NoiseRates) -> World:
    return World(
        population=population,
        needs=household_needs(population, np.random.default_rng(5)),
        seed=4,
        rates=rates,
    )


def test_same_name_neighbours_are_different_people_in_one_neighbourhood(population: Population) -> None:
    people = population.people
    world = _world(population, NoiseRates())
    at_start = world.household_on(np.arange(len(people)), np.full(len(people), WINDOW_START))
    neighbourhood = population.households["neighbourhood"].to_numpy()[at_start]
    copied = np.flatnonzero(people["same_name_as"].to_numpy() >= 0)
    original = people["same_name_as"].to_numpy()[copied]
    assert len(copied) > 10
    assert (people["person_id"].to_numpy()[copied] != people["person_id"].to_numpy()[original]).all()
    assert (people["given_name"].to_numpy()[copied] == people["given_name"].to_numpy()[original]).all()
    assert (neighbourhood[copied] == neighbourhood[original]).all()


def test_twins_share_a_birthday_and_a_home_but_not_a_name(population: Population) -> None:
    people = population.people
    twins = np.flatnonzero(people["twin"].to_numpy())
    older = twins - 1
    assert len(twins) > 10
    assert (people["date_of_birth"].to_numpy()[twins] == people["date_of_birth"].to_numpy()[older]).all()
    assert (people["household"].to_numpy()[twins] == people["household"].to_numpy()[older]).all()
    assert (people["given_name"].to_numpy()[twins] != people["given_name"].to_numpy()[older]).mean() > 0.99


def test_with_no_mess_records_hold_the_truth(population: Population) -> None:
    world = _world(population, NoiseRates().scaled(0))
    everyone = np.arange(len(population.people))
    recorded = as_recorded(
        world, everyone, np.full(len(everyone), EXTRACT_DATE), Habits(), np.random.default_rng(1)
    )
    assert (recorded["given_name"].to_numpy() == population.people["given_name"].to_numpy()).all()
    assert (recorded["nhs_number"].to_numpy() == population.people["nhs_number"].to_numpy()).all()


@pytest.mark.parametrize("rate", [0.02, 0.1])
def test_typos_come_out_at_the_rate_asked(population: Population, rate: float) -> None:
    rates = replace(NoiseRates().scaled(0), name_typo=rate)
    world = _world(population, rates)
    everyone = np.arange(len(population.people))
    recorded = as_recorded(
        world, everyone, np.full(len(everyone), EXTRACT_DATE), Habits(), np.random.default_rng(2)
    )
    changed = (recorded["family_name"].to_numpy() != population.people["family_name"].to_numpy()).mean()
    assert abs(changed - rate) < rate * 0.25  # a few short names cannot take a typo


def _movers(population: Population) -> pd.DataFrame:
    people = population.people
    return people[people["previous_household"].to_numpy() >= 0]


def test_separated_partners_leave_for_a_home_of_their_own(population: Population) -> None:
    households = population.households
    movers = _movers(population)
    left = movers[movers["role"] == "adult"]
    assert len(left) > 20
    assert (households["adults"].to_numpy()[left["household"].to_numpy()] == 1).all()
    assert (households["household_id"].to_numpy()[left["household"].to_numpy()] == left["household_id"]).all()
    new_homes = households["uprn"].to_numpy()[left["household"].to_numpy()]
    assert len(set(new_homes)) == len(new_homes)
    assert len(set(households["uprn"])) == len(households)
    old = households.iloc[left["previous_household"].to_numpy()]
    assert set(TYPE_NAMES[old["kind"].to_numpy()]) <= {
        "single_older",
        "single_adult",
        "lone_parent_dependent",
        "lone_parent_grown",
    }


def test_new_partners_join_a_household_of_about_their_age(population: Population) -> None:
    people = population.people
    joined = _movers(population)
    joined = joined[joined["role"] == "partner"]
    assert len(joined) > 20
    kinds = set(TYPE_NAMES[population.households["kind"].to_numpy()[joined["household"].to_numpy()]])
    assert kinds <= {"couple_no_children", "couple_dependent_children"}
    heads = people[(people["role"] == "adult")].drop_duplicates("household").set_index("household")["age"]
    gap = heads.loc[joined["household"].to_numpy()].to_numpy() - joined["age"].to_numpy()
    assert (np.abs(gap) <= 10).all()


def test_people_who_moved_household_belong_to_the_old_one_before_the_date(population: Population) -> None:
    world = _world(population, NoiseRates())
    movers = _movers(population)
    index = movers.index.to_numpy()
    day_before = movers["joined_on"].to_numpy().astype("datetime64[D]") - np.timedelta64(1, "D")
    assert (world.household_on(index, day_before) == movers["previous_household"].to_numpy()).all()
    assert (
        world.household_on(index, movers["joined_on"].to_numpy().astype("datetime64[D]"))
        == movers["household"].to_numpy()
    ).all()


@pytest.mark.parametrize("months_in", [0, 12, 24, 35])
def test_no_two_households_live_at_one_address_on_the_same_day(
    population: Population, months_in: int
) -> None:
    """A household that moved lived before in a home nobody else lived in then: otherwise the records of two
    households at one address would be indistinguishable from one household's."""
    world = _world(population, NoiseRates())
    day = WINDOW_START + np.timedelta64(months_in * 30, "D")
    everyone = np.arange(len(population.people))
    days = np.full(len(everyone), day)
    living = everyone[world.alive_on(days[everyone], everyone)]
    households = np.unique(world.household_on(living, days[living]))
    table = population.households
    moved_in = table["moved_in_on"].to_numpy().astype("datetime64[D]")[households]
    not_yet = ~np.isnat(moved_in) & (day < moved_in)
    address = np.where(
        not_yet, table["previous_uprn"].to_numpy()[households], table["uprn"].to_numpy()[households]
    )
    assert not pd.Series(address).duplicated().any()
