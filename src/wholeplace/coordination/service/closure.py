"""Closing a plan and proving that it worked: each need's outcome recorded with its evidence, a sustainment
check scheduled for every outcome achieved, the checks run against the linked data when they fall due (a relapse
alerts the household's lead professional, saying only what the access decision releases), and the outcome-claim
export for results-based funding, one row per need of a closed plan, without names."""

from __future__ import annotations

import calendar
import csv
import io
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from wholeplace.coordination import framework
from wholeplace.coordination.framework import SustainmentRule
from wholeplace.coordination.models import (
    LeadProfessional,
    Plan,
    PlanAction,
    PlanNeed,
    PlanVersion,
    RegisterEvent,
    RegisterInvolvement,
    RegisterRecord,
    SustainmentCheck,
)
from wholeplace.coordination.service import access, alerts, leads, plans, settings
from wholeplace.coordination.service.access import Sight, Working, see
from wholeplace.core import service as core
from wholeplace.core.errors import ConflictError, InvalidInputError
from wholeplace.core.models import Agency
from wholeplace.governance.decision import Subject
from wholeplace.web.access import Viewer

RESULTS = {"achieved": "Achieved", "partly_achieved": "Partly achieved", "not_achieved": "Not achieved"}
CHECKED_RESULTS = frozenset({"achieved", "partly_achieved"})
CLOSED = "closed"
CANCELLED = "cancelled"  # an action that was not done, so its agency did not work with the family
DUE, SUSTAINED, RELAPSED = "due", "sustained", "relapsed"
NOT_CHECKED = "none"
SUSTAINMENT_STATUSES = {
    DUE: "Check due",
    SUSTAINED: "Sustained",
    RELAPSED: "Relapse flagged",
    NOT_CHECKED: "Not checked",
}
CLOSING_FIX = {
    "result": "Choose achieved, partly achieved or not achieved.",
    "evidence": "Say what shows it, for example attendance figures or what the family said.",
    "summary": "Say in a few lines what changed for the family.",
}


NO_RULE_FINDING = "No automatic check for this outcome; confirm with the family"
# Every category a check's findings can come from: the register's events fall in one of three, by sector.
REGISTER_CATEGORIES = ("involvement", "events", "health", "criminal_offence")
ALERT_PURPOSE = "early_help"
CLAIMS_PURPOSE = "outcome_claims"
CLAIM_COLUMNS = (
    "household_id",
    "plan_id",
    "closed_on",
    "outcome_area",
    "outcome_label",
    "result",
    "evidence",
    "sustainment",
    "sustainment_checked_on",
    "findings",
)
WITHHELD = "Findings from other agencies' records are withheld under the agreements in force"


# ---------------------------------------------------------------- closing a plan


@dataclass(frozen=True)
class NeedResult:
    """What a need came to at closure: achieved, partly_achieved or not_achieved, and the evidence for it."""

    result: str
    evidence: str


def close_plan(
    db: Session,
    *,
    plan_id: uuid.UUID,
    results: Mapping[uuid.UUID, NeedResult],
    summary: str,
    by: str,
    at: datetime,
) -> Plan:
    """Close an open plan with every need's outcome and evidence, save the closed plan as a version, and
    schedule a sustainment check for each need achieved in whole or in part."""
    plan = plans.get_plan(db, plan_id)
    needs = needs_to_close(db, plan)
    problems = _closing_problems(plan, needs, results, summary)
    if problems:
        field, problem = next(iter(problems.items()))
        raise InvalidInputError(problem, field=field, fix=CLOSING_FIX.get(field.split("-")[0], ""))
    for need in needs:
        need.result, need.evidence = results[need.id].result, results[need.id].evidence.strip()
    plan.status, plan.closed_by, plan.closed_at, plan.closing_summary = CLOSED, by, at, summary.strip()
    _save_closed_version(db, plan, needs, by=by, at=at)
    due_on = months_after(at.date(), sustainment_months(db))
    for need in needs:
        if need.result in CHECKED_RESULTS:
            db.add(SustainmentCheck(plan_id=plan.id, need_id=need.id, due_on=due_on, status=DUE, findings=[]))
    db.flush()
    return plan


def closing_problems(
    db: Session, *, plan_id: uuid.UUID, results: Mapping[uuid.UUID, NeedResult], summary: str
) -> dict[str, str]:
    """Everything that stops the plan closing as given, by form field (`result-<need id>`,
    `evidence-<need id>`, `summary`); empty when it can close."""
    plan = plans.get_plan(db, plan_id)
    return _closing_problems(plan, needs_to_close(db, plan), results, summary)


