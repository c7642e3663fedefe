"""The defaults a place starts from and may change (coordination_setting): the outcomes framework a plan's
needs are coded to, the events significant enough to alert on, the response times for referrals, how long
after closure an outcome is checked, and what each check looks for in the linked data; and the local time its
workers read. Plain data, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from wholeplace.core.roles import Sector

LOCAL_TIME = ZoneInfo("Europe/London")  # the time and day a worker reads on the clock on their wall


@dataclass(frozen=True)
class OutcomeArea:
    code: str
    label: str
    description: str


# The ten headline outcomes of the Supporting Families programme (England, 2022 framework), in our words.
SUPPORTING_FAMILIES = (
    OutcomeArea("education", "Getting a good education", "Children attend school regularly and take part."),
    OutcomeArea(
        "early_years", "Good early years development", "Young children are healthy and ready to learn."
    ),
    OutcomeArea(
        "health", "Improved mental and physical health", "Adults and children get the care they need."
    ),
    OutcomeArea(
        "substance_use",
        "Promoting recovery and reducing harm from substance use",
        "Drug or alcohol use no longer harms the family.",
    ),
    OutcomeArea(
        "family_relationships",
        "Improved family relationships",
        "Conflict at home is lower and relationships are supportive.",
    ),
    OutcomeArea(
        "childrens_safety",
        "Children safe from abuse and exploitation",
        "Children are safe at home, online and in the community.",
    ),
    OutcomeArea(
        "crime", "Crime prevention and tackling crime", "No one in the family offends or is drawn in."
    ),
    OutcomeArea("domestic_abuse", "Safe from domestic abuse", "Everyone in the home is safe from abuse."),
    OutcomeArea("housing", "Secure housing", "The family has a stable, suitable home."),
    OutcomeArea(
        "financial_stability",
        "Financial stability",
        "Income covers needs, debts are manageable, adults move towards work.",
    ),
)

# Event types that reach the inboxes of the workers around a household, with how an alert names them.
SIGNIFICANT_EVENTS = {
    "school_exclusion": "School exclusion",
    "domestic_abuse_incident": "Domestic-abuse incident",
    "eviction": "Eviction notice",
    "self_harm_attendance": "Emergency attendance for self-harm",
    "emergency_attendance": "Emergency attendance",
    "missing_episode": "Missing episode",
    "concern_for_child": "Concern for a child",
}

# Hours the receiving agency has to accept or decline a referral, by urgency.
RESPONSE_HOURS = {"immediate": 4, "urgent": 24, "routine": 5 * 24}
URGENCIES = {"routine": "Routine", "urgent": "Urgent", "immediate": "Immediate (risk of harm)"}

SUSTAINMENT_MONTHS = 6


@dataclass(frozen=True)
class SustainmentRule:
    """What a check looks for after closure: any new event of these types among the household's members is a
    relapse; and where `kept_involvements` is given, one of them must still be open (a tenancy kept)."""

    relapse_events: tuple[str, ...] = ()
    kept_involvements: tuple[str, ...] = ()


SUSTAINMENT_RULES = {
    "education": SustainmentRule(relapse_events=("school_exclusion",)),
    "domestic_abuse": SustainmentRule(relapse_events=("domestic_abuse_incident",)),
    "crime": SustainmentRule(relapse_events=("crime", "antisocial_behaviour")),
    "childrens_safety": SustainmentRule(relapse_events=("concern_for_child",)),
    "housing": SustainmentRule(
        relapse_events=("eviction", "homelessness_application"), kept_involvements=("tenancy",)
    ),
    "health": SustainmentRule(relapse_events=("self_harm_attendance",)),
}

# Which data category an agency's events fall in, for the access decision: health and police data are special.
EVENT_CATEGORY_BY_SECTOR = {
    Sector.HEALTH.value: "health",
    Sector.POLICE.value: "criminal_offence",
    Sector.JUSTICE.value: "criminal_offence",
}
EVENT_CATEGORY = "events"


def event_category(sector: str) -> str:
    return EVENT_CATEGORY_BY_SECTOR.get(sector, EVENT_CATEGORY)
