"""Pages of the governance domain."""

from __future__ import annotations

from fastapi import APIRouter

from wholeplace.governance import models  # noqa: F401 - the domain's tables, for the app and its migrations
from wholeplace.web.templating import NavigationEntry

router = APIRouter()
NAVIGATION: list[NavigationEntry] = []
