"""Pages of the sources domain: each source, its loads, quality and quarantine, and a file upload."""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, Request

from wholeplace.core.errors import NotFoundError, WholeplaceError
from wholeplace.core.roles import Role
from wholeplace.sources import profile, service
from wholeplace.sources.lake import Lake
from wholeplace.sources.models import Batch, Source
from wholeplace.sources.standard import ENTITIES
from wholeplace.web.access import Viewer, allow
from wholeplace.web.requests import CurrentViewer, Db, Form, Now, field
from wholeplace.web.templating import NavigationEntry, render

ANALYST = frozenset({Role.ANALYST})
NAVIGATION = [NavigationEntry("Sources", "/sources", ANALYST)]

QUARANTINE_PAGE_SIZE = 50
COPY_BLOCK = 1 << 20
UPLOADS = "uploads"
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
UPLOAD_INTERRUPTED = (
    "The upload did not finish, so nothing was loaded. Check your connection, choose the file again "
    "and upload it."
)
_UNSAFE_IN_FILE_NAME = re.compile(r"[^\w .()-]+")

router = APIRouter()


# ---------------------------------------------------------------- the sources


@router.get("/sources", response_class=HTMLResponse)
@allow(Role.ANALYST)
def sources_page(request: Request, db: Db) -> Response:
    rows = []
    for source in service.list_sources(db):
        batches = service.batches_of(db, source)
        rows.append({"source": source, "last": batches[0] if batches else None, "batches": len(batches)})
    return render(
        request, "sources/index.html", {"title": "Sources", "rows": rows, "entity_labels": ENTITY_LABELS}
    )


# ---------------------------------------------------------------- uploading a file (before /sources/{name})


@router.get("/sources/upload", response_class=HTMLResponse)
@allow(Role.ANALYST)
def upload_page(request: Request, db: Db, source: str = "") -> Response:
    return _upload_form(request, db, chosen=source)


class _UploadRoute(APIRoute):
    """The upload's route. A browser that goes away part-way through sending a file is no fault of the service:
    it is answered (to nobody) with a 400 rather than logged as a crash. Nothing was loaded: the form is read,
    for its token, before the view runs."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_unless_gone(request: Request) -> Response:
            try:
                return await handle(request)
            except ClientDisconnect:
                return PlainTextResponse(UPLOAD_INTERRUPTED, status_code=400)

        return handle_unless_gone


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
        with _saved(uploaded, settings.data_dir / UPLOADS) as path, db.begin_nested():
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
    route_class_override=_UploadRoute,
)


def _upload_mistakes(db: Session, chosen: str, uploaded: UploadFile | str) -> dict[str, str]:
    errors = {}
    if not chosen or service.find_source(db, chosen) is None:
        errors["source"] = "Choose the source the file is for"
    if not isinstance(uploaded, UploadFile) or not uploaded.filename:
        errors["file"] = "Choose the file to upload"
    return errors


@contextmanager
def _saved(uploaded: UploadFile, folder: Path) -> Iterator[Path]:
    """The upload as a file of its own name in a private folder of the data directory, removed afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(dir=folder))
    try:
        path = private / _safe_file_name(uploaded.filename or "")
        with path.open("wb") as copy:
            uploaded.file.seek(0)
            shutil.copyfileobj(uploaded.file, copy, COPY_BLOCK)
        yield path
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _safe_file_name(name: str) -> str:
    """The uploaded file's own name (as its error messages and the batch record give it), made safe to store."""
    base = Path(name.replace("\\", "/")).name
    cleaned = _UNSAFE_IN_FILE_NAME.sub("_", base).strip(" .")
    if len(cleaned) > 200:
        suffix = Path(cleaned).suffix[:20]
        cleaned = cleaned[: 200 - len(suffix)] + suffix
    return cleaned or "upload"


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
        "pagination": _pagination(base, filters, page=page, pages=pages),
    }
    return render(request, "sources/quarantine.html", context)


@router.get("/sources/{name}/batches/{batch_id}/quarantine.csv")
@allow(Role.ANALYST)
def quarantine_download(
    request: Request, db: Db, name: str, batch_id: uuid.UUID, reason: str = "", column: str = ""
) -> Response:
    """The rows set aside as CSV for the agency to fix; streamed, so a large quarantine is never held whole."""
    source, batch = _batch_of(db, name, batch_id)
    where = service.QuarantineFilter(reason=reason or None, column=column or None)
    file_name = (
        f"quarantine-{_UNSAFE_IN_FILE_NAME.sub('_', source.name).replace(' ', '_')}-{batch.sequence}.csv"
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


def _batch_of(db: Session, name: str, batch_id: uuid.UUID) -> tuple[Source, Batch]:
    source = service.require_source(db, name)
    batch = service.get_batch(db, batch_id)
    if batch.source_id != source.id:
        raise NotFoundError(f"The source {source.name} has no such batch.")
    return source, batch


def _query(values: dict[str, Any]) -> str:
    kept = {key: value for key, value in values.items() if value}
    return f"?{urlencode(kept)}" if kept else ""


def _pagination(base: str, filters: dict[str, str], *, page: int, pages: int) -> dict[str, Any] | None:
    """The GOV.UK pagination parameters: the first, last and neighbouring pages, gaps as ellipses."""
    if pages <= 1:
        return None

    def href(number: int) -> str:
        return base + _query({**filters, "page": number if number > 1 else ""})

    items: list[dict[str, Any]] = []
    for number in range(1, pages + 1):
        if number in (1, pages) or abs(number - page) <= 1:
            items.append({"number": number, "href": href(number), "current": number == page})
        elif items and not items[-1].get("ellipsis"):
            items.append({"ellipsis": True})
    return {
        "items": items,
        "previous": {"href": href(page - 1)} if page > 1 else None,
        "next": {"href": href(page + 1)} if page < pages else None,
        "landmarkLabel": "Pages of set-aside rows",
    }
