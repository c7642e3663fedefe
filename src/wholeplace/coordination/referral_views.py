"""Pages of coordination: referrals between agencies and the alerts inbox."""

from __future__ import annotations

from fastapi import APIRouter

from wholeplace.web.templating import NavigationEntry

NAVIGATION: list[NavigationEntry] = []

router = APIRouter()
