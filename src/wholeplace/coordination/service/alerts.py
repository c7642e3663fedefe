"""Alerts: what reaches a worker's inbox about a household they work with. Each alert says only what the access
decision behind it released, and the same thing alerts the same worker once.

The scanner reads what the register gained from batches ingested since its last scan: significant events of a
household's members, and agencies newly involved with a household. It tells the workers around the household
(its lead professional, the workers named in its open plan's actions, its meetings' invitees, the workers who
made or accepted a referral for it), each through a logged decision."""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wholeplace.coordination import framework
from wholeplace.coordination.models import (
    Alert,
    AlertScan,
    AlertScannedBatch,
    LeadProfessional,
    Meeting,
    MeetingInvitee,
    Plan,
    PlanAction,
    PlanNeed,
    Referral,
    RegisterEvent,
    RegisterInvolvement,
    RegisterState,
)
from wholeplace.coordination.service import access, settings
from wholeplace.core import service as core
from wholeplace.core.errors import NotFoundError
from wholeplace.core.models import User
from wholeplace.governance.decision import Subject
from wholeplace.identity import service as identity
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake

SCAN_ROW = 1
PURPOSE = "early_help"  # alerts serve the workers coordinating help around a household
NEW_INVOLVEMENT, SIGNIFICANT_EVENT = "new_involvement", "significant_event"
INBOX_SIZE = 200

# Whether a field of a category may go in the alert's summary.
_Shown = Callable[[str | None, str], bool]


@dataclass(frozen=True)
class ScanResult:
    first: bool  # the first scan only sets how far the scanner has read: history alerts nobody
    batches: int  # batches read for the first time
    alerted: int
    refused: int  # alerts the access decision did not let through


@dataclass(frozen=True)
class _News:
    """One thing a household's workers should know, before the decision says what of it each may be told."""

    household_id: str
    person_id: str
    agency_id: uuid.UUID
    kind: str
    about: str
    category: str
    detail_category: str | None
    row: RegisterEvent | RegisterInvolvement


def notify(
    db: Session,
    *,
    username: str,
    household_id: str,
    kind: str,
    about: str,
    summary: str,
    occurred_on: date | None,
    at: datetime,
    decision_position: int | None,
) -> Alert | None:
    """Put an alert in the worker's inbox, unless one about the same thing is there already (then None)."""
    if _already(db, username, about):
        return None
    alert = Alert(
        username=username,
        household_id=household_id,
        kind=kind,
        about=about,
        summary=summary,
        occurred_on=occurred_on,
        created_at=at,
        decision_position=decision_position,
        read_at=None,
    )
    db.add(alert)
    db.flush()
    return alert


def _already(db: Session, username: str, about: str) -> bool:
    return db.scalar(select(Alert.id).where(Alert.username == username, Alert.about == about)) is not None


# ---------------------------------------------------------------- the scanner


def scan(db: Session, *, data_dir: Path, at: datetime) -> ScanResult:
    """Alert the workers around each household to what the batches not yet scanned brought, once the register
    holds them."""
    loaded = batches_loaded(db)
    mark = db.get(AlertScan, SCAN_ROW)
    if mark is None:
        db.add(AlertScan(id=SCAN_ROW, link_run=_register_run(db) or 0, scanned_at=at))
        _mark_scanned(db, set(loaded))
        return ScanResult(first=True, batches=0, alerted=0, refused=0)
    new = (_registered_batches(db, data_dir) & set(loaded)) - _scanned(db)
    if not new:
        # Nothing to write: a scan that commits every round would race the pages' own writes on SQLite.
        return ScanResult(first=False, batches=0, alerted=0, refused=0)
    alerted = refused = 0
    workers = workers_around(db)
    users = _users(db, {username for usernames in workers.values() for username in usernames})
    agencies = {agency.id: agency for agency in core.list_agencies(db)}
    for news in _news(db, new, workers.keys()):
        for username in sorted(workers[news.household_id]):
            user = users.get(username)
            if user is None or _already(db, username, news.about):
                continue
            told = _tell(db, data_dir, user, news, agencies[news.agency_id].name, at)
            alerted, refused = alerted + told, refused + (not told)
    _mark_scanned(db, new)
    mark.link_run = _register_run(db) or mark.link_run
    mark.scanned_at = at
    db.flush()
    return ScanResult(first=False, batches=len(new), alerted=alerted, refused=refused)


def batches_loaded(db: Session) -> dict[uuid.UUID, datetime]:
    """When each ingest batch of the place was loaded."""
    return {
        batch.id: batch.loaded_at
        for source in sources.list_sources(db)
        for batch in sources.batches_of(db, source)
    }