def _closing_problems(
    plan: Plan, needs: list[PlanNeed], results: Mapping[uuid.UUID, NeedResult], summary: str
) -> dict[str, str]:
    if plan.status != plans.OPEN:
        raise ConflictError("This plan is already closed.", fix="Open a new plan if the family needs one.")
    problems = {}
    for need in needs:
        given = results.get(need.id)
        if given is None or given.result not in RESULTS:
            problems[f"result-{need.id}"] = (
                f"Select whether the need {_quoted(need.description)} was achieved"
            )
        if given is None or not given.evidence.strip():
            problems[f"evidence-{need.id}"] = (
                f"Enter the evidence for the outcome of the need {_quoted(need.description)}"
            )
    if not summary.strip():
        problems["summary"] = "Enter a summary of how the plan ended"
    return problems


def needs_to_close(db: Session, plan: Plan) -> list[PlanNeed]:
    """The plan's needs in order, leaving out those removed: each needs an outcome to close the plan."""
    return list(
        db.scalars(
            select(PlanNeed)
            .where(PlanNeed.plan_id == plan.id, PlanNeed.removed.is_(False))
            .order_by(PlanNeed.position)
        )
    )


def _save_closed_version(db: Session, plan: Plan, needs: list[PlanNeed], *, by: str, at: datetime) -> None:
    db.flush()
    snapshot = plans.snapshot(plans.contents(db, plan))
    snapshot["closing_summary"] = plan.closing_summary
    snapshot["results"] = {str(need.id): {"result": need.result, "evidence": need.evidence} for need in needs}
    plan.version += 1
    db.add(
        PlanVersion(
            plan_id=plan.id,
            version=plan.version,
            saved_by=by,
            saved_at=at,
            change=f"Closed: {_quoted(plan.closing_summary or '')}",
            snapshot=snapshot,
        )
    )


def _quoted(text: str, length: int = 80) -> str:
    line = " ".join(text.split())
    return f"'{line if len(line) <= length else line[: length - 1] + '…'}'"


def months_after(day: date, months: int) -> date:
    """The same day of the month `months` later, or that month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def sustainment_months(db: Session) -> int:
    """Months after closure that an outcome is checked, as the place's settings hold them."""
    return settings.sustainment_months(db)


def sustainment_rules(db: Session) -> dict[str, SustainmentRule]:
    """What each outcome area's check looks for, as the place's settings hold them."""
    return settings.sustainment_rules(db)


# ---------------------------------------------------------------- what a check finds


@dataclass(frozen=True)
class Finding:
    """One thing a check found, in a plain sentence, with whose record it rests on: `category` None for
    coordination's own conclusion; `provider` None for an absence (no agency's record is open)."""

    sentence: str
    relapse: bool
    category: str | None = None
    provider: str | None = None
    person_id: str | None = None
    occurred_on: date | None = None

    def shown_by(self, sight: Sight) -> bool:
        if self.category is None:
            return True
        if self.provider is None:
            return sight.allows(self.category)
        return sight.shows(self.category, provider=self.provider, person_id=self.person_id)


def findings_for(
    db: Session, *, household_id: str, rule: SustainmentRule | None, closed_on: date, today: date
) -> list[Finding]:
    """What the linked data say about the household's members since the plan closed, against the rule."""
    if rule is None:
        return [Finding(NO_RULE_FINDING, relapse=False)]
    members = select(RegisterRecord.person_id).where(RegisterRecord.household_id == household_id)
    agencies = {agency.id: agency.name for agency in core.list_agencies(db)}
    found = _relapse_events(db, members, rule, closed_on, today, agencies)
    if not found and rule.relapse_events:
        found.append(
            Finding(
                f"No {_event_names(rule.relapse_events)} recorded since the plan closed on {_day(closed_on)}",
                relapse=False,
            )
        )
    if rule.kept_involvements:
        found.append(_kept_involvement(db, members, rule, today, agencies))
    return found


def _relapse_events(
    db: Session,
    members: Select[str],
    rule: SustainmentRule,
    closed_on: date,
    today: date,
    agencies: Mapping[uuid.UUID, str],
) -> list[Finding]:
    # An event carries a day, not a time: one on the day of closure may have been known when the plan closed.
    events = db.scalars(
        select(RegisterEvent)
        .where(
            RegisterEvent.person_id.in_(members),
            RegisterEvent.type.in_(rule.relapse_events),
            RegisterEvent.occurred_on > closed_on,
            RegisterEvent.occurred_on <= today,
        )
        .order_by(RegisterEvent.occurred_on, RegisterEvent.id)
    ).all()
    return [
        Finding(
            f"{_event_label(event.type)} recorded on {_day(event.occurred_on)}",
            relapse=True,
            category=event.category,
            provider=agencies[event.agency_id],
            person_id=event.person_id,
            occurred_on=event.occurred_on,
        )
        for event in events
    ]


