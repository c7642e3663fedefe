"""Pages of coordination: search, the household and person pages, and why the viewer may see each panel."""

from __future__ import annotations

from fastapi import APIRouter

from wholeplace.coordination import models  # noqa: F401 - until the views use the services
from wholeplace.web.templating import NavigationEntry

NAVIGATION: list[NavigationEntry] = []

router = APIRouter()
