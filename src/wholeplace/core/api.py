"""The foundation's JSON API for agency systems."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request

from wholeplace.core import service
from wholeplace.core.models import Agency, ApiToken
from wholeplace.core.roles import Scope
from wholeplace.core.schemas import AgencyOut, ApiErrorOut, PlaceOut, TokenIdentityOut
from wholeplace.web.access import token_scope
from wholeplace.web.requests import Db

REFUSALS: dict[int | str, dict[str, object]] = {
    401: {"model": ApiErrorOut, "description": "No token, or a malformed, unknown or revoked one"},
    403: {"model": ApiErrorOut, "description": "The token lacks the scope this operation needs"},
}

router = APIRouter(tags=["place"], responses=REFUSALS)


@router.get("/place", response_model=PlaceOut)
@token_scope(Scope.PLACE_READ)
def read_place(db: Db) -> PlaceOut:
    """The place and its agencies."""
    place = service.require_place(db)
    agencies = [_agency(agency) for agency in service.list_agencies(db)]
    return PlaceOut(id=place.id, name=place.name, agencies=agencies)


@router.get("/whoami", response_model=TokenIdentityOut)
@token_scope(None)
def whoami(request: Request) -> TokenIdentityOut:
    """The agency and scopes of the token making the request."""
    token: ApiToken = request.state.api_token
    return TokenIdentityOut(agency=_agency(token.agency), token_name=token.name, scopes=token.scope_list)


def _agency(agency: Agency) -> AgencyOut:
    return AgencyOut(id=agency.id, name=agency.name, kind=agency.kind, sector=agency.sector)