def _kept_involvement(
    db: Session, members: Select[str], rule: SustainmentRule, today: date, agencies: Mapping[uuid.UUID, str]
) -> Finding:
    kept = db.scalars(
        select(RegisterInvolvement)
        .where(
            RegisterInvolvement.person_id.in_(members),
            RegisterInvolvement.type.in_(rule.kept_involvements),
            (RegisterInvolvement.started_on.is_(None)) | (RegisterInvolvement.started_on <= today),
            (RegisterInvolvement.ended_on.is_(None)) | (RegisterInvolvement.ended_on >= today),
        )
        .order_by(RegisterInvolvement.id)
        .limit(1)
    ).first()
    names = " or ".join(_humanised(kind) for kind in rule.kept_involvements)
    if kept is None:
        return Finding(
            f"No {names} open for the household on {_day(today)}",
            relapse=True,
            category="involvement",
            occurred_on=today,
        )
    return Finding(
        f"{_humanised(kept.type or '').capitalize()} still open on {_day(today)}",
        relapse=False,
        category="involvement",
        provider=agencies[kept.agency_id],
        person_id=kept.person_id,
    )


def _event_label(kind: str) -> str:
    return framework.SIGNIFICANT_EVENTS.get(kind, _humanised(kind).capitalize())


def _event_names(kinds: Iterable[str]) -> str:
    return " or ".join(_event_label(kind).lower() for kind in kinds)


def _humanised(code: str) -> str:
    return code.replace("_", " ")


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


# ---------------------------------------------------------------- running the checks


def run_due_checks(db: Session, *, data_dir: Path, today: date, at: datetime) -> list[SustainmentCheck]:
    """Run every check due by today, once: sustained or relapsed, with its findings; a relapse alerts the
    household's lead professional (or whoever closed the plan when it has none)."""
    due = db.execute(
        select(SustainmentCheck, Plan, PlanNeed)
        .join(Plan, Plan.id == SustainmentCheck.plan_id)
        .join(PlanNeed, PlanNeed.id == SustainmentCheck.need_id)
        .where(SustainmentCheck.status == DUE, SustainmentCheck.due_on <= today)
        .order_by(SustainmentCheck.due_on, SustainmentCheck.id)
        .with_for_update(of=SustainmentCheck, skip_locked=True)
    ).all()
    rules = sustainment_rules(db)
    areas = plans.outcome_areas(db)
    done = []
    for check, plan, need in due:
        assert plan.closed_at is not None  # only a closing schedules a check
        found = findings_for(
            db,
            household_id=plan.household_id,
            rule=rules.get(need.outcome_area),
            closed_on=plan.closed_at.date(),
            today=today,
        )
        check.findings = [finding.sentence for finding in found]
        check.status = RELAPSED if any(finding.relapse for finding in found) else SUSTAINED
        check.checked_at = at
        db.flush()
        if check.status == RELAPSED:
            label = plans.outcome_label(areas, need.outcome_area)
            _alert_relapse(db, check, plan, label, found, data_dir=data_dir, today=today, at=at)
        done.append(check)
    return done


def _alert_relapse(
    db: Session,
    check: SustainmentCheck,
    plan: Plan,
    area_label: str,
    found: list[Finding],
    *,
    data_dir: Path,
    today: date,
    at: datetime,
) -> None:
    lead = leads.current(db, plan.household_id)
    viewer = viewer_of(db, lead.username if lead is not None else plan.closed_by or "")
    if viewer is None:
        return
    relapses = [finding for finding in found if finding.relapse]
    categories = tuple(sorted({finding.category for finding in relapses if finding.category}))
    sight = see(
        db,
        data_dir=data_dir,
        viewer=viewer,
        working=Working(ALERT_PURPOSE),
        subject=Subject("household", plan.household_id),
        categories=categories,
        at=at,
    )
    shown = [finding.sentence for finding in relapses if finding.shown_by(sight)]
    summary = (
        f"A sustainment check flagged a relapse for {area_label}: {'; '.join(shown)}."
        if shown
        else f"A sustainment check flagged a relapse for {area_label}; open the household to see what you may."
    )
    alerts.notify(
        db,
        username=viewer.username,
        household_id=plan.household_id,
        kind="relapse",
        about=f"relapse:{check.id}",
        summary=summary,
        occurred_on=min((finding.occurred_on or today for finding in relapses), default=today),
        at=at,
        decision_position=sight.position,
    )


