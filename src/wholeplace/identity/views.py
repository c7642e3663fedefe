"""Pages of the identity domain, for analysts: the quality of the latest linkage and the place's thresholds, the
review queue, one pair with the weights that scored it and a decision on it, and one person with links to undo.

There is deliberately no page listing people: an analyst reaches a person from a pair, a household or a history.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import quote, urlencode

import altair as alt
import duckdb
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.requests import Request

from wholeplace.core.errors import InvalidInputError, NotFoundError, WholeplaceError
from wholeplace.core.roles import Role
from wholeplace.identity import bands, reading, service
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake
from wholeplace.web.access import Viewer, allow
from wholeplace.web.disclosure import Asked, Shown, disclose
from wholeplace.web.pagination import pagination
from wholeplace.web.requests import CurrentViewer, Db, Form, Now, field
from wholeplace.web.templating import NavigationEntry, render

ANALYST = frozenset({Role.ANALYST})
NAVIGATION = [NavigationEntry("Linkage", "/linkage", ANALYST)]

QUEUE_PAGE_SIZE = 25
LINKAGE_PURPOSE = "record_linkage"
LINKAGE_CATEGORIES = ("identity", "identifiers", "contact")  # what a reviewer compares
DECISION_LABELS = {
    service.SAME: "Same person",
    service.DIFFERENT: "Different people",
    service.NOT_SURE: "Not sure",
}
BAND_LABELS = {bands.AUTO: "Linked", bands.REVIEW: "For review", bands.NO_LINK: "Not linked"}
# GOV.UK colours: green, orange and dark grey for the bands; green and red for weights for and against a match.
BAND_COLOURS = {bands.AUTO: "#00703c", bands.REVIEW: "#f47738", bands.NO_LINK: "#505a5f"}
STEP_COLOURS = {
    "Starting point": "#1d70b8",
    "For a match": "#00703c",
    "Against a match": "#d4351c",
    "Total": "#0b0c0c",
}
CHART_FONT = "arial, sans-serif"
FIELD_LABELS = {
    "given_name": "Given name",
    "middle_names": "Middle names",
    "family_name": "Family name",
    "previous_family_names": "Previous family names",
    "date_of_birth": "Date of birth",
    "sex": "Sex",
    "address_line_1": "Address",
    "address_line_2": "Address line 2",
    "locality": "Locality",
    "town": "Town",
    "postcode": "Postcode",
    "country": "Country",
    "uprn": "UPRN",
    "phone": "Phone",
    "email": "Email",
    "nhs_number": "NHS number",
    "ni_number": "National insurance number",
    "upn": "Unique pupil number",
}
COMPARISON_LABELS = {
    **FIELD_LABELS,
    "middle_name": "Middle name",
    "address": "Address",
}
NOT_LINKED_YET = "The place's records have not been linked yet."

router = APIRouter()


# ---------------------------------------------------------------- the quality of the latest linkage


@router.get("/linkage", response_class=HTMLResponse)
@allow(Role.ANALYST)
def quality_page(request: Request, db: Db, relinked: int = 0) -> Response:
    return _quality_page(request, db, values={}, relinked=relinked)


@router.post("/linkage/thresholds", response_class=HTMLResponse)
@allow(Role.ANALYST)
def set_thresholds(request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form) -> Response:
    """Set the place's own thresholds, or give the choice back to the model, and link again with them."""
    values = {name: field(data, name) for name in ("chooser", "upper", "lower", "reason")}
    errors, upper, lower = _threshold_mistakes(values)
    if errors:
        return _quality_page(request, db, values=values, errors=errors)
    actor = _actor(viewer, now)
    try:
        # A savepoint, so thresholds the re-linking refuses are not kept either.
        with db.begin_nested():
            service.set_thresholds(db, upper, lower, values["reason"], actor=actor)
            service.relink(db, _lake(request), actor=actor)
    except InvalidInputError as error:
        at = error.field if error.field in ("upper", "lower", "reason") else "chooser"
        return _quality_page(request, db, values=values, errors={at: str(error)})
    run = service.latest_run(db)
    return RedirectResponse(f"/linkage?relinked={run.sequence if run else 0}", status_code=303)


