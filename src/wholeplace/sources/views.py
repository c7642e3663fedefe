"""Pages of the sources domain: each source, its loads, quality and quarantine, a file upload, and registering
a source with its mapping."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from wholeplace.core import service as core
from wholeplace.core.errors import IngestError, NotFoundError, WholeplaceError
from wholeplace.core.roles import AgencyKind, Role, Sector
from wholeplace.sources import profile, service
from wholeplace.sources.lake import Lake
from wholeplace.sources.mapping import Mapping, parse_mapping
from wholeplace.sources.models import Batch, Source
from wholeplace.sources.standard import ENTITIES
from wholeplace.web.access import Viewer, allow
from wholeplace.web.disclosure import Asked, disclose
from wholeplace.web.pagination import pagination
from wholeplace.web.requests import CurrentViewer, Db, Form, Now, choice, field
from wholeplace.web.templating import NavigationEntry, render
from wholeplace.web.uploads import (
    UNSAFE_IN_FILE_NAME,
    UPLOAD_INTERRUPTED,
    UploadRoute,
    safe_file_name,
    saved_upload,
)

ANALYST = frozenset({Role.ANALYST})
NAVIGATION = [NavigationEntry("Sources", "/sources", ANALYST)]

QUARANTINE_PAGE_SIZE = 50
DATA_QUALITY_PURPOSE = "record_linkage"
RAW_ROW_CATEGORIES = ("identity", "identifiers", "contact")  # what a person row set aside may hold
ENTITY_LABELS = {
    "person": "People",
    "spend_line": "Spend lines",
    "involvement": "Involvements",
    "event": "Events",
    "relationship": "Relationships",
}
REASON_LABELS = {
    "no_record_id": "No record id",
    "nothing_identifies": "Nothing identifies anyone",
    "malformed": "Malformed row",
    "duplicate_record_id": "Record id used twice",
    "no_amount": "No amount",
}
MAX_MAPPING_BYTES = 1 << 20
PASTED_MAPPING = "Pasted mapping"
# Addresses under /sources/ that are pages of their own, so no source may take them for its name.
REGISTRATION_OUTCOMES = ("registered", "remapped", "unchanged")

router = APIRouter()


# ---------------------------------------------------------------- the sources


@router.get("/sources", response_class=HTMLResponse)
@allow(Role.ANALYST)
def sources_page(request: Request, db: Db) -> Response:
    rows = service.source_overviews(db)
    return render(
        request, "sources/index.html", {"title": "Sources", "rows": rows, "entity_labels": ENTITY_LABELS}
    )


# ---------------------------------------------------------------- uploading a file (before /sources/{name})


@router.get("/sources/upload", response_class=HTMLResponse)
@allow(Role.ANALYST)
def upload_page(request: Request, db: Db, source: str = "") -> Response:
    return _upload_form(request, db, chosen=source)


@allow(Role.ANALYST)
def upload(request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form) -> Response:
    """Load an uploaded file into a source, the same way the command line loads one: all or nothing, once.

    The form parser has already spooled the file (to disk beyond a megabyte); it is copied in blocks to the
    data directory, loaded from there and deleted whatever happens. An upload cut short has no file part at all
    (the form puts the file last), which is how it is told from a form sent without a file chosen."""
    chosen = field(data, "source")
    if "file" not in data:
        return _upload_form(request, db, chosen=chosen, errors={"file": UPLOAD_INTERRUPTED})
    uploaded = data["file"]
    try:
        errors = _upload_mistakes(db, chosen, uploaded)
        if errors or not isinstance(uploaded, UploadFile):
            return _upload_form(request, db, chosen=chosen, errors=errors)
        settings = request.app.state.settings
        # A savepoint, so a refused file undoes only its own load and the request's other work stands.
        with saved_upload(uploaded, settings.data_dir) as path, db.begin_nested():
            result = service.ingest_file(
                db,
                source_name=chosen,
                path=path,
                lake=Lake.in_data_dir(settings.data_dir),
                by=_loaded_by(viewer),
                now=now,
                file_name=path.name,
            )
    except WholeplaceError as error:
        return _upload_form(request, db, chosen=chosen, errors={"file": str(error)})
    finally:
        if isinstance(uploaded, UploadFile):
            uploaded.file.close()
    outcome = "already" if result.duplicate_of is not None else "loaded"
    return RedirectResponse(f"/sources/{quote(chosen)}?{outcome}={result.batch_id}", status_code=303)


router.add_api_route(
    "/sources/upload",
    upload,
    methods=["POST"],
    response_class=HTMLResponse,
    route_class_override=UploadRoute,
)


def _upload_mistakes(db: Session, chosen: str, uploaded: UploadFile | str) -> dict[str, str]:
    errors = {}
    if not chosen or service.find_source(db, chosen) is None:
        errors["source"] = "Choose the source the file is for"
    if not isinstance(uploaded, UploadFile) or not uploaded.filename:
        errors["file"] = "Choose the file to upload"
    return errors


def _loaded_by(viewer: Viewer) -> str:
    return f"{viewer.full_name} ({viewer.username})"


def _upload_form(
    request: Request, db: Session, *, chosen: str, errors: dict[str, str] | None = None
) -> Response:
    title = "Upload a file"
    context = {
        "title": f"Error: {title}" if errors else title,
        "sources": service.list_sources(db),
        "chosen": chosen,
        "errors": errors or {},
    }
    return render(request, "sources/upload.html", context, status_code=400 if errors else 200)


# ---------------------------------------------------------------- registering a source (before /sources/{name})


@router.get("/sources/new", response_class=HTMLResponse)
@allow(Role.ANALYST)
def register_page(request: Request) -> Response:
    return _register_form(request, values={})


@allow(Role.ANALYST)
def register(request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form) -> Response:
    """Register a source with its mapping, or give a registered one a new mapping, as `wholeplace sources add`
    does. The mapping comes as a file or pasted; the agency's kind and sector count only for a new agency."""
    values = {name: field(data, name) for name in ("kind", "sector")}
    values["mapping_text"] = _pasted(data)
    where = "mapping_file"
    try:
        mapping, where = _given_mapping(data)
        kind = choice(data, "kind", AgencyKind, label="kind of agency")
        sector = choice(data, "sector", Sector, label="sector")
        # A savepoint, so a refused mapping leaves no agency or place behind.
        with db.begin_nested():
            done = service.register_source(
                db, mapping=mapping, kind=kind, sector=sector, by=_loaded_by(viewer), now=now
            )
    except _MappingFormError as mistake:
        return _register_form(request, values=values, errors={mistake.field: mistake.message})
    except WholeplaceError as error:
        named = getattr(error, "field", None)
        at = named if named in ("kind", "sector") else where
        return _register_form(request, values=values, errors={at: str(error)})
    finally:
        uploaded = data.get("mapping_file")
        if isinstance(uploaded, UploadFile):
            uploaded.file.close()
    if done.created_source:
        outcome = "registered"
    elif done.mapping_changed:
        outcome = "remapped"
    else:
        outcome = "unchanged"
    told = {outcome: mapping.version, **({"agency": "added"} if done.created_agency else {})}
    query = urlencode(told)
    return RedirectResponse(f"/sources/{quote(done.source.name, safe='')}?{query}", status_code=303)


