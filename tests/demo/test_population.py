"""The population behind the extracts: twins, same-name neighbours, and the mess at the rates asked for."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from wholeplace.demo.generate.calendar import EXTRACT_DATE
from wholeplace.demo.generate.needs import household_needs
from wholeplace.demo.generate.noise import NoiseRates
from wholeplace.demo.generate.population import Population, build_population
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
    neighbourhood = population.households["neighbourhood"].to_numpy()[people["household"].to_numpy()]
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
