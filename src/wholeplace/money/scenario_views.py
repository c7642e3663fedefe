"""Pages of investment cases (being built)."""

from __future__ import annotations

from fastapi import APIRouter

from wholeplace.web.templating import NavigationEntry

router = APIRouter()
NAVIGATION: list[NavigationEntry] = []
