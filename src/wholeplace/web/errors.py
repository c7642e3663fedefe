"""Turn refusals and failures into design-system pages for people and JSON for machines; never a traceback."""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from wholeplace.core.errors import NotFoundError, WholeplaceError
from wholeplace.web.guard import RefusedError, SignInRequiredError
from wholeplace.web.security import SECURITY_HEADERS
from wholeplace.web.templating import render

log = logging.getLogger("wholeplace.web")

TITLES = {
    400: "There is a problem with this request",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "This page cannot be used that way",
    429: "Too many requests",
    500: "Sorry, there is a problem with the service",
}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RefusedError, _refused)  # type: ignore[arg-type]
    app.add_exception_handler(SignInRequiredError, _sign_in_required)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(WholeplaceError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, status: int, code: str, detail: str) -> Response:
    if _is_api(request):
        headers = {"WWW-Authenticate": 'Bearer realm="wholeplace"'} if status == 401 else None
        return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)
    title = TITLES.get(status, TITLES[400])
    return render(
        request, "error.html", {"title": title, "detail": detail, "status": status}, status_code=status
    )


async def _refused(request: Request, error: RefusedError) -> Response:
    return error_response(request, error.status, error.code, error.detail)


async def _sign_in_required(request: Request, error: SignInRequiredError) -> Response:
    query = {"next": request.url.path + (f"?{request.url.query}" if request.url.query else "")}
    if error.session_ended:
        query["ended"] = "1"
    target = "/login?" + urlencode(query)
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    response = RedirectResponse(target, status_code=303)
    if error.session_ended:
        response.delete_cookie("wholeplace_session", path="/")
    return response


async def _http_error(request: Request, error: HTTPException) -> Response:
    detail = {
        404: "If you typed the web address, check it is correct.",
        405: "Use the links and buttons on the page.",
    }
    message = detail.get(error.status_code, str(error.detail))
    return error_response(request, error.status_code, _code_for(error.status_code), message)


async def _invalid_request(request: Request, error: RequestValidationError) -> Response:
    if _is_api(request):
        return JSONResponse({"error": "invalid_request", "detail": error.errors()}, status_code=422)
    return error_response(request, 400, "invalid_request", "Some of what was sent could not be understood.")


async def _domain_error(request: Request, error: WholeplaceError) -> Response:
    status = 404 if isinstance(error, NotFoundError) else 400
    return error_response(request, status, _code_for(status), str(error))


async def _unexpected(request: Request, error: Exception) -> Response:
    reference = secrets.token_hex(4)
    log.error("unhandled error %s on %s %s", reference, request.method, request.url.path, exc_info=error)
    response = error_response(
        request,
        500,
        "internal_error",
        f"Try again later. If it keeps happening, quote reference {reference}.",
    )
    # Starlette answers a crash outside the other middleware, so the headers are added here too.
    response.headers.update(SECURITY_HEADERS)
    return response


def _code_for(status: int) -> str:
    return {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(
        status, "error"
    )