router.add_api_route(
    "/sources/new",
    register,
    methods=["POST"],
    response_class=HTMLResponse,
    route_class_override=UploadRoute,
)


class _MappingFormError(Exception):
    """The form's mapping cannot be read, before it is parsed: which field, and what to do."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _pasted(data: FormData) -> str:
    value = data.get("mapping_text")
    return value if isinstance(value, str) else ""


def _given_mapping(data: FormData) -> tuple[Mapping, str]:
    """The mapping the form carries, parsed, and the field it came from (where a fault in it is shown)."""
    uploaded = data.get("mapping_file")
    chosen = uploaded if isinstance(uploaded, UploadFile) and uploaded.filename else None
    pasted = _pasted(data)
    if chosen is not None and pasted.strip():
        raise _MappingFormError(
            "mapping_text",
            "Give the mapping either as a file or pasted in, not both: clear the pasted text to use the file.",
        )
    if chosen is not None:
        where, file_name = "mapping_file", safe_file_name(chosen.filename or "")
        chosen.file.seek(0)
        content = chosen.file.read(MAX_MAPPING_BYTES + 1)
        if len(content) > MAX_MAPPING_BYTES:
            raise _MappingFormError(where, "The mapping file must be smaller than 1 MB.")
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _MappingFormError(where, f"{file_name} is not a YAML file in UTF-8.") from None
    elif pasted.strip():
        where, file_name, text = "mapping_text", PASTED_MAPPING, pasted
        if len(text.encode("utf-8")) > MAX_MAPPING_BYTES:
            raise _MappingFormError(where, "The mapping must be smaller than 1 MB.")
    else:
        raise _MappingFormError("mapping_file", "Choose the mapping file, or paste the mapping in")
    try:
        mapping = parse_mapping(text, file=file_name)
    except IngestError as error:
        raise _MappingFormError(where, str(error)) from None
    return mapping, where


def _register_form(
    request: Request, *, values: dict[str, str], errors: dict[str, str] | None = None
) -> Response:
    title = "Register a source"
    context = {
        "title": f"Error: {title}" if errors else title,
        "values": {"kind": AgencyKind.PUBLIC.value, "sector": Sector.LOCAL_GOVERNMENT.value, **values},
        "kinds": list(AgencyKind),
        "sectors": list(Sector),
        "max_size": "1 MB",
        "errors": errors or {},
    }
    return render(request, "sources/new.html", context, status_code=400 if errors else 200)


# ---------------------------------------------------------------- one source


@router.get("/sources/{name}", response_class=HTMLResponse)
@allow(Role.ANALYST)
def source_page(request: Request, db: Db, name: str) -> Response:
    source = service.require_source(db, name)
    batches = service.batches_of(db, source)
    latest = batches[0] if batches else None
    entity = ENTITIES.get(source.entity)
    order = [spec.name for spec in entity.fields] if entity else []
    context = {
        "title": f"Source: {source.name}",
        "source": source,
        "entity_label": ENTITY_LABELS.get(source.entity, source.entity),
        "batches": batches,
        "latest": latest,
        "quality": profile.field_quality(service.quality_of(latest), order=order) if latest else [],
        "distributions": _distributions(request, db, source),
        "banner": _banner(request, batches),
        "registration": _registration_banner(request, source),
        "small_count": profile.SMALL_COUNT,
    }
    return render(request, "sources/source.html", context)


def _distributions(request: Request, db: Session, source: Source) -> list[profile.Distribution]:
    batches = [batch for batch in service.lake_batches(db) if batch.source == source.name]
    if not batches:
        return []
    lake = Lake.in_data_dir(request.app.state.settings.data_dir)
    with lake.connect(batches) as connection:
        return profile.distributions(connection, source=source.name, entity=source.entity)


def _banner(request: Request, batches: list[Batch]) -> dict[str, Any] | None:
    """What the upload that led here did, told from the batch it names (never from the address itself)."""
    for outcome in ("loaded", "already"):
        named = request.query_params.get(outcome)
        batch = next((batch for batch in batches if str(batch.id) == named), None)
        if batch is not None:
            return {"outcome": outcome, "batch": batch}
    return None


def _registration_banner(request: Request, source: Source) -> dict[str, Any] | None:
    """What registering the mapping that led here did. The address names the outcome and the mapping's version,
    but the banner is shown only while the source still has that version, and an added agency only when the
    agency was created at the same moment as the source."""
    for outcome in REGISTRATION_OUTCOMES:
        version = request.query_params.get(outcome)
        if version is not None and version == source.mapping_version:
            added_agency = (
                outcome == "registered"
                and request.query_params.get("agency") == "added"
                and source.agency.created_at == source.created_at
            )
            return {"outcome": outcome, "version": version, "added_agency": added_agency}
    return None


# ---------------------------------------------------------------- the quarantine of a batch


@router.get("/sources/{name}/batches/{batch_id}/quarantine", response_class=HTMLResponse)
@allow(Role.ANALYST)
def quarantine_page(
    request: Request,
    db: Db,
    name: str,
    batch_id: uuid.UUID,
    reason: str = "",
    column: str = "",
    page: int = 1,
) -> Response:
    source, batch = _batch_of(db, name, batch_id)
    refused = _refused_unless_own_or_allowed(request, db, source, batch)
    if refused is not None:
        return refused
    where = service.QuarantineFilter(reason=reason or None, column=column or None)
    total = service.count_quarantined(db, batch, where=where)
    pages = max(1, math.ceil(total / QUARANTINE_PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = service.quarantined_rows(
        db, batch, where=where, limit=QUARANTINE_PAGE_SIZE, offset=(page - 1) * QUARANTINE_PAGE_SIZE
    )
    facets = service.quarantine_facets(db, batch)
    filters = {"reason": reason, "column": column}
    base = f"/sources/{quote(source.name)}/batches/{batch.id}/quarantine"
    context = {
        "title": f"Rows set aside from {source.name}, batch {batch.sequence}",
        "source": source,
        "batch": batch,
        "rows": rows,
        "total": total,
        "first": (page - 1) * QUARANTINE_PAGE_SIZE + 1,
        "filtered": bool(reason or column),
        "reason": reason,
        "column": column,
        "reasons": [(value, REASON_LABELS.get(value, value), count) for value, count in facets["reason"]],
        "columns": [(value, count) for value, count in facets["column"] if value],
        "reason_labels": REASON_LABELS,
        "base": base,
        "download": f"{base}.csv{_query(filters)}",
        "pagination": pagination(
            lambda number: base + _query({**filters, "page": number if number > 1 else ""}),
            page=page,
            pages=pages,
            label="Pages of set-aside rows",
        ),
    }
    return render(request, "sources/quarantine.html", context)


@router.get("/sources/{name}/batches/{batch_id}/quarantine.csv")
@allow(Role.ANALYST)
def quarantine_download(
    request: Request, db: Db, name: str, batch_id: uuid.UUID, reason: str = "", column: str = ""
) -> Response:
    """The rows set aside as CSV for the agency to fix; streamed, so a large quarantine is never held whole."""
    source, batch = _batch_of(db, name, batch_id)
    refused = _refused_unless_own_or_allowed(request, db, source, batch)
    if refused is not None:
        return refused
    where = service.QuarantineFilter(reason=reason or None, column=column or None)
    file_name = (
        f"quarantine-{UNSAFE_IN_FILE_NAME.sub('_', source.name).replace(' ', '_')}-{batch.sequence}.csv"
    )
    return StreamingResponse(
        _quarantine_lines(request.app.state.sessions, batch.id, where),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )


def _quarantine_lines(
    sessions: sessionmaker[Session], batch_id: uuid.UUID, where: service.QuarantineFilter
) -> Iterator[str]:
    # The request's own session is closed once the route returns, before the body is sent: the stream has its own.
    with sessions() as db:
        yield from service.quarantine_csv(db, service.get_batch(db, batch_id), where=where)


def _refused_unless_own_or_allowed(
    request: Request, db: Session, source: Source, batch: Batch
) -> Response | None:
    """Rows set aside are the agency's raw data: its own analysts fix them freely; anyone else's analysts only
    through the access decision (for data quality, under a record-linkage agreement), which logs the look."""
    viewer: Viewer = request.state.viewer
    if core.get_agency(db, source.agency_id).name == viewer.agency_name:
        return None
    shown = disclose(
        request,
        db,
        viewer=viewer,
        asked=Asked(
            role=Role.ANALYST,
            purpose=DATA_QUALITY_PURPOSE,
            subject_kind="batch",
            subject_id=str(batch.id),
            categories=RAW_ROW_CATEGORIES,
            case_reference=f"{source.name} batch {batch.sequence}",
        ),
        at=request.app.state.clock(),
    )
    if shown.permitted and shown.categories == frozenset(RAW_ROW_CATEGORIES):
        return None
    context = {
        "title": "You cannot see these rows",
        "reason": shown.reason,
        "position": shown.position,
        "back": f"/sources/{quote(source.name)}",
    }
    return render(request, "disclosure_denied.html", context, status_code=403)


def _batch_of(db: Session, name: str, batch_id: uuid.UUID) -> tuple[Source, Batch]:
    source = service.require_source(db, name)
    batch = service.get_batch(db, batch_id)
    if batch.source_id != source.id:
        raise NotFoundError(f"The source {source.name} has no such batch.")
    return source, batch


def _query(values: dict[str, Any]) -> str:
    kept = {key: value for key, value in values.items() if value}
    return f"?{urlencode(kept)}" if kept else ""
