"""Roles a user can hold, kinds and sectors of agency, and the scopes of machine tokens."""

from enum import StrEnum


class Role(StrEnum):
    PRACTITIONER = "practitioner"
    LEAD_PROFESSIONAL = "lead_professional"
    INFORMATION_GOVERNANCE_OFFICER = "information_governance_officer"
    ANALYST = "analyst"
    PROGRAMME_MANAGER = "programme_manager"
    FINANCE_LEAD = "finance_lead"
    ADMINISTRATOR = "administrator"
    TEAM_MANAGER = "team_manager"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.PRACTITIONER: "Practitioner",
    Role.LEAD_PROFESSIONAL: "Lead professional",
    Role.INFORMATION_GOVERNANCE_OFFICER: "Information governance officer",
    Role.ANALYST: "Data analyst",
    Role.PROGRAMME_MANAGER: "Programme manager",
    Role.FINANCE_LEAD: "Finance lead",
    Role.ADMINISTRATOR: "Administrator",
    Role.TEAM_MANAGER: "Team manager",
}


class AgencyKind(StrEnum):
    PUBLIC = "public"
    VOLUNTARY = "voluntary"
    PRIVATE = "private"


class Sector(StrEnum):
    LOCAL_GOVERNMENT = "local_government"
    EDUCATION = "education"
    SOCIAL_CARE = "social_care"
    POLICE = "police"
    HEALTH = "health"
    HOUSING = "housing"
    BENEFITS = "benefits"
    JUSTICE = "justice"
    FIRE = "fire"
    VOLUNTARY = "voluntary"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Scope(StrEnum):
    """What an agency's API token may do; each API route names the scope it needs."""

    PLACE_READ = "place:read"
    RECORDS_PUSH = "records:push"

    @property
    def description(self) -> str:
        return SCOPE_DESCRIPTIONS[self]


SCOPE_DESCRIPTIONS = {
    Scope.PLACE_READ: "Read the place and its agencies",
    Scope.RECORDS_PUSH: "Push records to the agency's own sources",
}
