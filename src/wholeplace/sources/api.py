"""The sources domain's JSON API: agency systems push records into their own sources."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request

from wholeplace.core.models import ApiToken
from wholeplace.core.roles import Scope
from wholeplace.core.schemas import ApiErrorOut
from wholeplace.sources import service
from wholeplace.sources.lake import Lake
from wholeplace.sources.schemas import BatchOut, RecordsIn
from wholeplace.web.access import token_scope
from wholeplace.web.requests import Db, Now

router = APIRouter(
    tags=["sources"],
    responses={
        400: {
            "model": ApiErrorOut,
            "description": "A field the standard lacks, or a source of another agency",
        },
        401: {"model": ApiErrorOut, "description": "No token, or a malformed, unknown or revoked one"},
        403: {"model": ApiErrorOut, "description": "The token lacks the records:push scope"},
        404: {"model": ApiErrorOut, "description": "No such source"},
    },
)


@router.post("/sources/{source}/records", response_model=BatchOut)
@token_scope(Scope.RECORDS_PUSH)
def push_records(source: str, body: RecordsIn, request: Request, db: Db, now: Now) -> BatchOut:
    """Load records into one of the token's agency's sources, as one batch: all or nothing, and the same
    records pushed twice change nothing (`duplicate_of` names the earlier batch)."""
    token: ApiToken = request.state.api_token
    result = service.push_records(
        db,
        source_name=source,
        agency=token.agency,
        records=body.records,
        lake=Lake.in_data_dir(request.app.state.settings.data_dir),
        by=f"API token {token.name} ({token.agency.name})",
        now=now,
    )
    return BatchOut(**result.as_json())