def viewer_of(db: Session, username: str) -> Viewer | None:
    """An active user as the access decision sees them, for work done without a signed-in browser."""
    user = core.find_user(db, username) if username else None
    if user is None or not user.is_active:
        return None
    return access.viewer_of(user)


# ---------------------------------------------------------------- reading the checks


@dataclass(frozen=True)
class CheckShown:
    """A check as a page shows it: the need, when it fell due, what it concluded, and the findings the viewer's
    decision releases (`withheld` when some are not)."""

    check: SustainmentCheck
    need: PlanNeed
    closed_on: date
    outcome_label: str
    findings: tuple[str, ...]
    withheld: bool


def checks_of(db: Session, *, household_id: str, sight: Sight) -> list[CheckShown]:
    """The household's sustainment checks, the latest closure first, each with the findings the sight shows."""
    rows = db.execute(
        select(SustainmentCheck, Plan, PlanNeed)
        .join(Plan, Plan.id == SustainmentCheck.plan_id)
        .join(PlanNeed, PlanNeed.id == SustainmentCheck.need_id)
        .where(Plan.household_id == household_id)
        .order_by(Plan.closed_at.desc(), PlanNeed.position)
    ).all()
    areas, rules = plans.outcome_areas(db), sustainment_rules(db)
    shown = []
    for check, plan, need in rows:
        assert plan.closed_at is not None  # only a closing schedules a check
        findings = shown_findings(db, check=check, plan=plan, need=need, rules=rules, sight=sight)
        shown.append(
            CheckShown(
                check=check,
                need=need,
                closed_on=plan.closed_at.date(),
                outcome_label=plans.outcome_label(areas, need.outcome_area),
                findings=tuple(findings),
                withheld=len(findings) < len(check.findings),
            )
        )
    return shown


def shown_findings(
    db: Session,
    *,
    check: SustainmentCheck,
    plan: Plan,
    need: PlanNeed,
    rules: Mapping[str, SustainmentRule],
    sight: Sight,
) -> list[str]:
    """The check's findings that the sight releases. The findings are traced back to the records they rest on
    by finding them again; one that can no longer be traced (the register was rebuilt) is not shown."""
    if check.checked_at is None or plan.closed_at is None:
        return []
    traced = findings_for(
        db,
        household_id=plan.household_id,
        rule=rules.get(need.outcome_area),
        closed_on=plan.closed_at.date(),
        today=check.checked_at.date(),
    )
    released = {finding.sentence for finding in traced if finding.shown_by(sight)}
    return [sentence for sentence in check.findings if sentence in released]


# ---------------------------------------------------------------- outcome claims


@dataclass(frozen=True)
class ClaimRow:
    """One need of a closed plan, as a results-based funding claim lists it: the household by its opaque id."""

    household_id: str
    plan_id: uuid.UUID
    closed_on: date
    outcome_area: str
    outcome_label: str
    result: str
    evidence: str
    sustainment: str
    checked_on: date | None
    findings: tuple[str, ...]


def outcome_claims(db: Session, *, closed_from: date | None, closed_to: date | None) -> list[ClaimRow]:
    """Every need of the plans closed in the period (either end open when None), as found, unfiltered."""
    return [row for row, _ in _claims(db, closed_from, closed_to)]


def _claims(
    db: Session, closed_from: date | None, closed_to: date | None
) -> list[tuple[ClaimRow, tuple[SustainmentCheck, Plan, PlanNeed] | None]]:
    query = (
        select(Plan, PlanNeed, SustainmentCheck)
        .join(PlanNeed, PlanNeed.plan_id == Plan.id)
        .outerjoin(SustainmentCheck, SustainmentCheck.need_id == PlanNeed.id)
        .where(Plan.status == CLOSED, PlanNeed.removed.is_(False))
        .order_by(Plan.closed_at, Plan.household_id, PlanNeed.position)
    )
    if closed_from is not None:
        query = query.where(Plan.closed_at >= datetime.combine(closed_from, time.min, UTC))
    if closed_to is not None:
        query = query.where(Plan.closed_at < datetime.combine(closed_to + timedelta(days=1), time.min, UTC))
    areas = plans.outcome_areas(db)
    found: list[tuple[ClaimRow, tuple[SustainmentCheck, Plan, PlanNeed] | None]] = []
    for plan, need, check in db.execute(query).all():
        assert plan.closed_at is not None
        closed_on = plan.closed_at.date()
        row = ClaimRow(
            household_id=plan.household_id,
            plan_id=plan.id,
            closed_on=closed_on,
            outcome_area=need.outcome_area,
            outcome_label=plans.outcome_label(areas, need.outcome_area),
            result=need.result or "",
            evidence=need.evidence or "",
            sustainment=check.status if check is not None else NOT_CHECKED,
            checked_on=check.checked_at.date() if check is not None and check.checked_at else None,
            findings=tuple(check.findings) if check is not None else (),
        )
        found.append((row, (check, plan, need) if check is not None else None))
    return found