def _threshold_mistakes(values: dict[str, str]) -> tuple[dict[str, str], float | None, float | None]:
    errors: dict[str, str] = {}
    upper = lower = None
    if values["chooser"] not in ("model", "place"):
        errors["chooser"] = "Select who chooses the thresholds"
    elif values["chooser"] == "place":
        upper = _probability(values["upper"])
        lower = _probability(values["lower"])
        if upper is None:
            errors["upper"] = "Enter the upper threshold as a number between 0 and 1, like 0.95"
        if lower is None:
            errors["lower"] = "Enter the lower threshold as a number between 0 and 1, like 0.5"
    if not values["reason"]:
        errors["reason"] = "Enter why the thresholds change"
    return errors, upper, lower


def _probability(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0 < value < 1 else None


def _quality_page(
    request: Request,
    db: Session,
    *,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    relinked: int = 0,
) -> Response:
    quality = reading.quality(db, _lake(request))
    title = "Linkage"
    context: dict[str, Any] = {
        "title": f"Error: {title}" if errors else title,
        "quality": quality,
        "errors": errors or {},
        "values": values,
        "relinked": quality is not None and relinked == quality.run.sequence,
        "band_labels": BAND_LABELS,
        "not_linked_yet": NOT_LINKED_YET,
    }
    if quality is not None:
        run = quality.run
        context["weights"] = {"upper": _weight(run.upper), "lower": _weight(run.lower)}
        context["weight_chart"] = _weight_chart(quality)
        context["values"] = {
            "chooser": run.thresholds_from,
            "upper": f"{run.upper:.4f}",
            "lower": f"{run.lower:.4f}",
            **values,
        }
    return render(request, "identity/quality.html", context, status_code=400 if errors else 200)


def _weight(probability: float) -> float:
    """The match weight at which Splink scores this probability of a match."""
    return math.log2(probability / (1 - probability))


# ---------------------------------------------------------------- the review queue


@router.get("/linkage/review", response_class=HTMLResponse)
@allow(Role.ANALYST)
def queue_page(request: Request, db: Db, queue: str = "", page: int = 1, decided: str = "") -> Response:
    lake = _lake(request)
    with _lake_view(lake, db) as connection:
        waiting = reading.review_queue(db, lake, connection, reason=queue, page=page, size=QUEUE_PAGE_SIZE)
        banner = _decided_banner(db, lake, connection, decided)
    rows = [replace(row, left=_unnamed(row.left), right=_unnamed(row.right)) for row in waiting.rows]
    waiting = replace(waiting, rows=rows)
    context = {
        "title": "Pairs to review",
        "queue": waiting,
        "reason": queue,
        "banner": banner,
        "decision_labels": DECISION_LABELS,
        "linked": service.latest_run(db) is not None,
        "not_linked_yet": NOT_LINKED_YET,
        "pagination": pagination(
            lambda number: "/linkage/review" + _query(queue=queue, page=number if number > 1 else ""),
            page=waiting.page,
            pages=waiting.pages,
            label="Pages of the review queue",
        ),
    }
    return render(request, "identity/queue.html", context)


def _query(**values: Any) -> str:
    kept = {key: value for key, value in values.items() if value}
    return f"?{urlencode(kept)}" if kept else ""


def _decided_banner(
    db: Session, lake: Lake, connection: duckdb.DuckDBPyConnection, decided: str
) -> reading.DecidedPair | None:
    """What the decision that led here was, told from the pair it names (never from the address itself)."""
    pair_id = _uuid(decided)
    found = reading.decided_pair(db, lake, connection, pair_id) if pair_id else None
    return replace(found, left=_unnamed(found.left), right=_unnamed(found.right)) if found else None


def _unnamed(ref: reading.RecordRef) -> reading.RecordRef:
    """A record as a list may name it without a decision: by its source and key, not the person's name."""
    return replace(ref, name="")


# ---------------------------------------------------------------- one pair


@router.get("/linkage/review/{pair_id}", response_class=HTMLResponse)
@allow(Role.ANALYST)
def pair_page(request: Request, db: Db, pair_id: str, queue: str = "", decided: str = "") -> Response:
    return _pair_page(request, db, _pair_id(pair_id), queue=queue, decided=decided, values={})


@router.post("/linkage/review/{pair_id}", response_class=HTMLResponse)
@allow(Role.ANALYST)
def decide(request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, pair_id: str) -> Response:
    """Record a decision on the pair and re-link at once, then go on to the next pair of the queue."""
    chosen = _pair_id(pair_id)
    values = {name: field(data, name) for name in ("decision", "reason", "queue")}
    errors = {}
    if values["decision"] not in DECISION_LABELS:
        errors["decision"] = "Select whether the two records are the same person"
    if not values["reason"]:
        errors["reason"] = "Enter the reason for your decision"
    if errors:
        return _pair_page(request, db, chosen, queue=values["queue"], values=values, errors=errors)
    lake = _lake(request)
    try:
        with db.begin_nested():
            service.decide(db, lake, chosen, values["decision"], values["reason"], actor=_actor(viewer, now))
    except NotFoundError as error:
        context = {"title": "This pair is no longer waiting for review", "problem": error.problem}
        return render(request, "identity/pair_gone.html", context, status_code=409)
    except InvalidInputError as error:
        errors = {error.field if error.field in ("decision", "reason") else "decision": str(error)}
        return _pair_page(request, db, chosen, queue=values["queue"], values=values, errors=errors)
    following = reading.next_pair(db, reason=values["queue"], after=chosen)
    target = f"/linkage/review/{following}" if following else "/linkage/review"
    return RedirectResponse(target + _query(queue=values["queue"], decided=chosen), status_code=303)


def _pair_page(
    request: Request,
    db: Session,
    pair_id: uuid.UUID,
    *,
    queue: str,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    decided: str = "",
) -> Response:
    lake = _lake(request)
    with _lake_view(lake, db) as connection:
        pair = reading.review_pair(db, lake, connection, pair_id)
        banner = _decided_banner(db, lake, connection, decided)
    shown = _disclosed(
        request,
        db,
        people=[record.person_id or record.key for record in (pair.left, pair.right)],
        case_reference=f"review pair {pair_id}",
    )
    if isinstance(shown, Response):
        return shown
    pair = replace(pair, fields=[one for one in pair.fields if one.field in shown.fields])
    title = f"Pair to review: {pair.left.source} {pair.left.record_id} and {pair.right.source} {pair.right.record_id}"
    context = {
        "title": f"Error: {title}" if errors else title,
        "pair": pair,
        "queue": queue,
        "banner": banner,
        "values": values,
        "errors": errors or {},
        "field_labels": FIELD_LABELS,
        "shown": _shown,
        "comparison_labels": COMPARISON_LABELS,
        "decision_labels": DECISION_LABELS,
        "waterfall_chart": _waterfall_chart(pair.waterfall),
    }
    return render(request, "identity/pair.html", context, status_code=400 if errors else 200)


def _pair_id(text: str) -> uuid.UUID:
    found = _uuid(text)
    if found is None:
        raise NotFoundError("There is no such pair to review.", fix="Go back to the review queue.")
    return found


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


# ---------------------------------------------------------------- one person


@router.get("/linkage/people/{person_id}", response_class=HTMLResponse)
@allow(Role.ANALYST)
def person_page(request: Request, db: Db, person_id: str, moved: str = "", left: str = "") -> Response:
    return _person_page(request, db, person_id, moved=moved, left=left)


@router.post("/linkage/people/{person_id}/undo", response_class=HTMLResponse)
@allow(Role.ANALYST)
def undo_link(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, person_id: str
) -> Response:
    """Take one record out of the person and re-link; come back to the person its other records now make."""
    record, reason = field(data, "record"), field(data, "reason")
    lake = _lake(request)
    with _lake_view(lake, db) as connection:
        before = reading.person(db, lake, connection, person_id)
    keys = [one.ref.key for one in before.records]
    if not reason:
        return _person_page(
            request, db, person_id, errors={_reason_id(keys, record): "Enter why the link is wrong"}
        )
    try:
        with db.begin_nested():
            service.undo_link(db, lake, person_id, record, reason, actor=_actor(viewer, now))
    except WholeplaceError as error:
        return _person_page(request, db, person_id, errors={"records": str(error)})
    stayed = [key for key in keys if key != record]
    now_in = reading.people_of(db, lake, stayed)
    here = person_id if person_id in now_in.values() else now_in.get(stayed[0], person_id)
    return RedirectResponse(
        f"/linkage/people/{quote(here)}" + _query(moved=record, left=person_id), status_code=303
    )


def _reason_id(keys: list[str], record: str) -> str:
    """The id of the reason box in the undo form of a record (or of the records table, for a record not here)."""
    return f"reason-{keys.index(record) + 1}" if record in keys else "records"


def _person_page(
    request: Request,
    db: Session,
    person_id: str,
    *,
    moved: str = "",
    left: str = "",
    errors: dict[str, str] | None = None,
) -> Response:
    lake = _lake(request)
    with _lake_view(lake, db) as connection:
        person = reading.person(db, lake, connection, person_id)
        banner = reading.moved_record(db, lake, connection, moved, left=left) if moved else None
    shown = _disclosed(request, db, people=[person_id], case_reference=f"linked person {person_id}")
    if isinstance(shown, Response):
        return shown
    person = replace(
        person,
        records=[
            replace(
                record, fields={name: value for name, value in record.fields.items() if name in shown.fields}
            )
            for record in person.records
        ],
        members=[
            replace(member, records=[_unnamed(ref) for ref in member.records]) for member in person.members
        ],
    )
    title = f"Person {person_id}"
    context = {
        "title": f"Error: {title}" if errors else title,
        "person": person,
        "banner": banner,
        "errors": errors or {},
        "decision_labels": DECISION_LABELS,
        "dwelling": _dwelling(person.dwelling),
        "shown": _shown,
    }
    return render(request, "identity/person.html", context, status_code=400 if errors else 200)


def _shown(value: reading.Value) -> str:
    if isinstance(value, date):
        return value.strftime("%-d %B %Y")
    return value or ""


def _dwelling(key: str | None) -> str:
    """A household's dwelling as linkage keys it ("A:address|postcode" or "U:uprn"), in words."""
    if not key:
        return "Not known"
    kind, _, value = key.partition(":")
    if kind == "U":
        return f"UPRN {value}"
    address, _, postcode = value.partition("|")
    return ", ".join(part for part in (address.title(), postcode) if part)


# ---------------------------------------------------------------- charts (Vega-Lite specs, drawn by app.js)


def _weight_chart(quality: reading.Quality) -> dict[str, Any]:
    """Scored pairs by match weight, stacked by band, with the two thresholds marked."""
    bars = [
        {"from": one.weight, "to": one.weight + 1, "band": BAND_LABELS[band], "pairs": count}
        for one in quality.histogram
        for band, count in ((bands.AUTO, one.link), (bands.REVIEW, one.review), (bands.NO_LINK, one.no_link))
        if count
    ]
    colour = alt.Color(
        "band:N",
        title="Band",
        scale=alt.Scale(domain=list(BAND_LABELS.values()), range=list(BAND_COLOURS.values())),
        legend=alt.Legend(orient="top"),
    )
    histogram = (
        alt.Chart(alt.InlineData(values=bars))
        .mark_bar()
        .encode(
            x=alt.X("from:Q", bin="binned", title="Match weight"),
            x2="to:Q",
            y=alt.Y("pairs:Q", title="Pairs", stack="zero"),
            color=colour,
        )
    )
    # The thresholds are close together: the lower one is labelled on its left, the upper on its right.
    lower = _threshold_rule(_weight(quality.run.lower), "lower threshold", align="right")
    upper = _threshold_rule(_weight(quality.run.upper), "upper threshold", align="left")
    return _spec(
        histogram + lower + upper,
        description="Bar chart of scored pairs by match weight, stacked by band, with the thresholds marked.",
        height=280,
    )


def _threshold_rule(weight: float, label: str, *, align: Literal["left", "right"]) -> alt.LayerChart:
    marked = alt.Chart(alt.InlineData(values=[{"weight": weight, "label": label}])).encode(x="weight:Q")
    rule = marked.mark_rule(strokeDash=[6, 4], color="#0b0c0c")
    text = marked.mark_text(align=align, dx=4 if align == "left" else -4, baseline="top", color="#0b0c0c")
    return alt.LayerChart(layer=[rule, text.encode(y=alt.value(4), text="label:N")])


def _waterfall_chart(waterfall: reading.Waterfall) -> dict[str, Any]:
    """The pair's match weight built up bar by bar: the prior, each comparison, and the total."""
    rows = [_bar("Starting point (prior)", 0.0, waterfall.prior, "Starting point", waterfall.prior)]
    for step in waterfall.steps:
        if math.isfinite(step.start) and math.isfinite(step.end):
            kind = "For a match" if step.weight >= 0 else "Against a match"
            label = COMPARISON_LABELS.get(step.comparison, step.comparison)
            rows.append(_bar(label, step.start, step.end, kind, step.weight))
    rows.append(_bar("Total match weight", 0.0, waterfall.total, "Total", waterfall.total))
    for order, row in enumerate(rows):
        row["order"] = order
    base = alt.Chart(alt.InlineData(values=rows)).encode(
        y=alt.Y(
            "label:N", title=None, sort=alt.EncodingSortField(field="order"), axis=alt.Axis(labelLimit=240)
        )
    )
    bars = base.mark_bar().encode(
        x=alt.X("start:Q", title="Match weight"),
        x2="end:Q",
        color=alt.Color(
            "kind:N",
            title=None,
            scale=alt.Scale(domain=list(STEP_COLOURS), range=list(STEP_COLOURS.values())),
            legend=alt.Legend(orient="top"),
        ),
    )
    values = base.mark_text(align="left", dx=4, color="#0b0c0c").encode(x="tip:Q", text="shown:N")
    zero = alt.Chart(alt.InlineData(values=[{"at": 0}])).mark_rule(color="#505a5f").encode(x="at:Q")
    return _spec(
        bars + values + zero,
        description="Waterfall chart of the pair's match weight: the prior, then each comparison's weight, then the total.",
        height=28 * len(rows),
    )


def _bar(label: str, start: float, end: float, kind: str, weight: float) -> dict[str, Any]:
    return {
        "label": label,
        "start": start,
        "end": end,
        "kind": kind,
        "tip": max(start, end),
        "shown": f"{weight:+.2f}",
    }


def _spec(chart: alt.LayerChart, *, description: str, height: int) -> dict[str, Any]:
    configured = (
        chart.properties(width="container", height=height, description=description)
        .configure(font=CHART_FONT)
        .configure_axis(labelFontSize=14, titleFontSize=14)
        .configure_legend(labelFontSize=14, titleFontSize=14)
        .configure_text(fontSize=13)
        .configure_view(stroke=None)
    )
    spec: dict[str, Any] = configured.to_dict()
    return spec


# ---------------------------------------------------------------- shared


def _lake(request: Request) -> Lake:
    return Lake.in_data_dir(request.app.state.settings.data_dir)


@contextmanager
def _lake_view(lake: Lake, db: Session) -> Iterator[duckdb.DuckDBPyConnection]:
    """The lake's current records, for the names and fields of the records a page shows."""
    with lake.connect(sources.lake_batches(db)) as connection:
        yield connection


def _disclosed(request: Request, db: Session, *, people: list[str], case_reference: str) -> Shown | Response:
    """Ask the access decision for each person whose records the page shows; what it allows, or the refusal."""
    allowed: Shown | None = None
    for person_id in dict.fromkeys(people):
        shown = disclose(
            request,
            db,
            viewer=request.state.viewer,
            asked=Asked(
                role=Role.ANALYST,
                purpose=LINKAGE_PURPOSE,
                subject_kind="person",
                subject_id=person_id,
                categories=LINKAGE_CATEGORIES,
                case_reference=case_reference,
            ),
            at=request.app.state.clock(),
        )
        if not shown.permitted:
            context = {
                "title": "You cannot see these records",
                "reason": shown.reason,
                "position": shown.position,
            }
            return render(request, "disclosure_denied.html", {**context, "back": "/linkage"}, status_code=403)
        allowed = shown if allowed is None else replace(allowed, fields=allowed.fields & shown.fields)
    assert allowed is not None
    return allowed


def _actor(viewer: Viewer, now: datetime) -> service.Actor:
    return service.Actor(f"{viewer.full_name} ({viewer.username})", now)
