"""The place's coordination settings, on SQLite and PostgreSQL: each read as its default until the place sets its
own, every value checked before it is kept (a refusal naming the setting, the part that is wrong and what to do),
who changed it and when kept, also when it returns to the default, and the readers elsewhere following it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.support.clock import FakeClock
from wholeplace.coordination import framework
from wholeplace.coordination.framework import OutcomeArea, SustainmentRule
from wholeplace.coordination.models import PlaceSetting
from wholeplace.coordination.service import alerts, closure, plans, referrals, settings
from wholeplace.core.errors import ConfigurationError, ConflictError, NotFoundError

OWN_AREAS = [
    {"code": "home", "label": "A safe home", "description": "Somewhere to live that is safe."},
    {"code": "learning", "label": "Learning", "description": ""},
]


def _change(db: Session, clock: FakeClock, key: str, value: Any) -> settings.Current:
    return settings.change(db, key=key, value=value, by="ada", at=clock())


def _refusal(db: Session, clock: FakeClock, key: str, value: Any) -> settings.SettingError:
    with pytest.raises(settings.SettingError) as refused:
        _change(db, clock, key, value)
    return refused.value


def _open_plan_with_a_need(db: Session, clock: FakeClock, area: str) -> None:
    plan = plans.open_plan(
        db, household_id="H-1", family_words="Stay together.", family_priorities="", by="tom", at=clock()
    )
    plans.add_need(
        db, plan_id=plan.id, outcome_area=area, description="A need", goal="A goal", by="tom", at=clock()
    )


# ---------------------------------------------------------------- defaults and the place's own


def test_every_setting_starts_as_its_default_changed_by_nobody(db: Session) -> None:
    shown = settings.every_setting(db)
    assert [one.key for one in shown] == [
        "outcome_framework",
        "significant_events",
        "response_hours",
        "sustainment_months",
        "sustainment_rules",
    ]
    assert all(one.is_default and one.changed_by is None and one.changed_at is None for one in shown)
    assert settings.outcome_areas(db) == framework.SUPPORTING_FAMILIES
    assert settings.significant_events(db) == framework.SIGNIFICANT_EVENTS
    assert settings.response_hours(db) == framework.RESPONSE_HOURS
    assert settings.sustainment_months(db) == framework.SUSTAINMENT_MONTHS
    assert settings.sustainment_rules(db) == framework.SUSTAINMENT_RULES


def test_a_place_s_own_value_is_kept_with_who_set_it_and_when(db: Session, clock: FakeClock) -> None:
    changed = _change(db, clock, "sustainment_months", 12)
    assert (changed.value, changed.is_default, changed.changed_by, changed.changed_at) == (
        12,
        False,
        "ada",
        clock(),
    )
    db.expire_all()
    assert settings.sustainment_months(db) == 12


def test_returning_to_the_default_keeps_who_did_it_and_when(db: Session, clock: FakeClock) -> None:
    _change(db, clock, "response_hours", {"urgent": 8})
    clock.advance(days=1)
    returned = settings.reset(db, key="response_hours", by="bea", at=clock())
    db.expire_all()
    assert (returned.is_default, returned.changed_by, returned.changed_at) == (True, "bea", clock())
    assert settings.current(db, "response_hours").value == framework.RESPONSE_HOURS
    assert settings.response_hours(db) == framework.RESPONSE_HOURS


def test_a_default_read_is_a_copy_the_caller_may_change(db: Session) -> None:
    settings.significant_events(db)["crime"] = "Crime"
    settings.current(db, "outcome_framework").value.clear()
    assert "crime" not in settings.significant_events(db)
    assert settings.outcome_areas(db) == framework.SUPPORTING_FAMILIES


def test_an_unknown_setting_is_not_found_and_the_settings_are_named(db: Session, clock: FakeClock) -> None:
    with pytest.raises(NotFoundError, match="no coordination setting called 'colour'") as refused:
        _change(db, clock, "colour", "blue")
    assert "outcome_framework, significant_events, response_hours" in refused.value.fix
    with pytest.raises(NotFoundError):
        settings.reset(db, key="colour", by="ada", at=clock())


def test_a_kept_value_no_longer_usable_says_how_to_put_it_right(db: Session, clock: FakeClock) -> None:
    db.add(PlaceSetting(key="sustainment_months", value="six", changed_by="sql", changed_at=clock()))
    db.flush()
    with pytest.raises(ConfigurationError, match=r"months before a sustainment check \(sustainment_months\)"):
        settings.sustainment_months(db)


# ---------------------------------------------------------------- the readers follow the settings


def test_the_readers_of_each_domain_follow_the_settings(db: Session, clock: FakeClock) -> None:
    _change(db, clock, "outcome_framework", OWN_AREAS)
    _change(db, clock, "significant_events", ["crime"])
    _change(db, clock, "response_hours", {"urgent": 8})
    _change(db, clock, "sustainment_months", 3)
    _change(db, clock, "sustainment_rules", {"home": {"kept_involvements": ["tenancy"]}})
    assert plans.outcome_areas(db) == (
        OutcomeArea("home", "A safe home", "Somewhere to live that is safe."),
        OutcomeArea("learning", "Learning", ""),
    )
    assert alerts.significant_events(db) == {"crime": "Crime"}
    assert referrals.response_hours(db) == {"immediate": 4, "urgent": 8, "routine": 120}
    assert closure.sustainment_months(db) == 3
    assert closure.sustainment_rules(db) == {"home": SustainmentRule(kept_involvements=("tenancy",))}


def test_values_kept_before_these_checks_are_read_as_before(db: Session, clock: FakeClock) -> None:
    for key, value in (("significant_events", ["school_exclusion"]), ("response_hours", {"routine": 48})):
        db.add(PlaceSetting(key=key, value=value, changed_by="admin", changed_at=clock()))
    db.flush()
    assert settings.significant_events(db) == {"school_exclusion": "School exclusion"}
    assert settings.response_hours(db) == {"immediate": 4, "urgent": 24, "routine": 48}


# ---------------------------------------------------------------- the outcome framework


def test_a_framework_keeps_the_areas_open_plans_use(db: Session, clock: FakeClock) -> None:
    _open_plan_with_a_need(db, clock, "housing")
    with pytest.raises(ConflictError, match="coded to housing"):
        _change(db, clock, "outcome_framework", OWN_AREAS)
    assert settings.current(db, "outcome_framework").is_default


def test_returning_to_the_default_framework_keeps_the_areas_open_plans_use(
    db: Session, clock: FakeClock
) -> None:
    _change(db, clock, "outcome_framework", OWN_AREAS)
    _open_plan_with_a_need(db, clock, "home")
    with pytest.raises(ConflictError, match="coded to home"):
        settings.reset(db, key="outcome_framework", by="ada", at=clock())
    assert [area.code for area in settings.outcome_areas(db)] == ["home", "learning"]


@pytest.mark.parametrize(
    ("areas", "item", "detail"),
    [
        ([], "0.code", "The framework needs at least one outcome area."),
        ("home", None, "This is not a list of outcome areas, each with a code and a label."),
        ([{"code": "home", "label": "Home"}, {"code": "home", "label": "House"}], "1.code", "used twice"),
        ([{"code": "home", "label": "Home"}, {"code": "house", "label": "home"}], "1.label", "used twice"),
        ([{"code": "Home Life", "label": "Home"}], "0.code", "The code 'Home Life' is not usable."),
        ([{"code": "home", "label": " "}], "0.label", "Enter a label for the outcome area home."),
        ([{"code": "home", "label": "Home", "colour": "red"}], "0.code", "has colour, which it does not use"),
        ([{"code": 7, "label": "Home"}], "0.code", "is not text"),
    ],
)
def test_a_framework_needs_codes_and_labels_each_used_once(
    db: Session, clock: FakeClock, areas: Any, item: str | None, detail: str
) -> None:
    refused = _refusal(db, clock, "outcome_framework", areas)
    assert (refused.key, refused.field) == ("outcome_framework", item)
    assert detail in refused.detail
    assert refused.problem.startswith("Outcome framework (outcome_framework): ")
    assert refused.fix
    assert settings.outcome_areas(db) == framework.SUPPORTING_FAMILIES


# ---------------------------------------------------------------- the other settings


def test_significant_events_are_kept_with_their_labels_in_any_of_three_shapes(
    db: Session, clock: FakeClock
) -> None:
    expected = {"crime": "Crime reported", "eviction": "Eviction notice"}
    for given in (
        expected,
        [{"code": "crime", "label": "Crime reported"}, {"code": "eviction"}],
    ):
        assert _change(db, clock, "significant_events", given).value == expected
    assert _change(db, clock, "significant_events", ["eviction"]).value == {"eviction": "Eviction notice"}


@pytest.mark.parametrize(
    ("events", "item"),
    [([], "0.code"), (["crime", "crime"], "1.code"), ({"crime": ""}, "0.label"), (["Crime!"], "0.code")],
)
def test_significant_events_need_usable_codes_and_labels(
    db: Session, clock: FakeClock, events: Any, item: str
) -> None:
    assert _refusal(db, clock, "significant_events", events).field == item


@pytest.mark.parametrize(
    ("hours", "item", "detail"),
    [
        ({"urgent": 0}, "urgent", "must be from 1 to 1440"),
        ({"urgent": "8"}, "urgent", "must be a whole number"),
        ({"urgent": 8.5}, "urgent", "must be a whole number"),
        ({"urgent": True}, "urgent", "must be a whole number"),
        ({"soon": 8}, None, "has soon, which it does not use"),
        ({"immediate": 48}, "immediate", "Immediate referrals would have longer to answer (48 hours)"),
        ([8], None, "is not a set of named values"),
    ],
)
def test_response_hours_are_whole_hours_more_urgent_never_longer(
    db: Session, clock: FakeClock, hours: Any, item: str | None, detail: str
) -> None:
    refused = _refusal(db, clock, "response_hours", hours)
    assert (refused.field, detail in refused.detail) == (item, True)


@pytest.mark.parametrize("months", [0, 61, "6", None])
def test_sustainment_months_are_a_whole_number_from_1_to_60(
    db: Session, clock: FakeClock, months: Any
) -> None:
    _refusal(db, clock, "sustainment_months", months)
    assert settings.sustainment_months(db) == framework.SUSTAINMENT_MONTHS


@pytest.mark.parametrize(
    ("rules", "item", "detail"),
    [
        ({"happiness": {"relapse_events": ["crime"]}}, "happiness", "no outcome area 'happiness'"),
        ({"housing": {}}, "housing.relapse_events", "looks for nothing"),
        ({"housing": {"relapse_events": "eviction"}}, "housing.relapse_events", "is not a list of codes"),
        ({"housing": {"relapse_events": ["Eviction Notice"]}}, "housing.relapse_events", "not usable"),
        ({"housing": {"tenancy": ["kept"]}}, "housing", "has tenancy, which it does not use"),
    ],
)
def test_sustainment_rules_name_framework_areas_and_look_for_something(
    db: Session, clock: FakeClock, rules: Any, item: str, detail: str
) -> None:
    refused = _refusal(db, clock, "sustainment_rules", rules)
    assert (refused.field, detail in refused.detail) == (item, True)