@dataclass(frozen=True)
class ClosedNeed:
    """A need of a closed plan as the outcomes framework rolls it up: no household, only what was reached, whether
    it held, and the names of the agencies that held an action anywhere in the plan."""

    plan_id: uuid.UUID
    closed_on: date
    outcome_area: str
    result: str
    sustainment: str
    agencies: frozenset[str]


def closed_needs(db: Session) -> list[ClosedNeed]:
    """Every need of every closed plan, each with the agencies that worked with the household in the plan: those
    that held an action (not one cancelled) and those whose worker was the family's lead professional while the
    plan was open."""
    actions = (
        select(PlanNeed.plan_id, Agency.name)
        .join(PlanAction, PlanAction.need_id == PlanNeed.id)
        .join(Agency, Agency.id == PlanAction.agency_id)
        .join(Plan, Plan.id == PlanNeed.plan_id)
        .where(Plan.status == CLOSED, PlanAction.status != CANCELLED)
    )
    leads_during = (
        select(Plan.id, Agency.name)
        .join(LeadProfessional, LeadProfessional.household_id == Plan.household_id)
        .join(Agency, Agency.id == LeadProfessional.agency_id)
        .where(
            Plan.status == CLOSED,
            LeadProfessional.started_at <= Plan.closed_at,
            or_(LeadProfessional.ended_at.is_(None), LeadProfessional.ended_at >= Plan.opened_at),
        )
    )
    agencies: dict[uuid.UUID, set[str]] = {}
    for plan_id, agency in db.execute(actions.union(leads_during)):
        agencies.setdefault(plan_id, set()).add(agency)
    return [
        ClosedNeed(
            plan_id=row.plan_id,
            closed_on=row.closed_on,
            outcome_area=row.outcome_area,
            result=row.result,
            sustainment=row.sustainment,
            agencies=frozenset(agencies.get(row.plan_id, ())),
        )
        for row in outcome_claims(db, closed_from=None, closed_to=None)
    ]


@dataclass(frozen=True)
class ClaimsRelease:
    """What the access decision lets an outcome-claim export hold, and the log entry that records it."""

    permitted: bool
    reason: str
    position: int
    rows: tuple[ClaimRow, ...]


def release_claims(
    db: Session,
    *,
    data_dir: Path,
    viewer: Viewer,
    closed_from: date | None,
    closed_to: date | None,
    at: datetime,
) -> ClaimsRelease:
    """Ask the access decision once for the whole export (a batch, logged as one entry); the rows if it
    releases which households the partnership worked with, each finding only where its record is released."""
    sight = see(
        db,
        data_dir=data_dir,
        viewer=viewer,
        working=Working(CLAIMS_PURPOSE),
        subject=Subject("batch", f"outcome-claims:{_iso(closed_from)}:{_iso(closed_to)}"),
        categories=REGISTER_CATEGORIES,
        at=at,
    )
    if not sight.allows("involvement"):
        return ClaimsRelease(False, sight.reason("involvement"), sight.position, ())
    rules = sustainment_rules(db)
    rows = []
    for row, checked in _claims(db, closed_from, closed_to):
        if checked is not None and row.findings:
            check, plan, need = checked
            shown = shown_findings(db, check=check, plan=plan, need=need, rules=rules, sight=sight)
            withheld = (WITHHELD,) if len(shown) < len(row.findings) else ()
            row = replace(row, findings=(*shown, *withheld))
        rows.append(row)
    return ClaimsRelease(True, sight.reason("involvement"), sight.position, tuple(rows))


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def claims_csv(rows: Iterable[ClaimRow]) -> Iterator[str]:
    """The claim as CSV text, a line at a time, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def line(values: Iterable[object]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(CLAIM_COLUMNS)
    for row in rows:
        yield line(
            (
                row.household_id,
                row.plan_id,
                row.closed_on.isoformat(),
                row.outcome_area,
                row.outcome_label,
                row.result,
                row.evidence,
                row.sustainment,
                _iso(row.checked_on),
                "; ".join(row.findings),
            )
        )