def _scanned(db: Session) -> set[uuid.UUID]:
    return set(db.scalars(select(AlertScannedBatch.batch_id)))


def _mark_scanned(db: Session, batches: set[uuid.UUID]) -> None:
    db.add_all(AlertScannedBatch(batch_id=batch) for batch in sorted(batches))
    db.flush()


def _register_run(db: Session) -> int | None:
    return db.scalar(select(RegisterState.link_run).limit(1))


def _registered_batches(db: Session, data_dir: Path) -> set[uuid.UUID]:
    """The batches the register holds: those the linkage run it was built from read, while that run is the
    latest (a register behind the latest run waits to be rebuilt before its news is read)."""
    state = db.scalars(select(RegisterState).limit(1)).first()
    if state is None:
        return set()
    run = identity.latest_run(db)
    if run is None:
        return {batch for batch, loaded_at in batches_loaded(db).items() if loaded_at <= state.rebuilt_at}
    if run.sequence != state.link_run:
        return set()
    return set(identity.batches_read(db, Lake.in_data_dir(data_dir), run))


def significant_events(db: Session) -> dict[str, str]:
    """The event types that alert, with how an alert names them, as the place's settings hold them."""
    return settings.significant_events(db)


def _news(db: Session, batches: set[uuid.UUID], households: Iterable[str]) -> list[_News]:
    watched = set(households)
    if not batches or not watched:
        return []
    sectors = {agency.id: agency.sector for agency in core.list_agencies(db)}
    return [
        *_new_events(db, batches, watched, sectors),
        *_new_involvements(db, batches, watched),
    ]


def _new_events(
    db: Session, batches: set[uuid.UUID], watched: set[str], sectors: dict[uuid.UUID, str]
) -> list[_News]:
    events = db.scalars(
        select(RegisterEvent)
        .where(RegisterEvent.batch_id.in_(batches), RegisterEvent.type.in_(significant_events(db)))
        .order_by(RegisterEvent.occurred_on, RegisterEvent.id)
    )
    news = []
    for event in events:
        if event.household_id not in watched:
            continue
        category = framework.event_category(sectors[event.agency_id])
        news.append(
            _News(
                household_id=event.household_id,
                person_id=event.person_id,
                agency_id=event.agency_id,
                kind=SIGNIFICANT_EVENT,
                # One incident recorded for two members of the household is one alert.
                about="event:"
                + _digest(
                    event.household_id,
                    event.source,
                    event.type,
                    event.occurred_on.isoformat(),
                    event.reference or event.record_id,
                ),
                category=category,
                detail_category="event_detail" if category == framework.EVENT_CATEGORY else category,
                row=event,
            )
        )
    return news


def _new_involvements(db: Session, batches: set[uuid.UUID], watched: set[str]) -> list[_News]:
    """Involvements in the new batches of an agency with a household where it had none in an earlier batch."""
    arrived = db.scalars(
        select(RegisterInvolvement)
        .where(RegisterInvolvement.batch_id.in_(batches), RegisterInvolvement.household_id.is_not(None))
        .order_by(RegisterInvolvement.started_on, RegisterInvolvement.id)
    )
    first: dict[tuple[str, uuid.UUID], RegisterInvolvement] = {}
    for involvement in arrived:
        if involvement.household_id in watched:
            first.setdefault((involvement.household_id, involvement.agency_id), involvement)
    return [
        _News(
            household_id=household_id,
            person_id=involvement.person_id,
            agency_id=agency_id,
            kind=NEW_INVOLVEMENT,
            about=f"involvement:{household_id}:{agency_id}",
            category="involvement",
            detail_category=None,
            row=involvement,
        )
        for (household_id, agency_id), involvement in first.items()
        if not _involved_before(db, household_id, agency_id, batches)
    ]


def _involved_before(db: Session, household_id: str, agency_id: uuid.UUID, batches: set[uuid.UUID]) -> bool:
    earlier = select(func.count()).where(
        RegisterInvolvement.household_id == household_id,
        RegisterInvolvement.agency_id == agency_id,
        RegisterInvolvement.batch_id.not_in(batches),
    )
    return bool(db.scalar(earlier))


