"""Builds the web application from the domains' routers: middleware, guard, errors, assets, the API document."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager, ExitStack, asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

from wholeplace import __version__
from wholeplace.core.db import Turns
from wholeplace.core.errors import ConfigurationError
from wholeplace.core.settings import Settings
from wholeplace.web.access import public
from wholeplace.web.disclosure import Gate
from wholeplace.web.errors import install_error_handlers
from wholeplace.web.guard import check_csrf, guard
from wholeplace.web.security import SecurityMiddleware
from wholeplace.web.templating import NavigationEntry, make_templates
from wholeplace.web.turns import TurnsMiddleware

STATIC = Path(__file__).parent / "static"
BUILT = STATIC / "dist"
API_PREFIX = "/api/v1"


def build_web_app(
    *,
    settings: Settings,
    sessions: sessionmaker[Session],
    clock: Callable[[], datetime],
    place_name: Callable[[], str],
    pages: Sequence[APIRouter],
    api: Sequence[APIRouter],
    template_dirs: Iterable[Path],
    navigation: Sequence[NavigationEntry],
    disclosure_gate: Gate,
    turns: Turns,
    background: Sequence[Callable[[FastAPI], AbstractContextManager[None]]] = (),
) -> FastAPI:
    """The app; each of `background` is entered when the app starts serving and left when it stops, and takes
    `turns` with the requests when it works on the database."""
    app = FastAPI(
        lifespan=_running(background),
        title="wholeplace",
        version=__version__,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(check_csrf), Depends(guard)],
    )
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.clock = clock
    app.state.place_name = place_name
    app.state.secret_key = settings.effective_secret_key()
    app.state.templates = make_templates(template_dirs)
    app.state.navigation = list(navigation)
    app.state.disclosure_gate = disclosure_gate

    for router in pages:
        app.include_router(router)
    api_router = APIRouter(prefix=API_PREFIX)
    for router in api:
        api_router.include_router(router)
    api_router.add_api_route(
        "/openapi.json", _openapi_document(app), methods=["GET"], include_in_schema=False
    )
    app.include_router(api_router)

    _mount_assets(app)
    install_error_handlers(app)
    app.add_middleware(TurnsMiddleware, turns=turns)
    app.add_middleware(SecurityMiddleware, secure_cookies=settings.secure_cookies)
    return app


def _running(
    background: Sequence[Callable[[FastAPI], AbstractContextManager[None]]],
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with ExitStack() as running:
            for job in background:
                running.enter_context(job(app))
            yield

    return lifespan


def _openapi_document(app: FastAPI) -> Callable[[], dict[str, Any]]:
    @public
    def openapi() -> dict[str, Any]:
        """The OpenAPI document of the JSON API for agency systems."""
        if not hasattr(app.state, "api_schema"):
            schema = get_openapi(
                title="wholeplace API",
                version="1",
                description="The JSON API through which agency systems, holding their API token, work with the place.",
                routes=app.routes,
            )
            schema["paths"] = {
                path: item for path, item in schema["paths"].items() if path.startswith(API_PREFIX)
            }
            schema.setdefault("components", {}).setdefault("securitySchemes", {})["agencyToken"] = {
                "type": "http",
                "scheme": "bearer",
                "description": "An agency API token, wp_<id>_<secret>, issued by the place's administrator.",
            }
            schema["security"] = [{"agencyToken": []}]
            app.state.api_schema = schema
        document: dict[str, Any] = app.state.api_schema
        return document

    return openapi


def _mount_assets(app: FastAPI) -> None:
    if not (BUILT / "app.css").exists():
        raise ConfigurationError(
            f"The web assets are not built: {BUILT / 'app.css'} is missing.",
            fix="Run `npm ci && npm run build` in the repository (the README's commands do this).",
        )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/assets", StaticFiles(directory=BUILT / "assets"), name="assets")
