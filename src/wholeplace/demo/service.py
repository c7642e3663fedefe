"""Builds the demo place in whatever database the settings name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from wholeplace.core import service
from wholeplace.core.errors import ConflictError
from wholeplace.core.models import Agency
from wholeplace.core.roles import AgencyKind, Role, Sector
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake
from wholeplace.sources.service import IngestResult

DEMO_PLACE = "Riverford"
DEMO_PASSWORD = "riverford-demo"


@dataclass(frozen=True)
class DemoAgency:
    name: str
    kind: AgencyKind
    sector: Sector
    teams: tuple[str, ...]


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    agency: str
    team: str | None
    roles: tuple[Role, ...]


AGENCIES = (
    DemoAgency(
        "Riverford Borough Council",
        AgencyKind.PUBLIC,
        Sector.LOCAL_GOVERNMENT,
        ("Early Help", "Partnership and Performance", "Finance", "Digital Services"),
    ),
    DemoAgency("Riverford Schools", AgencyKind.PUBLIC, Sector.EDUCATION, ("Inclusion and Attendance",)),
    DemoAgency(
        "Riverford Children's Services",
        AgencyKind.PUBLIC,
        Sector.SOCIAL_CARE,
        ("Front Door", "Family Support"),
    ),
    DemoAgency("Riverford Adult Social Care", AgencyKind.PUBLIC, Sector.SOCIAL_CARE, ("Assessment",)),
    DemoAgency("Vale Police", AgencyKind.PUBLIC, Sector.POLICE, ("Riverford Neighbourhood Policing",)),
    DemoAgency(
        "Riverford Health Partnership", AgencyKind.PUBLIC, Sector.HEALTH, ("Health Visiting", "Urgent Care")
    ),
    DemoAgency("Riverford Homes", AgencyKind.PUBLIC, Sector.HOUSING, ("Tenancy Sustainment",)),
    DemoAgency("Jobcentre Plus Riverford", AgencyKind.PUBLIC, Sector.BENEFITS, ("Work Coaches",)),
    DemoAgency("Vale Probation Service", AgencyKind.PUBLIC, Sector.JUSTICE, ("Offender Management",)),
    DemoAgency("Riverford Family Action", AgencyKind.VOLUNTARY, Sector.VOLUNTARY, ("Key Workers",)),
)

USERS = (
    DemoUser("practitioner", "Amira Hussain", "Riverford Homes", "Tenancy Sustainment", (Role.PRACTITIONER,)),
    DemoUser("police", "Dan Hughes", "Vale Police", "Riverford Neighbourhood Policing", (Role.PRACTITIONER,)),
    DemoUser(
        "lead",
        "Tom Kowalski",
        "Riverford Borough Council",
        "Early Help",
        (Role.PRACTITIONER, Role.LEAD_PROFESSIONAL),
    ),
    DemoUser("manager", "Ruth Adeyemi", "Riverford Borough Council", "Early Help", (Role.TEAM_MANAGER,)),
    DemoUser(
        "governance",
        "Grace Okafor",
        "Riverford Borough Council",
        None,
        (Role.INFORMATION_GOVERNANCE_OFFICER,),
    ),
    DemoUser(
        "analyst", "Priya Nair", "Riverford Borough Council", "Partnership and Performance", (Role.ANALYST,)
    ),
    DemoUser(
        "programme",
        "Owen Davies",
        "Riverford Borough Council",
        "Partnership and Performance",
        (Role.PROGRAMME_MANAGER,),
    ),
    DemoUser("finance", "Siobhan Murphy", "Riverford Borough Council", "Finance", (Role.FINANCE_LEAD,)),
    DemoUser(
        "admin", "Daniel Mensah", "Riverford Borough Council", "Digital Services", (Role.ADMINISTRATOR,)
    ),
)


def holds_other_place(db: Session) -> str | None:
    """The name of a non-demo place in this database, if there is one."""
    place = service.get_place(db)
    return place.name if place is not None and not place.is_demo else None


def build_demo(db: Session, *, now: datetime) -> list[DemoUser]:
    """Create (or complete) the demo place, its agencies, teams and users; running it twice changes nothing."""
    other = holds_other_place(db)
    if other is not None:
        raise ConflictError(
            f"This database holds the place {other!r}, not the demo.",
            fix="Point WHOLEPLACE_DATABASE_URL at another database, or pass --force to replace it with the demo.",
        )
    if service.get_place(db) is None:
        service.create_place(db, name=DEMO_PLACE, now=now, is_demo=True)
    agencies = {spec.name: _ensure_agency(db, spec, now=now) for spec in AGENCIES}
    for user in USERS:
        if service.find_user(db, user.username) is None:
            agency = agencies[user.agency]
            service.create_user(
                db,
                username=user.username,
                full_name=user.full_name,
                agency=agency,
                team=next((team for team in agency.teams if team.name == user.team), None),
                roles=user.roles,
                password=DEMO_PASSWORD,
                now=now,
            )
    return list(USERS)


def _ensure_agency(db: Session, spec: DemoAgency, *, now: datetime) -> Agency:
    agency = service.find_agency(db, spec.name) or service.add_agency(
        db, name=spec.name, kind=spec.kind, sector=spec.sector, now=now
    )
    for team_name in spec.teams:
        if all(existing.name != team_name for existing in agency.teams):
            service.add_team(db, agency=agency, name=team_name, now=now)
    return agency


@dataclass(frozen=True)
class DemoFile:
    source: str
    file: Path
    mapping: Path


def demo_files(folder: Path) -> list[DemoFile]:
    """Every extract and spend file of a generated place, with its mapping, as place.yaml lists them."""
    described = yaml.safe_load((folder / "place.yaml").read_text(encoding="utf-8"))
    return [
        DemoFile(source["name"], folder / source["file"], folder / source["mapping"])
        for agency in described["agencies"]
        for source in agency["sources"]
    ]


def load_demo_file(db: Session, demo_file: DemoFile, *, lake: Lake, now: datetime) -> IngestResult:
    """Register a demo source and load its file through the same path as any agency's extract."""
    return sources.ingest_file(
        db,
        source_name=demo_file.source,
        path=demo_file.file,
        lake=lake,
        by="demo",
        now=now,
        mapping=sources.read_mapping_file(demo_file.mapping),
    )
