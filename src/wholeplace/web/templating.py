"""Jinja2 set-up: our templates, each domain's templates and the GOV.UK Frontend macros."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from wholeplace import __version__
from wholeplace.core.figures import readable
from wholeplace.core.roles import Role
from wholeplace.core.security import csrf_token
from wholeplace.web.access import Viewer
from wholeplace.web.security import CSRF_FIELD, csrf_binding

WEB_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class NavigationEntry:
    """One item of the service navigation, shown to users holding any of its roles."""

    label: str
    href: str
    roles: frozenset[Role]

    def shown_to(self, viewer: Viewer | None) -> bool:
        return viewer is not None and viewer.has(*self.roles)


def make_templates(domain_template_dirs: Iterable[Path]) -> Jinja2Templates:
    loader = ChoiceLoader(
        [
            FileSystemLoader([WEB_TEMPLATES, *domain_template_dirs]),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    env = Environment(
        loader=loader, autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True
    )
    env.filters["when"] = _format_time
    env.filters["wp_role_label"] = lambda role: Role(role).label
    env.filters["readable"] = readable
    env.globals["error_message"] = error_message
    env.globals["error_links"] = error_links
    env.globals["version"] = __version__
    return Jinja2Templates(env=env)


def error_message(errors: Mapping[str, str], name: str) -> dict[str, str] | None:
    """The GOV.UK errorMessage parameter for one field, or None when the field is fine."""
    return {"text": errors[name]} if errors.get(name) else None


def error_links(errors: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"text": message, "href": f"#{name}"} for name, message in errors.items()]


def _format_time(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%-d %b %Y, %H:%M UTC")


def render(
    request: Request, template: str, context: Mapping[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """A page, with what every page needs: the viewer, the navigation, the place name, the form token."""
    state = request.app.state
    viewer: Viewer | None = getattr(request.state, "viewer", None)
    navigation = [entry for entry in state.navigation if entry.shown_to(viewer)]
    # Only the most specific entry is current: on /outcomes/scorecard, "Scorecards" and not "Outcomes framework".
    current = max(
        (entry.href for entry in navigation if _is_current(request, entry.href)), key=len, default=None
    )
    page: dict[str, Any] = {
        "viewer": viewer,
        "place_name": getattr(request.state, "place_name", None) or state.place_name(),
        "navigation": [
            {"text": entry.label, "href": entry.href, "active": entry.href == current} for entry in navigation
        ],
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(state.secret_key, csrf_binding(request)),
        "current_path": request.url.path,
    }
    page.update(context or {})
    response: HTMLResponse = state.templates.TemplateResponse(
        request, template, page, status_code=status_code
    )
    return response


def _is_current(request: Request, href: str) -> bool:
    path = request.url.path
    return path == href or (href != "/" and path.startswith(href + "/"))
