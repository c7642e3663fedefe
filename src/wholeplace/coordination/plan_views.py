"""Pages of coordination: the lead professional, the shared plan (and its printable version) and meetings."""

from __future__ import annotations

from fastapi import APIRouter

from wholeplace.web.templating import NavigationEntry

NAVIGATION: list[NavigationEntry] = []

router = APIRouter()
