"""Per-request plumbing every route may ask for: the database session, the clock, the viewer, the form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from enum import Enum
from typing import Annotated, TypeVar

from fastapi import Depends
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request

from wholeplace.core.errors import InvalidInputError
from wholeplace.web.access import Viewer

EnumT = TypeVar("EnumT", bound=Enum)


def database(request: Request) -> Iterator[Session]:
    """One session per request, committed when the route finishes without error, before the response goes."""
    with request.app.state.sessions() as db:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise


def now(request: Request) -> datetime:
    clock = request.app.state.clock
    moment: datetime = clock()
    return moment


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def viewer(request: Request) -> Viewer:
    """The signed-in viewer; the access guard has already refused anyone else."""
    signed_in: Viewer = request.state.viewer
    return signed_in


async def form(request: Request) -> FormData:
    return await request.form()


def field(data: FormData, name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def choice(data: FormData, name: str, kind: type[EnumT], *, label: str) -> EnumT:
    """A form value that must be one of an enumeration's values."""
    try:
        return kind(field(data, name))
    except ValueError as error:
        raise InvalidInputError(
            f"Select the {label}.", field=name, fix=f"Choose a {label} from the list."
        ) from error


Db = Annotated[Session, Depends(database, scope="function")]
Now = Annotated[datetime, Depends(now)]
CurrentViewer = Annotated[Viewer, Depends(viewer)]
Form = Annotated[FormData, Depends(form)]