def _tell(db: Session, data_dir: Path, user: User, news: _News, provider: str, at: datetime) -> bool:
    """Ask the decision for this worker (one logged decision) and alert with only what it released."""
    viewer = access.viewer_of(user)
    categories = (
        (news.category,) if news.detail_category in (None, news.category) else (news.category, "event_detail")
    )
    sight = access.see(
        db,
        data_dir=data_dir,
        viewer=viewer,
        working=access.Working(PURPOSE),
        subject=Subject("household", news.household_id),
        categories=categories,
        at=at,
    )
    if not sight.shows(news.category, provider=provider, person_id=news.person_id):
        return False
    own = provider == sight.agency

    def shown(category: str | None, name: str) -> bool:
        return category is not None and (own or sight.field_shown(category, name))

    if isinstance(news.row, RegisterEvent):
        summary, occurred_on = _event_summary(db, news.row, provider, news, shown)
    else:
        summary, occurred_on = _involvement_summary(news.row, provider, shown)
    notify(
        db,
        username=user.username,
        household_id=news.household_id,
        kind=news.kind,
        about=news.about,
        summary=summary,
        occurred_on=occurred_on,
        at=at,
        decision_position=sight.position,
    )
    return True


def _event_summary(
    db: Session, event: RegisterEvent, provider: str, news: _News, shown: _Shown
) -> tuple[str, date | None]:
    label = significant_events(db).get(event.type) if shown(news.category, "event.type") else None
    what = _with_article(label.lower()) if label else "an event"
    when = event.occurred_on if shown(news.category, "event.date") else None
    summary = f"{provider} recorded {what}" + (f" on {when:%-d %B %Y}" if when else "")
    if event.detail and shown(news.detail_category, "event.detail"):
        summary += f": {event.detail.strip()}"
    return _sentence(summary), when


def _involvement_summary(
    involvement: RegisterInvolvement, provider: str, shown: _Shown
) -> tuple[str, date | None]:
    kind = involvement.type if shown("involvement", "involvement.type") else None
    since = involvement.started_on if shown("involvement", "involvement.start") else None
    summary = f"{provider} began working with the household" + (
        f" ({kind.replace('_', ' ')})" if kind else ""
    )
    return summary + (f" on {since:%-d %B %Y}" if since else "") + ".", since


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def _with_article(words: str) -> str:
    return f"{'an' if words[:1] in 'aeiou' else 'a'} {words}"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


# ---------------------------------------------------------------- who works with a household


def workers_around(db: Session) -> dict[str, set[str]]:
    """Household id to the usernames of the workers around it: the lead professional, the workers named in the
    open plan's open actions, the invitees of its meetings, and who made or accepted a referral for it."""
    around: dict[str, set[str]] = defaultdict(set)
    leads = select(LeadProfessional.household_id, LeadProfessional.username).where(
        LeadProfessional.ended_at.is_(None)
    )
    actions = (
        select(Plan.household_id, PlanAction.worker_username)
        .join(PlanNeed, PlanNeed.plan_id == Plan.id)
        .join(PlanAction, PlanAction.need_id == PlanNeed.id)
        .where(Plan.status == "open", PlanAction.status == "open", PlanAction.worker_username.is_not(None))
    )
    invitees = (
        select(Meeting.household_id, MeetingInvitee.username)
        .join(MeetingInvitee, MeetingInvitee.meeting_id == Meeting.id)
        .where(MeetingInvitee.username.is_not(None))
    )
    referrers = select(Referral.household_id, Referral.from_username).where(
        Referral.household_id.is_not(None)
    )
    acceptors = select(Referral.household_id, Referral.responded_by).where(
        Referral.household_id.is_not(None), Referral.status == "accepted"
    )
    for query in (leads, actions, invitees, referrers, acceptors):
        for household_id, username in db.execute(query):
            if household_id and username:
                around[household_id].add(username)
    return dict(around)


def _users(db: Session, usernames: set[str]) -> dict[str, User]:
    found = (core.find_user(db, username) for username in sorted(usernames))
    return {user.username: user for user in found if user is not None and user.is_active}


# ---------------------------------------------------------------- the inbox


def inbox(db: Session, *, username: str) -> list[Alert]:
    """The worker's alerts: unread first, newest first."""
    return list(
        db.scalars(
            select(Alert)
            .where(Alert.username == username)
            .order_by(Alert.read_at.is_not(None), Alert.created_at.desc(), Alert.id)
            .limit(INBOX_SIZE)
        )
    )


def mark_read(db: Session, *, alert_id: uuid.UUID, username: str, at: datetime) -> Alert:
    alert = db.get(Alert, alert_id)
    if alert is None or alert.username != username:
        raise NotFoundError("There is no such alert in your inbox.", fix="Go back to your alerts.")
    if alert.read_at is None:
        alert.read_at = at
        db.flush()
    return alert


def unread_count(db: Session, username: str) -> int:
    unread = select(func.count()).where(Alert.username == username, Alert.read_at.is_(None))
    return db.scalar(unread) or 0
