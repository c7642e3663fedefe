"""Pages of the sources domain: each source, its loads, quality and quarantine, and a file upload."""

from __future__ import annotations

from fastapi import APIRouter

from wholeplace.core.roles import Role
from wholeplace.web.templating import NavigationEntry

ANALYST = frozenset({Role.ANALYST})
NAVIGATION = [NavigationEntry("Sources", "/sources", ANALYST)]

router = APIRouter()
